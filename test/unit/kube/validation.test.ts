// Server-side validation (src/kube/validation.ts): the messages must read like
// kube-apiserver v1.21's, since kubectl prints them as they come. Expected texts are those of
// upstream's field.Error and pkg/apis/*/validation for the same input.
import { describe, expect, it } from 'vitest';
import { KubeApi } from '../../../src/kube/api.js';
import { ApiError } from '../../../src/kube/api-error.js';
import { KINDS } from '../../../src/kube/resources.js';
import { invalidMessage, validate } from '../../../src/kube/validation.js';

const kind = (name: string) => KINDS.find((k) => k.kind === name)!;

function invalid(name: string, body: object): ApiError {
  try {
    new KubeApi().create(kind(name), 'default', body);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('validation', () => {
  it('a Service port out of range: one error, 422 Invalid, with causes', () => {
    const error = invalid('Service', { metadata: { name: 'web' }, spec: { ports: [{ port: 70000, targetPort: 80 }] } });
    expect(error.code).toBe(422);
    expect(error.reason).toBe('Invalid');
    expect(error.message).toBe('Service "web" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
    expect(error.details?.causes).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive', field: 'spec.ports[0].port' }]);
  });

  it('several errors go in brackets', () => {
    const error = invalid('Service', { metadata: { name: 'web' }, spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }, { port: 81 }] } });
    expect(error.message).toMatch(/^Service "web" is invalid: \[spec\.ports\[0\]\.name: Required value, spec\.ports\[0\]\.nodePort: Forbidden: may not be used when `type` is 'ClusterIP', spec\.ports\[1\]\.name: Required value\]$/);
  });

  it('Service names are DNS-1035 labels; unsupported types list the supported ones', () => {
    expect(invalid('Service', { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } }).message).toContain("metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character");
    expect(invalid('Service', { metadata: { name: 'web' }, spec: { type: 'Internal', ports: [{ port: 80 }] } }).message)
      .toBe('Service "web" is invalid: spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"');
    expect(invalid('Service', { metadata: { name: 'ext' }, spec: { type: 'ExternalName' } }).message).toBe('Service "ext" is invalid: spec.externalName: Required value');
    expect(invalid('Service', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] } }).message)
      .toBe('Service "np" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('a Deployment whose selector does not match its template (a group kind is qualified: Deployment.apps)', () => {
    const error = invalid('Deployment', { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } });
    expect(error.message).toBe('Deployment.apps "d" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`');
  });

  it('a Pod without containers, and a container without an image', () => {
    expect(invalid('Pod', { metadata: { name: 'p' }, spec: {} }).message).toBe('Pod "p" is invalid: spec.containers: Required value');
    expect(invalid('Pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } }).message).toBe('Pod "p" is invalid: spec.containers[0].image: Required value');
  });

  it('decodes as upstream 1.21 does: a wrong type is a 400, an unknown field is dropped', () => {
    const error = invalid('Service', { metadata: { name: 'web' }, spec: { ports: [{ port: '80' }] } });
    expect(error.code).toBe(400);
    expect(error.message).toBe('Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32');
    const created = new KubeApi().create(kind('Service'), 'default', { metadata: { name: 'web', colour: 'red' }, spec: { portz: [], ports: [{ port: 80, targetPort: 'http' }] } }) as any;
    expect(created.metadata.colour).toBeUndefined();
    expect(created.spec.portz).toBeUndefined();
    expect(created.spec.ports[0].targetPort).toBe('http');
  });

  it('label values and NetworkPolicy peers', () => {
    expect(validate('ConfigMap', { metadata: { name: 'c', labels: { app: 'a b' } } })[0]?.message).toMatch(/^Invalid value: "a b": a valid label must be an empty string/);
    const errors = validate('NetworkPolicy', { metadata: { name: 'n' }, spec: { podSelector: {}, ingress: [{ from: [{}] }] } } as never);
    expect(invalidMessage('NetworkPolicy', 'n', errors)).toBe('NetworkPolicy "n" is invalid: spec.ingress[0].from[0]: Required value: must specify a peer');
  });
});
