// Save bytes from the page as a file: a link to a Blob, clicked once. The URL is let go
// after a while, not at once, so the browser has started the download by then.
export function saveFile(contents: Blob | Uint8Array | string, name: string, type = 'application/octet-stream'): void {
  const blob = contents instanceof Blob ? contents : new Blob([contents as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
