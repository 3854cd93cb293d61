// The kubeconfig kubectl reads: on the host (`podwire kube serve`) and inside a lab's nodes.

/** A kubeconfig for kubectl talking to `server` (http://HOST:PORT), as JSON text (JSON is YAML). */
export function kubeconfigFor(server: string, token?: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'podwire',
    clusters: [{ name: 'podwire', cluster: { server } }],
    users: [{ name: 'podwire', user: token ? { token } : {} }],
    contexts: [{ name: 'podwire', context: { cluster: 'podwire', user: 'podwire', namespace: 'default' } }],
  }, null, 2);
}
