// A lab's setup must end with its servers listening: a check that runs straight after a
// reset must not find a port closed because a server started with a bare `&` is still
// starting (ebpf-datapath's check failed so about half the time). `podctl serve` returns
// once the port listens; a server started otherwise is waited for on the next line.
import { describe, expect, it } from 'vitest';
import { loadLabs } from '../../../src/lab/load.js';

/** Lines of a setup script that start a TCP server in the background with nothing after them that waits for it. */
function unwaitedServers(script: string): string[] {
  const lines = script.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.filter((line, index) => /\bsocat\b.*\bTCP[46]?-LISTEN:/.test(line) && /&$/.test(line)
    && !/\b(nc -z|ss -l\w*)\b/.test(lines[index + 1] ?? ''));
}

describe('lab setups', () => {
  it('finds a server started with a bare & and passes one that is waited for', () => {
    expect(unwaitedServers('ip netns exec a setsid socat TCP-LISTEN:80,fork SYSTEM:x </dev/null >/dev/null 2>&1 &\necho next')).toHaveLength(1);
    expect(unwaitedServers('setsid socat TCP-LISTEN:80,fork SYSTEM:x &\nfor i in $(seq 50); do nc -z 127.0.0.1 80 && break; sleep 0.1; done')).toEqual([]);
    expect(unwaitedServers('podctl serve a 80\npodctl serve a 9000 "wc -c"')).toEqual([]);
  });

  for (const lab of loadLabs()) {
    it(`${lab.id}: every server its setup starts listens before the setup ends`, () => {
      for (const [node, script] of Object.entries(lab.setup)) expect(unwaitedServers(script), `${lab.id}, ${node}'s setup`).toEqual([]);
    });
  }
});
