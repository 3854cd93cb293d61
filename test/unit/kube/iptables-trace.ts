// Helpers for comparing kube-proxy rules with upstream's unit tests
// (kubernetes pkg/proxy/iptables/proxier_test.go): a parser of iptables-restore text into
// chains and their rules, the normal form upstream's assertIPTablesRulesEqual compares
// (chains as a set, each chain's rules in order), and a packet tracer that follows the
// same simplified path as upstream's tracePacket: nat KUBE-SERVICES (taking every
// probabilistic branch), then, with the destination DNATed, filter KUBE-SERVICES,
// KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS and KUBE-PROXY-FIREWALL.
import { ipInCidr } from '../../../src/net/addr.js';

export interface Rule { chain: string; words: string[]; text: string }
export type Tables = Record<string, { chains: string[]; rules: Rule[] }>;

function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

export function parseRestore(text: string): Tables {
  const tables: Tables = {};
  let current: { chains: string[]; rules: Rule[] } | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#') || line === 'COMMIT') continue;
    if (line.startsWith('*')) { tables[line.slice(1)] = current = { chains: [], rules: [] }; continue; }
    if (!current) throw new Error(`rule outside a table: ${line}`);
    if (line.startsWith(':')) { current.chains.push(line.slice(1).split(' ')[0]!); continue; }
    const w = words(line);
    if (w[0] === '-A') current.rules.push({ chain: w[1]!, words: w.slice(2), text: line });
    else if (w[0] === '-X') current.rules.push({ chain: `-X ${w[1]}`, words: [], text: line });
    else throw new Error(`cannot read: ${line}`);
  }
  return tables;
}

/** Chains as a sorted set, each with its rules in order: what "the same rules" means upstream. */
export function normalForm(text: string): Record<string, { chains: string[]; rules: Record<string, string[]> }> {
  const out: Record<string, { chains: string[]; rules: Record<string, string[]> }> = {};
  for (const [table, { chains, rules }] of Object.entries(parseRestore(text))) {
    const byChain: Record<string, string[]> = {};
    for (const r of rules) (byChain[r.chain] ??= []).push(r.text);
    out[table] = { chains: [...chains].sort(), rules: Object.fromEntries(Object.entries(byChain).sort(([a], [b]) => a.localeCompare(b))) };
  }
  return out;
}


export interface Trace { output: string; masq: boolean }

/** Where a packet ends up, as upstream's tracePacket reports it: "ip:port, ip:port", DROP, REJECT, ACCEPT or "". */
export function tracePacket(text: string, packet: { sourceIP: string; destIP: string; destPort: number; protocol?: string }, nodeIPs: readonly string[]): Trace {
  const tables = parseRestore(text);
  const local = (ip: string) => ip.startsWith('127.') || nodeIPs.includes(ip);
  const proto = (packet.protocol ?? 'tcp').toLowerCase();
  const outputs: string[] = [];
  let masq = false;

  const matches = (w: string[], src: string, dst: string): boolean => {
    for (let i = 0; i < w.length; i++) {
      const neg = w[i] === '!';
      const flag = neg ? w[++i]! : w[i]!;
      const value = w[i + 1] ?? '';
      let ok: boolean | undefined;
      switch (flag) {
        case '-s': ok = ipInCidr(src, value); break;
        case '-d': ok = ipInCidr(dst, value); break;
        case '-p': ok = value === proto; break;
        case '--dport': ok = Number(value) === packet.destPort; break;
        case '--src-type': ok = value === 'LOCAL' ? local(src) : false; break;
        case '--dst-type': ok = value === 'LOCAL' ? local(dst) : false; break;
        case '--rcheck': return false; // no affinity history in a trace
        default: continue;
      }
      i++;
      if (ok === neg) return false;
    }
    return true;
  };

  const run = (table: string, chain: string, src: string, dst: string): boolean => {
    for (const rule of tables[table]?.rules.filter((r) => r.chain === chain) ?? []) {
      if (!matches(rule.words, src, dst)) continue;
      const j = rule.words.indexOf('-j');
      if (j < 0) continue;
      const target = rule.words[j + 1]!;
      if (target === 'KUBE-MARK-MASQ') { masq = true; continue; }
      if (['ACCEPT', 'REJECT', 'DROP'].includes(target)) { outputs.push(target); return true; }
      if (target === 'DNAT') { outputs.push(rule.words[rule.words.indexOf('--to-destination') + 1]!); return true; }
      if (target === 'RETURN') return false;
      const terminated = run(table, target, src, dst);
      if (terminated && !rule.words.includes('--probability')) return true;
    }
    return false;
  };

  run('nat', 'KUBE-SERVICES', packet.sourceIP, packet.destIP);
  const dst = outputs.length ? outputs[0]!.split(':')[0]! : packet.destIP;
  for (const chain of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) run('filter', chain, packet.sourceIP, dst);
  return { output: outputs.join(', '), masq };
}
