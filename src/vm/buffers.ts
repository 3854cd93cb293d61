// Letting go of big buffers at once. A node's state is about 117 MB, and the threads that
// make, copy and restore states allocate little else, so their garbage collector may leave
// a dead state in memory for minutes: several per node added up to gigabytes in a browser.

/**
 * Detach `buffer` and free its memory now. `transfer(0)` frees it at once; where it is
 * missing (Node 20), the memory moves to a clone that the next garbage collection frees.
 * The buffer reads as empty afterwards, to whoever still holds it.
 */
export function discard(buffer: ArrayBuffer): void {
  if (buffer.byteLength === 0) return;
  const transferable = buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (typeof transferable.transfer === 'function') transferable.transfer(0);
  else structuredClone(buffer, { transfer: [buffer] });
}
