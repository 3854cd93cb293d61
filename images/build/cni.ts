// The CNI plugins for the node, built from bookworm's source as one multi-call program
// (images/build/source.ts says why the image builds programs at all).
//
// Debian's containernetworking-plugins ships 16 separate Go programs, 42.6 MB together:
// each carries its own copy of Go's runtime, netlink and the CNI library. A node's root is
// an initramfs, so that size is unpacked at every cold boot and held in every node's RAM,
// half of the whole root. Built as one program that picks the plugin by the name it was
// started as (argv[0], as busybox does), the same source is 8 MB, and /opt/cni/bin holds
// a symlink per plugin. Upstream did the same for its own release (containernetworking/
// plugins#738). Each plugin's code is unchanged: only its `package main` becomes a package
// named after it, and its `main` becomes `Main`.
//
// The Go libraries come from Debian's own golang-*-dev packages (the source package's
// Build-Depends), built in GOPATH mode with the host's Go, as Debian builds it, for 386.
import { copyFileSync, cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SourceBuilds, SourceBuilt } from './source.js';

/** bookworm's version of the source package, the one its containernetworking-plugins binary package was built from. */
const VERSION = '1.1.1+ds1-3';
const SOURCE_PACKAGE = 'golang-github-containernetworking-plugins';
const IMPORT_PATH = 'github.com/containernetworking/plugins';

/** The Go libraries the plugins import: the Build-Depends, less the test frameworks, plus netns (which netlink imports). */
const GO_LIBRARIES = [
  'golang-dbus-dev', 'golang-github-alexflint-go-filemutex-dev', 'golang-github-appc-cni-dev',
  'golang-github-coreos-go-iptables-dev', 'golang-github-coreos-go-systemd-dev', 'golang-github-d2g-dhcp4-dev',
  'golang-github-d2g-dhcp4client-dev', 'golang-github-mattn-go-shellwords-dev', 'golang-github-networkplumbing-go-nft-dev',
  'golang-github-safchain-ethtool-dev', 'golang-github-vishvananda-netlink-dev', 'golang-github-vishvananda-netns-dev',
  'golang-golang-x-sys-dev',
];

/** Where the program sits in the node; each plugin in /opt/cni/bin is a symlink to it. */
export const CNI_PROGRAM = 'usr/libexec/cni-plugins';
/** Where Debian's package puts its plugins in the stage; the rootfs recipe copies this folder to /opt/cni/bin. */
const DEBIAN_PLUGIN_DIR = 'usr/lib/cni';

export function buildCniPlugins(builds: SourceBuilds): SourceBuilt {
  const gocode = join(builds.work, 'gocode');
  builds.unpackPackages('gocode', GO_LIBRARIES, gocode);
  const gopath = join(builds.work, 'gopath');
  const tree = join(gopath, 'src', IMPORT_PATH);
  rmSync(gopath, { recursive: true, force: true });
  cpSync(builds.debianSource(SOURCE_PACKAGE, VERSION), tree, { recursive: true });

  // The plugins this node has are the ones Debian's binary package installs.
  const stagedPlugins = join(builds.stage, DEBIAN_PLUGIN_DIR);
  const names = readdirSync(stagedPlugins).sort();
  const folders = pluginFolders(tree);
  const missing = names.filter((name) => !folders.has(name));
  if (missing.length > 0) throw new Error(`${SOURCE_PACKAGE} ${VERSION} has no source for the plugins ${missing.join(', ')} that Debian's package installs`);

  for (const name of names) asPackage(join(tree, folders.get(name)!), goPackageName(name));
  const command = join(tree, 'cmd', 'multicall');
  mkdirSync(command, { recursive: true });
  writeFileSync(join(command, 'main.go'), multicallMain(names.map((name) => ({ name, folder: folders.get(name)! }))));

  const program = join(builds.work, 'cni-plugins');
  builds.run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', program, `${IMPORT_PATH}/cmd/multicall`], builds.work, {
    GOPATH: `${gopath}:${join(gocode, 'usr/share/gocode')}`, GO111MODULE: 'off', GOFLAGS: '',
    GOOS: 'linux', GOARCH: '386', CGO_ENABLED: '0', GOCACHE: join(builds.work, 'go-build'),
  });

  // Debian's 16 programs give way to one, under their own names.
  mkdirSync(join(builds.stage, 'usr/libexec'), { recursive: true });
  copyFileSync(program, join(builds.stage, CNI_PROGRAM));
  for (const name of names) {
    rmSync(join(stagedPlugins, name));
    symlinkSync(`/${CNI_PROGRAM}`, join(stagedPlugins, name));
  }
  return { name: `CNI plugins (${names.length}, one program)`, version: VERSION, from: 'bookworm source package' };
}

/** Plugin name -> its folder under plugins/ (main/bridge, ipam/host-local, ...), for every folder with a main package. */
export function pluginFolders(tree: string): Map<string, string> {
  const folders = new Map<string, string>();
  for (const family of readdirSync(join(tree, 'plugins'))) {
    const familyDir = join(tree, 'plugins', family);
    if (!lstatSync(familyDir).isDirectory()) continue;
    for (const name of readdirSync(familyDir)) {
      const dir = join(familyDir, name);
      if (lstatSync(dir).isDirectory() && goFiles(dir).some((file) => /^package main$/m.test(readFileSync(file, 'utf8')))) {
        folders.set(name, `plugins/${family}/${name}`);
      }
    }
  }
  return folders;
}

function goFiles(dir: string): string[] {
  return readdirSync(dir).filter((file) => file.endsWith('.go')).map((file) => join(dir, file));
}

/** host-local -> hostlocal: a Go package name has no hyphen. */
function goPackageName(plugin: string): string {
  return plugin.replace(/[^a-z0-9]/g, '');
}

/** Turn a plugin's command into a package that the multi-call program imports: `package main` -> `package NAME`, `main()` -> `Main()`. */
export function asPackage(dir: string, name: string): void {
  let mains = 0;
  for (const file of goFiles(dir)) {
    // Its tests are package main too, and are not built here.
    if (file.endsWith('_test.go')) { rmSync(file); continue; }
    const text = readFileSync(file, 'utf8');
    const renamed = text.replace(/^package main$/m, `package ${name}`).replace(/^func main\(\) \{$/m, () => { mains++; return 'func Main() {'; });
    writeFileSync(file, renamed);
  }
  if (mains !== 1) throw new Error(`${basename(dir)}: expected one func main() in ${dir}, found ${mains}`);
}

export function multicallMain(plugins: { name: string; folder: string }[]): string {
  const imports = plugins.map((p) => `\t${goPackageName(p.name)} "${IMPORT_PATH}/${p.folder}"`).join('\n');
  const table = plugins.map((p) => `\t"${p.name}": ${goPackageName(p.name)}.Main,`).join('\n');
  return `// Generated by podwire's image build (images/build/cni.ts): every CNI plugin in one program.
// /opt/cni/bin/NAME is a symlink to it, and it runs the plugin it was started as.
package main

import (
\t"fmt"
\t"os"
\t"path/filepath"

${imports}
)

var plugins = map[string]func(){
${table}
}

func main() {
\tname := filepath.Base(os.Args[0])
\tif run, ok := plugins[name]; ok {
\t\trun()
\t\treturn
\t}
\tfmt.Fprintf(os.Stderr, "%s is not one of the CNI plugins in this program; start it by a plugin's name, as /opt/cni/bin/NAME\\n", name)
\tos.Exit(1)
}
`;
}
