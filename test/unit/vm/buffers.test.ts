import { describe, expect, it } from 'vitest';
import { discard } from '../../../src/vm/buffers.js';

describe('discard', () => {
  it('detaches a buffer, so views of it read as empty and its memory can go', () => {
    const buffer = new ArrayBuffer(1 << 20);
    const view = new Uint8Array(buffer);
    view[7] = 1;
    discard(buffer);
    expect(buffer.byteLength).toBe(0);
    expect(view.length).toBe(0);
  });

  it('leaves an empty or already detached buffer be', () => {
    const buffer = new ArrayBuffer(8);
    discard(buffer);
    expect(() => discard(buffer)).not.toThrow();
    expect(() => discard(new ArrayBuffer(0))).not.toThrow();
  });
});
