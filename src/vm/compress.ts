// gzip through the Compression Streams API, which Node and browsers both have,
// so a state compressed on one side opens on the other.
async function through(stream: CompressionStream | DecompressionStream, bytes: Uint8Array): Promise<Uint8Array> {
  const output = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(output).arrayBuffer());
}

export const gzip = (bytes: Uint8Array) => through(new CompressionStream('gzip'), bytes);
export const gunzip = (bytes: Uint8Array) => through(new DecompressionStream('gzip'), bytes);

/** gzip's magic number; a raw v86 state never starts with it. */
export const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b;
