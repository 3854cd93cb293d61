// The import layering (.dependency-cruiser.cjs) holds: dependency-cruiser walks src, images and
// test and finds no forbidden arrow. dependency-cruiser reads TypeScript only through a
// TypeScript compiler older than the one we use (7), so the sources are first turned into
// JavaScript by esbuild in a scratch folder, with type-only imports kept as imports: a type
// ties two layers together just as a value does.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IViolation } from 'dependency-cruiser';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as { forbidden: unknown[]; options: Record<string, unknown> };

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mjs|svelte)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** TypeScript to JavaScript that keeps every import, type-only ones included. */
function toJs(source: string): string {
  const kept = source
    .replace(/^(\s*)import type /gm, '$1import ')
    .replace(/^(\s*)export type (\{[^}]*\}\s*from|\*\s*from)/gm, '$1export $2');
  return transformSync(kept, { loader: 'ts', format: 'esm', tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } } }).code;
}

function mirror(into: string): void {
  for (const file of sourceFiles('src').concat(sourceFiles('images'), sourceFiles('test'))) {
    const text = readFileSync(join(root, file), 'utf8');
    const target = join(into, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    const js = file.endsWith('.svelte')
      ? text.replace(/<script lang="ts">([\s\S]*?)<\/script>/, (_, script: string) => `<script lang="ts">${toJs(script)}</script>`)
      : file.endsWith('.ts') ? toJs(text) : text;
    writeFileSync(target, js);
  }
}

async function violations(dir: string): Promise<IViolation[]> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const { tsConfig: _ts, ...options } = config.options;
    const result = await cruise(['src', 'images', 'test'], { ...options, validate: true, ruleSet: { forbidden: config.forbidden } as never, outputType: 'json' });
    return (JSON.parse(result.output as string) as { summary: { violations: IViolation[] } }).summary.violations;
  } finally {
    process.chdir(cwd);
  }
}

const describeArrow = (v: IViolation) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`;

describe('architecture', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'podwire-architecture-'));
    mirror(scratch);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has every import arrow pointing down, and no cycle', async () => {
    const found = await violations(scratch);
    expect(found.map(describeArrow)).toEqual([]);
  }, 120_000);

  it('would catch a new upward arrow, a cycle, and src importing test', async () => {
    writeFileSync(join(scratch, 'src/net/upward.js'), "import '../harness/lab-run.js';\nimport './upward-2.js';\n");
    writeFileSync(join(scratch, 'src/net/upward-2.js'), "import './upward.js';\nimport '../../test/unit/net/frames.js';\n");
    try {
      const found = (await violations(scratch)).map(describeArrow);
      expect(found).toEqual(expect.arrayContaining([
        'no-upward-from-net: src/net/upward.js → src/harness/lab-run.js',
        'src-not-from-test: src/net/upward-2.js → test/unit/net/frames.js',
      ]));
      expect(found.some((line) => line.startsWith('no-circular: src/net/upward'))).toBe(true);
    } finally {
      rmSync(join(scratch, 'src/net/upward.js'));
      rmSync(join(scratch, 'src/net/upward-2.js'));
    }
  }, 120_000);

  it('lets the web app import only the class server\'s protocol, and keeps that protocol free of Node', async () => {
    writeFileSync(join(scratch, 'src/ui/reaches-server.js'), "import '../classroom/protocol.js';\nimport '../classroom/db/store.js';\n");
    writeFileSync(join(scratch, 'src/classroom/reaches-up.js'), "import '../ui/reaches-server.js';\nimport '../cli/serve.js';\n");
    const protocol = join(scratch, 'src/classroom/protocol.js');
    const pure = readFileSync(protocol, 'utf8');
    writeFileSync(protocol, `import 'node:fs';\n${pure}`);
    try {
      const found = (await violations(scratch)).map(describeArrow);
      expect(found).toEqual(expect.arrayContaining([
        'ui-only-classroom-protocol: src/ui/reaches-server.js → src/classroom/db/store.js',
        'classroom-not-from-ui: src/classroom/reaches-up.js → src/ui/reaches-server.js',
        'classroom-from-cli-only-headers: src/classroom/reaches-up.js → src/cli/serve.js',
      ]));
      expect(found.filter((line) => line.includes('→ src/classroom/protocol.js'))).toEqual([]);
      expect(found.filter((line) => line.startsWith('classroom-protocol-stays-pure'))).toEqual(['classroom-protocol-stays-pure: src/classroom/protocol.js → fs']);
    } finally {
      writeFileSync(protocol, pure);
      rmSync(join(scratch, 'src/ui/reaches-server.js'));
      rmSync(join(scratch, 'src/classroom/reaches-up.js'));
    }
  }, 120_000);

  it('keeps the DOM out of the network and the lab format (its browser loader aside)', () => {
    const offenders = [...sourceFiles('src/net'), ...sourceFiles('src/lab').filter((file) => !file.endsWith('load-web.ts'))]
      .filter((file) => /\b(document|window|localStorage|navigator)\./.test(withoutComments(readFileSync(join(root, file), 'utf8'))))
      .map((file) => relative(root, join(root, file)));
    expect(offenders).toEqual([]);
  });
});

/** Source text without its comments, so prose like "Linux's first window." is not taken for a use of the DOM. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}
