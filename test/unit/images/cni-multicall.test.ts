// The CNI plugins' source turned into one multi-call program (images/build/cni.ts): the
// text changes it makes to each plugin, on a small tree shaped like the plugins repo.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asPackage, multicallMain, pluginFolders } from '../../../images/build/cni.js';

let tree: string;
const write = (path: string, text: string) => {
  mkdirSync(join(tree, path, '..'), { recursive: true });
  writeFileSync(join(tree, path), text);
};

beforeEach(() => { tree = mkdtempSync(join(tmpdir(), 'podwire-cni-')); });
afterEach(() => rmSync(tree, { recursive: true, force: true }));

describe('the CNI plugins as one program', () => {
  it('finds each plugin by its folder of package main, and skips libraries and nested folders', () => {
    write('plugins/main/bridge/bridge.go', 'package main\n\nfunc main() {\n}\n');
    write('plugins/ipam/host-local/main.go', '// +build linux\n\npackage main\n\nfunc main() {\n}\n');
    write('plugins/ipam/host-local/backend/store.go', 'package backend\n');
    write('plugins/main/windows/win-bridge/main.go', 'package main\n');
    write('plugins/README.md', 'not a family\n');
    expect([...pluginFolders(tree)].sort()).toEqual([['bridge', 'plugins/main/bridge'], ['host-local', 'plugins/ipam/host-local']]);
  });

  it('makes a plugin a package named after it, with Main, and drops its tests', () => {
    write('plugins/ipam/host-local/main.go', '// +build linux\n\npackage main\n\nimport "os"\n\nfunc main() {\n\tos.Exit(cmdMain())\n}\n');
    write('plugins/ipam/host-local/dns.go', 'package main\n\n// not func main() {\nfunc parse() {}\n');
    write('plugins/ipam/host-local/main_test.go', 'package main\n');
    asPackage(join(tree, 'plugins/ipam/host-local'), 'hostlocal');
    const dir = join(tree, 'plugins/ipam/host-local');
    expect(readdirSync(dir).sort()).toEqual(['dns.go', 'main.go']);
    expect(readFileSync(join(dir, 'main.go'), 'utf8')).toBe('// +build linux\n\npackage hostlocal\n\nimport "os"\n\nfunc Main() {\n\tos.Exit(cmdMain())\n}\n');
    expect(readFileSync(join(dir, 'dns.go'), 'utf8')).toBe('package hostlocal\n\n// not func main() {\nfunc parse() {}\n');
  });

  it('refuses a plugin folder without exactly one main function', () => {
    write('plugins/meta/odd/a.go', 'package main\n\nfunc helper() {\n}\n');
    expect(() => asPackage(join(tree, 'plugins/meta/odd'), 'odd')).toThrow(/expected one func main\(\) .*found 0/);
  });

  it('dispatches on the name it was started as, importing each plugin under a Go name', () => {
    const main = multicallMain([{ name: 'bridge', folder: 'plugins/main/bridge' }, { name: 'host-local', folder: 'plugins/ipam/host-local' }]);
    expect(main).toContain('\thostlocal "github.com/containernetworking/plugins/plugins/ipam/host-local"\n');
    expect(main).toContain('\t"host-local": hostlocal.Main,\n');
    expect(main).toContain('\t"bridge": bridge.Main,\n');
    expect(main).toMatch(/name := filepath\.Base\(os\.Args\[0\]\)/);
  });
});
