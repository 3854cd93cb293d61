// Kernel modules: keep only the ones the labs need, with everything they depend on.
// Each .ko carries a .modinfo section of "key=value\0" strings; its "depends="
// names the modules that must be loaded first. We follow those to a closure and
// write modules.dep ourselves, the file modprobe reads.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RecipeError, type Line } from './recipe.js';

const canonical = (name: string) => name.replaceAll('-', '_');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ko') ? [join(dir, e.name)] : []);
}

function modinfoDepends(ko: string): string[] {
  const text = readFileSync(ko).toString('latin1');
  const match = /\0depends=([^\0]*)\0/.exec(text) ?? /^depends=([^\0]*)\0/.exec(text);
  return match?.[1] ? match[1].split(',').filter(Boolean).map(canonical) : [];
}

export interface ModuleSet {
  /** Paths relative to /lib/modules/<version>, dependencies first. */
  files: string[];
  /** The text of modules.dep for exactly these files. */
  modulesDep: string;
}

export function moduleClosure(moduleDir: string, wanted: Line[]): ModuleSet {
  const byName = new Map<string, string>();
  for (const ko of walk(moduleDir)) byName.set(canonical(ko.split('/').pop()!.slice(0, -3)), relative(moduleDir, ko));

  const depends = new Map<string, string[]>();
  const order: string[] = [];
  const visit = (name: string, at: Line) => {
    if (depends.has(name)) return;
    const file = byName.get(name);
    if (!file) throw new RecipeError(at.file, at.line, `unknown kernel module '${name}': the kernel package has no ${name}.ko`);
    const deps = modinfoDepends(join(moduleDir, file));
    depends.set(name, deps);
    for (const dep of deps) visit(dep, at);
    order.push(name);
  };
  for (const at of wanted) visit(canonical(at.words[0]!), at);

  // modules.dep lists each module's whole dependency set so that every module comes
  // before the ones it needs; modprobe loads the list from the end.
  const chain = (name: string): string[] => {
    const loadOrder: string[] = [];
    const seen = new Set<string>();
    const visitDeps = (module: string) => {
      for (const dep of depends.get(module)!) {
        if (seen.has(dep)) continue;
        seen.add(dep);
        visitDeps(dep);
        loadOrder.push(byName.get(dep)!);
      }
    };
    visitDeps(name);
    return loadOrder.reverse();
  };
  const modulesDep = order.map((name) => `${byName.get(name)}: ${chain(name).join(' ')}`.trimEnd()).join('\n') + '\n';
  return { files: order.map((name) => byName.get(name)!), modulesDep };
}
