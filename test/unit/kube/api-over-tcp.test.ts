// The API over the network's own TCP (src/harness/kube-api-node.ts on src/net/tcp-endpoint.ts):
// a peer built from segments opens a connection, sends HTTP and reads the answer, as a node's
// kubectl would; and the kubectl binary goes out whole at GET /podwire/kubectl. The last test
// measures what the endpoint itself can push (JS only, no guest in the way).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiStreamHandler, kubectlScript, KUBECTL_PATH } from '../../../src/harness/kube-api.js';
import { kubectlFile } from '../../../src/harness/kube-api-node.js';
import { KubeApi } from '../../../src/kube/api.js';
import { parseIpv4 } from '../../../src/net/addr.js';
import { TcpEndpoint } from '../../../src/net/tcp-endpoint.js';
import {
  IP_PROTOCOL_TCP, TCP_ACK, TCP_CHECKSUM, TCP_FIN, TCP_SYN, buildIpv4, buildTcp, isWireError, readIpv4, readTcp, setU16, tcpChecksum,
} from '../../../src/net/wire/index.js';

const SERVER = '10.96.0.1';
const CLIENT = '10.0.0.11';

/** A minimal TCP client: handshake, one request, ACK everything (asynchronously, like a wire), until the server's FIN. */
function client(endpoint: TcpEndpoint, request: string, port: number, window = 65535): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seq = 7000;
    let rcvNxt = 0;
    const send = (flags: number, payload = new Uint8Array(0)) => {
      const segment = buildTcp({ sourcePort: port, destinationPort: 443, sequence: seq, acknowledgment: rcvNxt, flags, window, ...(flags & TCP_SYN ? { mss: 1460 } : {}) }, payload);
      setU16(segment, TCP_CHECKSUM, tcpChecksum(segment, 0, segment.length, parseIpv4(CLIENT), parseIpv4(SERVER)));
      const packet = buildIpv4({ source: parseIpv4(CLIENT), destination: parseIpv4(SERVER), protocol: IP_PROTOCOL_TCP }, segment);
      const header = readIpv4(packet);
      if (isWireError(header)) throw new Error(header.error);
      endpoint.receive(packet, header, (answer) => queueMicrotask(() => onSegment(answer)));
      seq = (seq + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
    };
    const onSegment = (packet: Uint8Array) => {
      const ip = readIpv4(packet);
      if (isWireError(ip)) return reject(new Error(ip.error));
      const tcp = readTcp(packet, ip.headerLength, ip.totalLength);
      if (isWireError(tcp)) return reject(new Error(tcp.error));
      const payload = packet.subarray(ip.headerLength + tcp.headerLength, ip.totalLength);
      if (tcp.flags & TCP_SYN) {
        rcvNxt = (tcp.sequence + 1) >>> 0;
        send(TCP_ACK);
        send(TCP_ACK, new TextEncoder().encode(request));
        return;
      }
      if (tcp.sequence !== rcvNxt) return send(TCP_ACK); // a retransmission: say again what we have
      if (payload.length) { chunks.push(Buffer.from(payload)); rcvNxt = (rcvNxt + payload.length) >>> 0; send(TCP_ACK); }
      if (tcp.flags & TCP_FIN) { rcvNxt = (rcvNxt + 1) >>> 0; send(TCP_FIN | TCP_ACK); resolve(Buffer.concat(chunks)); }
    };
    send(TCP_SYN);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'podwire-api-tcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(binary?: Buffer) {
  const api = new KubeApi();
  let kubectl;
  if (binary) {
    const path = join(dir, 'kubectl');
    writeFileSync(path, binary);
    kubectl = kubectlFile(path);
  }
  const streams = apiStreamHandler(api, { serverAddress: `${SERVER}:443`, ...(kubectl ? { kubectl } : {}) });
  const endpoint = new TcpEndpoint({ listen: [{ address: SERVER, port: 443 }], handler: streams.handler });
  return { api, streams, endpoint };
}

describe('the API over the network\'s TCP', () => {
  it('answers kubectl\'s requests: /version, and a table of Services', async () => {
    const { endpoint, streams } = setup();
    const version = (await client(endpoint, 'GET /version HTTP/1.1\r\nHost: 10.96.0.1\r\nConnection: close\r\n\r\n', 40000)).toString();
    expect(version).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(version).toMatch(/"gitVersion":"v1\.\d+/);
    const services = (await client(endpoint, 'GET /api/v1/namespaces/default/services HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 40001)).toString();
    expect(services).toContain('"clusterIP":"10.96.0.1"');
    expect(endpoint.connectionCount).toBe(0);
    // Connection: close ends the stream after the answer: the connection closes with FINs, not a RST.
    expect(endpoint.counters.resets).toBe(0);
    streams.close();
  });

  it('hands the kubectl binary out whole, and measures the endpoint', async () => {
    const binary = randomBytes(8 * 1024 * 1024);
    const { endpoint, streams } = setup(binary);
    const start = performance.now();
    const response = await client(endpoint, `GET ${KUBECTL_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 40002);
    const ms = performance.now() - start;
    const body = response.subarray(response.indexOf('\r\n\r\n') + 4);
    expect(body.equals(binary)).toBe(true);
    expect(streams.fetches).toBe(1);
    console.log(`tcp endpoint alone: ${binary.length} bytes in ${ms.toFixed(0)} ms, ${((binary.length * 8) / ms / 1000).toFixed(0)} Mbit/s, ${endpoint.counters.retransmits} retransmits`);
    streams.close();
  });

  it('the node-side script checks the size and runs the fetched binary, named by its sha256', () => {
    const script = kubectlScript('http://10.96.0.1:443', { sha256: 'ab'.repeat(32), bytes: 36604064 });
    expect(script).toContain('bin=/run/kubectl-abababababababab\n');
    expect(script).toContain('wget -q -O "$part" http://10.96.0.1:443/podwire/kubectl');
    expect(script).toContain('[ "$(stat -c %s "$part")" = 36604064 ]');
    expect(script).toMatch(/exec "\$bin" "\$@"\n$/);
  });
});
