// The node image as the runtime sees it: the files the build wrote and its manifest.
export interface Artefact { file: string; size: number; sha256: string }

export interface ImageManifest {
  key: string;
  builtAt: string;
  cmdline: string;
  kernelVersion: string;
  artefacts: { bzimage: Artefact; initrd: Artefact; bios: Artefact; vgabios: Artefact };
  /** Size of the uncompressed initramfs, i.e. the root filesystem in RAM. */
  rootfsBytes: number;
  modules: string[];
  /** Programs built from Debian's source rather than taken from a package (images/build/source.ts). */
  fromSource?: { name: string; version: string; from: string }[];
  packages: { name: string; version: string; architecture: string; size: number; sha256: string }[];
}
