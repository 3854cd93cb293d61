// Snapshots are gzipped with the Compression Streams API so Node and browsers read the same files.
import { gzipSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzip, gzip } from '../../../src/vm/compress.js';

describe('state compression', () => {
  it('round-trips, and speaks ordinary gzip both ways', async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i % 251) ^ (i >> 9));
    const packed = await gzip(bytes);
    expect(packed.length).toBeLessThan(bytes.length);
    expect(new Uint8Array(gunzipSync(packed))).toEqual(bytes);
    expect(await gunzip(new Uint8Array(gzipSync(bytes)))).toEqual(bytes);
  });
});
