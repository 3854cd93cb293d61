// Labs from outside get their own key: origin and content, never a shipped lab's id.
import { describe, expect, it } from 'vitest';
import { bundledLab } from '../../../src/lab/load-web.js';
import { EXTERNAL_PREFIX, externalSource, keptApart, labById, shippedLabs } from '../../../src/ui/labs.js';

describe('labs from outside', () => {
  const original = shippedLabs().find((lab) => lab.id === 'netns-veth')!;

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
    for (const lab of shippedLabs()) expect(lab.id).not.toContain(':');
  });
});

describe('shipped labs', () => {
  it('are found by id from their own folder, named NN-<id>, so that opening one parses only it', () => {
    const all = shippedLabs();
    expect(all.length).toBeGreaterThan(20);
    for (const lab of all) {
      expect(lab.source, `${lab.id}'s folder is named after it`).toMatch(new RegExp(`^labs/\\d+-${lab.id}/lab\\.md$`));
      expect(bundledLab(lab.id)).toBe(lab);
      expect(labById(lab.id)).toBe(lab);
    }
    expect(bundledLab('no-such-lab')).toBeUndefined();
  });
});
