// A walk for the front ends: as text for the command line, and as JSON to save or to draw
// (a frame's bytes as hex, so the file opens anywhere and the page can decode it again).
import { bytesToHex } from '../net/decode/index.js';
import type { Walk } from '../observe/walk/walk.js';

export { parseTarget, walkText, WalkError, type Walk, type WalkHop, type WalkRequest } from '../observe/walk/walk.js';

export function walkJson(walk: Walk): unknown {
  return {
    ...walk,
    hops: walk.hops.map(({ frame, ...hop }) => (frame ? { ...hop, frame: { ...frame, bytes: bytesToHex(frame.bytes) } } : hop)),
  };
}
