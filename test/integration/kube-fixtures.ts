// What the Kubernetes integration tests share: a two-node cluster whose pods get addresses from
// the real bridge and host-local plugins (routed host-gw style between the nodes), and the web
// Deployment they run behind a Service.
import { parseLab } from '../../src/lab/parse.js';
import type { Lab } from '../../src/lab/types.js';

/** The CNI configuration the kubelet's podctl finds in /etc/cni/net.d, for one node's pod subnet. */
const bridgeCni = (subnet: string) => `mkdir -p /etc/cni/net.d
cat >/etc/cni/net.d/10-podnet.conflist <<'END'
{ "cniVersion": "1.0.0", "name": "podnet", "plugins": [
  { "type": "bridge", "bridge": "cni0", "isGateway": true,
    "ipam": { "type": "host-local", "ranges": [[{ "subnet": "${subnet}" }]], "routes": [{ "dst": "0.0.0.0/0" }] } } ] }
END`;

const indent = (text: string, spaces: number) => text.split('\n').join(`\n${' '.repeat(spaces)}`);

/**
 * node1 (10.244.1.0/24) and node2 (10.244.2.0/24), with a `client` node beside them if asked,
 * of 256 MB as the labs with the control plane (kubectl in a node takes 40 MB);
 * `steps` (YAML, indented as list items under `steps:`) and `sections` (their lesson text)
 * follow a first step that always passes.
 */
export function kubeTestLab(id: string, options: { client?: boolean; steps?: string; sections?: string } = {}): Lab {
  return parseLab(`${id}.md`, `---
id: ${id}
title: ${id}
summary: test cluster
level: beginner
time: 5 min
topology:
  memoryMb: 256
  nodes:
    - name: node1
      podCidr: 10.244.1.0/24
    - name: node2
      podCidr: 10.244.2.0/24${options.client ? '\n    - name: client' : ''}
setup:
  node1: |
    ${indent(bridgeCni('10.244.1.0/24'), 4)}
    ip route add 10.244.2.0/24 via 10.0.0.12
  node2: |
    ${indent(bridgeCni('10.244.2.0/24'), 4)}
    ip route add 10.244.1.0/24 via 10.0.0.11
steps:
  - id: up
    checks:
      - name: node1 is up
        node: node1
        command: "true"
${options.steps ?? ''}---
The cluster for the ${id} integration test.

## Up

Nothing to do.
${options.sections ?? ''}`);
}

/** Two replicas of podctl's answering server, port 80 named http. */
export const WEB_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: podctl-answer
        ports:
        - {name: http, containerPort: 80}
`;

/** The web Service: of `type`, port 80 to the named port http (`nodePort` for a NodePort). */
export const webService = (type = 'ClusterIP', nodePort?: number) => `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ${type}
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http${nodePort ? `, nodePort: ${nodePort}` : ''}}
`;
