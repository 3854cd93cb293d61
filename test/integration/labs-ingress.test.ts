// Ingress and Gateway API with nginx (labs/27-ingress): plausible mistakes fail the right check,
// and other correct configurations pass. One cluster for the whole file; each test resets it to
// the start of the step it needs. The solution bots (labs-solutions-*) already check that the
// lab fails untouched and passes with its reference solution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { openLab } from '../../src/harness/run-lab.js';
import { findLab } from '../../src/lab/load.js';
import { attempt, failedNames, stepIndex } from './lab-bots.js';

const lab = findLab('ingress');
const PATH = stepIndex(lab, 'path');
const HOST = stepIndex(lab, 'host');
const GATEWAY = stepIndex(lab, 'gateway');
const FIX = stepIndex(lab, 'fix-502');

/** nginx.conf with this http block's insides, checked and started in the controller's pod (or reloaded). */
function nginx(http: string, start = 'ip netns exec ingress-nginx nginx'): string {
  return `cat >/etc/nginx/nginx.conf <<'EOF'\nworker_processes 1;\nerror_log /var/log/nginx/error.log;\nevents {}\nhttp {\n${http}\ninclude /etc/nginx/conf.d/*.conf;\n}\nEOF\nip netns exec ingress-nginx nginx -t\n${start}\nsleep 2`;
}

/** A file in conf.d, then a reload. */
function confD(name: string, text: string): string {
  return `cat >/etc/nginx/conf.d/${name}.conf <<'EOF'\n${text}\nEOF\nnginx -s reload\nsleep 2`;
}

const upstreams = 'upstream shop { server 10.244.2.2:80; }\nupstream blog { server 10.244.2.3:80; }';

describe('ingress', () => {
  let run: LabRun;
  beforeAll(async () => { run = await openLab(lab); }, 120_000);
  afterAll(async () => { await run?.close(); });

  it("nginx's own prefix locations (location /shop) also take /shopping, which Prefix does not", async () => {
    await attempt(run, { node1: nginx(`${upstreams}\nserver { listen 80 default_server;\nlocation /shop { proxy_pass http://shop; }\nlocation /blog { proxy_pass http://blog; }\nlocation / { return 404; } }`) });
    const report = await run.checkStep(PATH);
    expect(failedNames(report)).toEqual(['GET /shopping is no path of shop\'s, and gets 404']);
    expect(report.checks.find((c) => c.name.startsWith('GET /shopping'))!.found).toContain('shop');
  }, 180_000);

  it('regular-expression locations that match whole path elements pass', async () => {
    await run.resetToStep(PATH);
    await attempt(run, { node1: nginx(`${upstreams}\nserver { listen 80 default_server;\nlocation ~ ^/shop(/|$) { proxy_pass http://shop; }\nlocation ~ ^/blog(/|$) { proxy_pass http://blog; }\nlocation / { return 404; } }`) });
    expect(failedNames(await run.checkStep(PATH))).toEqual([]);
  }, 180_000);

  it('host servers with no default_server: an unknown host lands on the first one read, shop', async () => {
    await run.resetToStep(HOST);
    // The learner replaces the catch-all server with the two hosts.
    await attempt(run, { node1: nginx(`${upstreams}\nserver { listen 80; server_name shop.example; location / { proxy_pass http://shop; } }\nserver { listen 80; server_name blog.example; location / { proxy_pass http://blog; } }`, 'nginx -s reload') });
    const report = await run.checkStep(HOST);
    expect(failedNames(report)).toEqual(['an unknown host gets 404 from the default server, not another host\'s pods']);
    expect(report.checks.find((c) => c.name.startsWith('an unknown host'))!.found).toContain('shop');
  }, 180_000);

  it('hosts routed by a map of $host in the one default server pass', async () => {
    await run.resetToStep(HOST);
    await attempt(run, { node1: nginx(`${upstreams}\nmap $host $by_host { shop.example shop; blog.example blog; default ""; }\nserver { listen 80 default_server;\nlocation / { if ($by_host = "") { return 404; } proxy_pass http://$by_host; } }`, 'nginx -s reload') });
    expect(failedNames(await run.checkStep(HOST))).toEqual([]);
  }, 180_000);

  it("weights alone (ingress-nginx's canary-weight way) miss the header match", async () => {
    await run.resetToStep(GATEWAY);
    await attempt(run, { node1: confD('shop', 'upstream w { server 10.244.2.2:80 weight=3; server 10.244.2.4:80 weight=1; }\nserver { listen 80; server_name shop.example; location / { proxy_pass http://w; } }') });
    expect(failedNames(await run.checkStep(GATEWAY))).toEqual(['Host shop.example with X-Canary always is answered by shop-v2, every time']);
  }, 180_000);

  it('the header match alone leaves every other request on shop', async () => {
    await run.resetToStep(GATEWAY);
    await attempt(run, { node1: confD('shop', 'server { listen 80; server_name shop.example;\nlocation / { if ($http_x_canary = always) { proxy_pass http://10.244.2.4:80; } proxy_pass http://10.244.2.2:80; } }') });
    const report = await run.checkStep(GATEWAY);
    expect(failedNames(report)).toEqual(['Host shop.example without the header is answered by both shop and shop-v2, and by nothing else']);
  }, 180_000);

  it('an if on the header before a weighted upstream passes', async () => {
    await run.resetToStep(GATEWAY);
    await attempt(run, { node1: confD('shop', 'upstream weighted { server 10.244.2.2:80 weight=3; server 10.244.2.4:80; }\nserver { listen 80; server_name shop.example;\nlocation / { if ($http_x_canary = always) { proxy_pass http://10.244.2.4:80; } proxy_pass http://weighted; } }') });
    expect(failedNames(await run.checkStep(GATEWAY))).toEqual([]);
  }, 180_000);

  it('the rendered docs.conf as it is answers 502; proxying straight to the pod on port 80 passes', async () => {
    await run.resetToStep(FIX);
    await attempt(run, { node1: 'cp /etc/ingress/docs.conf /etc/nginx/conf.d/\nnginx -s reload\nsleep 2' });
    const report = await run.checkStep(FIX);
    expect(failedNames(report)).toEqual(['Host docs.example is answered by docs']);
    expect(report.checks.find((c) => c.name === 'Host docs.example is answered by docs')!.found).toContain('502');
    await attempt(run, { node1: confD('docs', 'server { listen 80; server_name docs.example; location / { proxy_pass http://10.244.2.5:80; } }') });
    expect(failedNames(await run.checkStep(FIX))).toEqual([]);
  }, 180_000);
});
