// Server-side validation, with the messages of kube-apiserver v1.21 (pkg/apis/core/validation,
// pkg/apis/apps/validation, pkg/apis/networking/validation; the field paths and error texts of
// k8s.io/apimachinery/pkg/util/validation/field). A failed object comes back as a 422 Status:
//   Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive
// which kubectl prints after "The ". Not every upstream rule is here: the ones a learner meets
// when writing these kinds by hand (names, labels, ports, selectors, Service types).
import type { KubeObject } from './store.js';

export interface FieldError { type: string; field: string; detail: string; value?: unknown; message: string }
type Any = Record<string, any>;

/** How Go's %#v prints a value in "Invalid value: ..." (field.Error.Error()). */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    if (entries.every(([, v]) => typeof v === 'string')) return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
  }
  if (value === undefined || value === null) return 'null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

class Errors {
  readonly list: FieldError[] = [];
  invalid(field: string, value: unknown, detail: string) { this.list.push({ type: 'FieldValueInvalid', field, value, detail, message: `Invalid value: ${goValue(value)}: ${detail}` }); }
  required(field: string, detail = '') { this.list.push({ type: 'FieldValueRequired', field, detail, message: `Required value${detail ? `: ${detail}` : ''}` }); }
  unsupported(field: string, value: unknown, allowed: string[]) {
    const detail = `supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
    this.list.push({ type: 'FieldValueNotSupported', field, value, detail, message: `Unsupported value: ${goValue(value)}: ${detail}` });
  }
  duplicate(field: string, value: unknown) { this.list.push({ type: 'FieldValueDuplicate', field, value, detail: '', message: `Duplicate value: ${goValue(value)}` }); }
  forbidden(field: string, detail: string) { this.list.push({ type: 'FieldValueForbidden', field, detail, message: `Forbidden: ${detail}` }); }
}

// k8s.io/apimachinery/pkg/util/validation: the name and label formats and their messages.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])*$/;

function subdomain(e: Errors, field: string, value: string) {
  if (value.length > 253) e.invalid(field, value, 'must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) e.invalid(field, value, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
}
function label1123(e: Errors, field: string, value: string) {
  if (value.length > 63) e.invalid(field, value, 'must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) e.invalid(field, value, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
}
function label1035(e: Errors, field: string, value: string) {
  if (value.length > 63) e.invalid(field, value, 'must be no more than 63 characters');
  if (!DNS1035_LABEL.test(value)) e.invalid(field, value, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
}

function labels(e: Errors, field: string, value: unknown) {
  for (const [key, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    const [prefix, name] = key.includes('/') ? key.split('/', 2) as [string, string] : [undefined, key];
    if (prefix !== undefined) subdomain(e, field, prefix);
    if (!QUALIFIED_NAME.test(name) || name.length > 63) e.invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) e.invalid(`${field}`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  }
}

function port(e: Errors, field: string, value: unknown) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) e.invalid(field, value, 'must be between 1 and 65535, inclusive');
}

function protocol(e: Errors, field: string, value: unknown) {
  if (value !== undefined && !['TCP', 'UDP', 'SCTP'].includes(value as string)) e.unsupported(field, value, ['SCTP', 'TCP', 'UDP']);
}

function targetPort(e: Errors, field: string, value: unknown) {
  if (value === undefined) return;
  if (typeof value === 'number') port(e, field, value);
  else if (typeof value !== 'string' || value.length > 15 || !IANA_SVC_NAME.test(value) || !/[a-z]/.test(value)) e.invalid(field, value, 'must contain at least one letter or number (a-z, 0-9)');
}

function podSpec(e: Errors, path: string, spec: Any | undefined) {
  const list = (spec?.containers ?? []) as Any[];
  if (!list.length) e.required(`${path}.containers`);
  const names = new Set<string>();
  list.forEach((c, i) => {
    const at = `${path}.containers[${i}]`;
    if (!c.name) e.required(`${at}.name`);
    else { label1123(e, `${at}.name`, c.name); if (names.has(c.name)) e.duplicate(`${at}.name`, c.name); names.add(c.name); }
    if (!c.image) e.required(`${at}.image`);
    ((c.ports ?? []) as Any[]).forEach((p, j) => {
      port(e, `${at}.ports[${j}].containerPort`, p.containerPort);
      protocol(e, `${at}.ports[${j}].protocol`, p.protocol);
      if (p.name !== undefined && (typeof p.name !== 'string' || p.name.length > 15 || !IANA_SVC_NAME.test(p.name))) e.invalid(`${at}.ports[${j}].name`, p.name, 'must be no more than 15 characters');
    });
  });
  if (spec?.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) e.unsupported(`${path}.restartPolicy`, spec.restartPolicy, ['Always', 'OnFailure', 'Never']);
}

function service(e: Errors, o: Any) {
  const spec = (o.spec ?? {}) as Any;
  const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
  const type = spec.type ?? 'ClusterIP';
  if (!types.includes(type)) e.unsupported('spec.type', type, types);
  const ports = (spec.ports ?? []) as Any[];
  if (type === 'ExternalName') {
    if (!spec.externalName) e.required('spec.externalName');
    else subdomain(e, 'spec.externalName', spec.externalName);
  } else if (!ports.length && spec.clusterIP !== 'None') e.required('spec.ports');
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) e.required(`${at}.name`);
    if (p.name) { label1123(e, `${at}.name`, p.name); if (names.has(p.name)) e.duplicate(`${at}.name`, p.name); names.add(p.name); }
    port(e, `${at}.port`, p.port);
    protocol(e, `${at}.protocol`, p.protocol);
    targetPort(e, `${at}.targetPort`, p.targetPort);
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') e.forbidden(`${at}.nodePort`, 'may not be used when `type` is \'ClusterIP\'');
      else if (p.nodePort < 30000 || p.nodePort > 32767) e.invalid(`${at}.nodePort`, p.nodePort, 'provided port is not in the valid range. The range of valid ports is 30000-32767');
    }
  });
  if (spec.clusterIP && spec.clusterIP !== 'None' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(spec.clusterIP)) e.invalid('spec.clusterIPs[0]', spec.clusterIP, 'must be empty, \'None\', or a valid IP address');
  if (spec.clusterIP === 'None' && (type === 'NodePort' || type === 'LoadBalancer')) e.invalid('spec.clusterIPs[0]', 'None', 'may not be set to \'None\' for LoadBalancer services');
  for (const policy of ['externalTrafficPolicy', 'internalTrafficPolicy'] as const) {
    if (spec[policy] !== undefined && !['Cluster', 'Local'].includes(spec[policy])) e.unsupported(`spec.${policy}`, spec[policy], ['Cluster', 'Local']);
  }
  if (spec.externalTrafficPolicy === 'Local' && type !== 'NodePort' && type !== 'LoadBalancer') e.invalid('spec.externalTrafficPolicy', 'Local', 'ExternalTrafficPolicy can only be set on NodePort and LoadBalancer service');
  // validateServiceFields: the health check port only where it is needed, in the NodePort range.
  if (spec.healthCheckNodePort) {
    if (!(type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')) e.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\'');
    else if (spec.healthCheckNodePort < 30000 || spec.healthCheckNodePort > 32767) e.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'provided port is not in the valid range. The range of valid ports is 30000-32767');
  }
  if (spec.selector) labels(e, 'spec.selector', spec.selector);
}

function workload(e: Errors, o: Any) {
  const spec = (o.spec ?? {}) as Any;
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) e.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0');
  const selector = spec.selector as Any | undefined;
  if (!selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length)) {
    e.required('spec.selector');
    if (selector) e.invalid('spec.selector', selector, 'empty selector is invalid for deployment');
  } else {
    const templateLabels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
    const matches = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => templateLabels[k] === v);
    if (!matches) e.invalid('spec.template.metadata.labels', templateLabels, '`selector` does not match template `labels`');
  }
  podSpec(e, 'spec.template.spec', spec.template?.spec);
  const restart = spec.template?.spec?.restartPolicy;
  if (restart !== undefined && restart !== 'Always') e.unsupported('spec.template.spec.restartPolicy', restart, ['Always']);
}

function networkPolicy(e: Errors, o: Any) {
  const spec = (o.spec ?? {}) as Any;
  if (!spec.podSelector) e.required('spec.podSelector');
  for (const t of (spec.policyTypes ?? []) as string[]) if (!['Ingress', 'Egress'].includes(t)) e.unsupported('spec.policyTypes', t, ['Ingress', 'Egress']);
  for (const direction of ['ingress', 'egress'] as const) {
    ((spec[direction] ?? []) as Any[]).forEach((rule, i) => {
      ((rule.ports ?? []) as Any[]).forEach((p, j) => {
        protocol(e, `spec.${direction}[${i}].ports[${j}].protocol`, p.protocol);
        if (typeof p.port === 'number') port(e, `spec.${direction}[${i}].ports[${j}].port`, p.port);
      });
      ((rule[direction === 'ingress' ? 'from' : 'to'] ?? []) as Any[]).forEach((peer, j) => {
        const at = `spec.${direction}[${i}].${direction === 'ingress' ? 'from' : 'to'}[${j}]`;
        const set = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => peer[k] !== undefined);
        if (!set.length) e.required(at, 'must specify a peer');
        if (peer.ipBlock && set.length > 1) e.forbidden(at, 'may not specify both ipBlock and another peer');
        if (peer.ipBlock && !/^[\d.]+\/\d+$|^[0-9a-fA-F:]+\/\d+$/.test(peer.ipBlock.cidr ?? '')) e.invalid(`${at}.ipBlock.cidr`, peer.ipBlock.cidr, 'must be a valid CIDR');
      });
    });
  }
}

function configMap(e: Errors, o: Any) {
  for (const key of [...Object.keys(o.data ?? {}), ...Object.keys(o.binaryData ?? {})]) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253) e.invalid('data', key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
}

/** The errors of `object` (of `kind`), empty when it is valid. */
export function validate(kind: string, object: KubeObject): FieldError[] {
  const e = new Errors();
  const name = object.metadata.name;
  if (!name && !object.metadata.generateName) e.required('metadata.name', 'name or generateName is required');
  else if (name) {
    if (kind === 'Service') label1035(e, 'metadata.name', name);
    else if (kind === 'Namespace') label1123(e, 'metadata.name', name);
    else subdomain(e, 'metadata.name', name);
  }
  labels(e, 'metadata.labels', object.metadata.labels);
  const o = object as Any;
  switch (kind) {
    case 'Pod': podSpec(e, 'spec', o.spec); break;
    case 'Service': service(e, o); break;
    case 'Deployment': case 'ReplicaSet': workload(e, o); break;
    case 'NetworkPolicy': networkPolicy(e, o); break;
    case 'ConfigMap': configMap(e, o); break;
    case 'EndpointSlice': if (!['IPv4', 'IPv6', 'FQDN'].includes(o.addressType)) e.unsupported('addressType', o.addressType, ['FQDN', 'IPv4', 'IPv6']); break;
    default: break;
  }
  return e.list;
}

/** The aggregate message of kube-apiserver's NewInvalid: one error bare, more in brackets; `kind` is group-qualified (Deployment.apps). */
export function invalidMessage(kind: string, name: string, errors: FieldError[]): string {
  const each = errors.map((err) => `${err.field}: ${err.message}`);
  return `${kind} "${name}" is invalid: ${each.length === 1 ? each[0] : `[${each.join(', ')}]`}`;
}
