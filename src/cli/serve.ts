// npm start (after the setup and the site build): serve the web lab on this machine
// and say where to open it. PORT and HOST choose where it listens.
import { loadLabs } from '../lab/load.js';
import { serveStatic } from './static-server.js';

const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? '127.0.0.1';
const { url } = await serveStatic({ host, port });
const first = loadLabs()[0]!;
process.stderr.write(`\npodwire: the web lab is at ${url}\npodwire: the first lab, "${first.title}", is ready at ${url}#/lab/${first.id}\npodwire: Ctrl-C stops the server.\n`);
