// Labs from outside get their own key: origin and content, never a shipped lab's id.
import { describe, expect, it } from 'vitest';
import { EXTERNAL_PREFIX, externalSource, keptApart, labById, shipped } from '../../../src/ui/labs.js';

describe('labs from outside', () => {
  const original = shipped.find((lab) => lab.id === 'netns-veth')!;

  it('are stored under their origin and content hash, and never stand in for the shipped lab whose id they claim', async () => {
    const copy = await keptApart({ ...original, title: 'A copy' }, 'https://labs.example');
    expect(copy.id.startsWith(`${EXTERNAL_PREFIX}https://labs.example:`)).toBe(true);
    expect(copy.id).not.toBe(original.id);
    expect(labById(original.id)).toBe(original);
    expect(labById(copy.id)).toBe(copy);
    expect(externalSource(copy)).toEqual({ origin: 'https://labs.example', claimedId: 'netns-veth' });
    expect(externalSource(original)).toBeUndefined();
  });

  it('get one key for the same lab from the same place, and another for other content or another origin', async () => {
    const a = await keptApart({ ...original }, 'https://labs.example');
    const again = await keptApart({ ...original }, 'https://labs.example');
    const edited = await keptApart({ ...original, intro: `${original.intro}!` }, 'https://labs.example');
    const elsewhere = await keptApart({ ...original }, 'file');
    expect(again.id).toBe(a.id);
    expect(new Set([a.id, edited.id, elsewhere.id]).size).toBe(3);
  });

  it('cannot take a shipped id even by naming one: shipped ids have no colon', () => {
    for (const lab of shipped) expect(lab.id).not.toContain(':');
  });
});
