// npm start: bring up a three-node cluster from the snapshot and put your terminal
// on a node's serial console. Ctrl-] moves to the next node; Ctrl-\ quits.
// (The web lab, with terminals in the page, is where this is headed.)
import { startCluster } from '../vm/cluster-node.js';

const CTRL_BRACKET = 0x1d;
const CTRL_BACKSLASH = 0x1c;

const names = ['node1', 'node2', 'node3'];
process.stderr.write('podwire: starting node1, node2 and node3 from the snapshot...\n');
const started = Date.now();
const cluster = await startCluster({ nodes: names.map((name) => ({ name })) });
process.stderr.write(`podwire: cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Ctrl-] next node, Ctrl-\\ quit.\n`);

let current = 0;
for (const [index, name] of names.entries()) {
  cluster.node(name).onConsole((text) => { if (index === current) process.stdout.write(text); });
}
const show = () => {
  process.stderr.write(`\r\n[podwire: console of ${names[current]}]\r\n`);
  cluster.node(names[current]!).type('\r');
};
show();

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', async (chunk: Buffer) => {
  if (chunk.includes(CTRL_BACKSLASH)) {
    await cluster.down();
    process.exit(0);
  }
  if (chunk.includes(CTRL_BRACKET)) {
    current = (current + 1) % names.length;
    show();
    return;
  }
  cluster.node(names[current]!).type(chunk.toString('utf8'));
});
