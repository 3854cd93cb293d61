import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createEmulator } from '/work/main/src/vm/emulator.js';
const dir = process.argv[2]!;
const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const buf = (f: string) => { const b = readFileSync(join(dir, f)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.length); };
const emu = createEmulator({ wasm: createRequire(import.meta.url).resolve('v86/build/v86.wasm'), bios: buf('bios.bin'), vgabios: buf('vgabios.bin'), bzimage: buf('bzImage'), initrd: buf('initrd.zst'), cmdline: m.cmdline });
let con = ''; emu.add_listener('serial0-output-byte', (b: number) => { con += String.fromCharCode(b); });
let line = ''; let waiter: ((l: string) => void) | null = null;
emu.add_listener('serial1-output-byte', (b: number) => { if (b === 10) { const l = line; line = ''; if (waiter) { const w = waiter; waiter = null; w(l); } } else line += String.fromCharCode(b); });
const next = () => new Promise<string>((r) => (waiter = r));
await next(); await new Promise((r) => setTimeout(r, Number(process.env.IDLE ?? 0)));
const send = (s: string) => { emu.serial_send_bytes(1, new TextEncoder().encode(s)); if (process.env.KICK) { const v = (emu as any).v86; if (v.idle) v.next_tick(0); } };
const res: Record<string, number[]> = { ack: [], run: [] };
for (let i = 0; i < 60; i++) {
  let t = performance.now(); send(`C ${i} true\n`); await next(); res.ack!.push(performance.now() - t);
  t = performance.now(); send(`X ${i} 5\n`); await next(); res.run!.push(performance.now() - t);
}
send(`C 99 P=$(pgrep\\x20-x\\x20bash\\x20-n);for\\x20i\\x20in\\x201\\x202\\x203;do\\x20cat\\x20/proc/137/syscall;done;cat\\x20/proc/137/cmdline;ls\\x20-l\\x20/proc/137/fd;cat\\x20/proc/137/stat\n`); await next(); send(`X 99 5\n`); console.log((await next()).replace(/\\n/g, "\n").replace(/\\s/g," "));
for (const [k, v] of Object.entries(res)) { console.log(k, v.map((x) => x.toFixed(0)).join(" ")); v.sort((a, b) => a - b); console.log(k, v[30]!.toFixed(1), v.map((x) => x.toFixed(0)).join(' ')); }
console.log(JSON.stringify(con.slice(-600)));
process.exit(0);
