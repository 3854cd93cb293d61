// The import layering, held by dependency-cruiser (test/unit/architecture.test.ts runs it in
// `npm test`). Arrows only point down:
//
//   ui, cli, classroom  →  harness  →  lab  →  checks, observe  →  kube  →  vm  →  topology  →  net
//
// plus: nothing in src imports test/; the image recipe (images/) imports nothing from src;
// the lab parser imports nothing from vm or ui; views get what they show from the lab run,
// not from the runtime; no import cycles. A new upward arrow fails the test.
// The class server (classroom) is a front end beside cli and ui: the web app may import only
// its protocol and the submission bundle (types, schemas and the zip, no Node); the command line starts it and runs
// `podwire class`; it takes only the site's security headers from cli.

/** Lowest first. A folder may import its own layer's folders only where a rule below allows it. */
const LAYERS = [['net'], ['topology'], ['vm'], ['kube'], ['checks', 'observe'], ['lab'], ['harness'], ['cli', 'ui', 'classroom']];

const folder = (names) => `^src/(${names.join('|')})/`;

const upward = LAYERS.flatMap((layer, rank) => {
  const above = LAYERS.slice(rank + 1).flat();
  return above.length ? [{
    name: `no-upward-from-${layer.join('-')}`,
    comment: `${layer.join(', ')} may only import layers below it (${LAYERS.slice(0, rank).flat().join(', ') || 'none'})`,
    severity: 'error',
    from: { path: folder(layer) },
    to: { path: folder(above) },
  }] : [];
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-sideways-cli-ui',
      comment: 'the command line and the web app are two front ends; neither imports the other',
      severity: 'error',
      from: { path: '^src/(cli|ui)/' },
      to: { path: '^src/(cli|ui)/', pathNot: '^src/$1/' },
    },
    {
      name: 'ui-only-classroom-protocol',
      comment: 'the web app talks to the class server through its protocol (types and valibot schemas) and the submission bundle only',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: '^src/classroom/', pathNot: '^src/classroom/(protocol|grading/bundle)[.](ts|js)$' },
    },
    {
      name: 'classroom-bundle-stays-pure',
      comment: 'the submission bundle is built in the page: fflate and valibot only',
      severity: 'error',
      from: { path: '^src/classroom/grading/bundle[.](ts|js)$' },
      to: { pathNot: '^(valibot$|fflate$|node_modules/(valibot|fflate)/)' },
    },
    {
      name: 'classroom-not-from-ui',
      comment: 'the class server does not import the web app',
      severity: 'error',
      from: { path: '^src/classroom/' },
      to: { path: '^src/ui/' },
    },
    {
      name: 'classroom-from-cli-only-headers',
      comment: 'the class server shares the static server\'s security headers, nothing else of the command line',
      severity: 'error',
      from: { path: '^src/classroom/' },
      to: { path: '^src/cli/', pathNot: '^src/cli/static-server[.](ts|js)$' },
    },
    {
      name: 'classroom-protocol-stays-pure',
      comment: 'the protocol runs in the page: valibot only, no Node, nothing else of the server',
      severity: 'error',
      from: { path: '^src/classroom/protocol[.](ts|js)$' },
      to: { pathNot: '^(valibot$|node_modules/valibot/|src/classroom/protocol[.](ts|js)$)' },
    },
    {
      name: 'observe-apart-from-judging',
      comment: 'observing (facts and their parsers) does not import judging (checks)',
      severity: 'error',
      from: { path: '^src/observe/' },
      to: { path: '^src/checks/' },
    },
    {
      name: 'lab-parser-stays-pure',
      comment: 'the lab format imports nothing from vm or ui: lab files are data',
      severity: 'error',
      from: { path: '^src/lab/' },
      to: { path: '^src/(vm|ui)/' },
    },
    {
      name: 'kube-api-apart-from-nodes',
      comment: 'the API server and its controllers hold objects only (what acts on nodes is in harness); of the network they use the address helpers and the HTTP/1.1 framing (net/http1, bytes in and out) alone',
      severity: 'error',
      from: { path: '^src/kube/' },
      to: { path: '^src/(net|topology|vm)/', pathNot: '^src/net/(addr|http1)[.](ts|js)$' },
    },
    {
      name: 'src-not-from-test',
      comment: 'nothing under src imports test/',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'images-not-from-src',
      comment: 'the image recipe owns its build, cache and manifest; the runtime reads it, not the other way round',
      severity: 'error',
      from: { path: '^images/' },
      to: { path: '^src/' },
    },
    {
      name: 'views-not-on-the-runtime',
      comment: 'Svelte views get what they show from the lab run (ui/session.ts), never from vm or observe',
      severity: 'error',
      from: { path: '^src/ui/.+[.]svelte$' },
      to: { path: '^src/(vm|observe)/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^dist/' },
    // Type-only imports are arrows too: they tie the layers together just the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.svelte'] },
  },
};
