// npm start (after the setup and the site build): serve the web lab on this machine
// and say where to open it. PORT and HOST choose where it listens.
import { loadLabs } from '../lab/load.js';
import { serveStatic } from './static-server.js';

const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? '127.0.0.1';
let url: string;
try {
  ({ url } = await serveStatic({ host, port }));
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'EADDRINUSE' ? `port ${port} on ${host} is in use (set PORT to choose another)` : (error as Error).message;
  process.stderr.write(`podwire: cannot serve the web lab: ${why}\n`);
  process.exit(1);
}
const first = loadLabs()[0]!;
process.stderr.write(`\npodwire: the web lab is at ${url}\npodwire: the first lab, "${first.title}", is ready at ${url}#/lab/${first.id}\npodwire: Ctrl-C stops the server.\n`);
