// gzip through the Compression Streams API, which Node and browsers both have,
// so a state compressed on one side opens on the other.
async function through(stream: CompressionStream | DecompressionStream, bytes: Uint8Array): Promise<Uint8Array> {
  const output = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(output).arrayBuffer());
}

export const gzip = (bytes: Uint8Array) => through(new CompressionStream('gzip'), bytes);
export const gunzip = (bytes: Uint8Array) => through(new DecompressionStream('gzip'), bytes);
