// iptables-save output to tables, chains and rules.
//
//   *nat                                  a table, up to COMMIT
//   :KUBE-SERVICES - [0:0]                a chain and its policy ('-' for user chains)
//   -A KUBE-SEP-X -p tcp -m comment --comment "a \"quoted\" text" -j DNAT --to-destination 10.244.1.2:8080
import type { IptablesRule, IptablesTables } from '../facts-types.js';

interface Token { text: string; quoted: boolean }

/** Splits a rule line the way iptables-save quotes it: "..." with \" and \\ inside. */
export function tokenizeRule(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let text = '';
    let quoted = false;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '"') {
        quoted = true;
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          text += line[i++];
        }
        i++;
      } else {
        text += line[i++];
      }
    }
    tokens.push({ text, quoted });
  }
  return tokens;
}

const LONG_NAMES: Record<string, string> = {
  '-A': 'append', '-p': 'protocol', '-s': 'source', '-d': 'destination', '-i': 'in-interface', '-o': 'out-interface',
  '-m': 'match', '-j': 'jump', '-g': 'goto', '-f': 'fragment', '-c': 'set-counters',
};

const isOption = (token: Token) => !token.quoted && token.text.length > 1 && token.text.startsWith('-') && !/^-\d/.test(token.text);
const isBang = (token: Token) => !token.quoted && token.text === '!';

export function parseRule(table: string, line: string): IptablesRule {
  const tokens = tokenizeRule(line);
  const rule: IptablesRule = { table, chain: '', text: line, matches: [], options: {}, negated: [] };
  let negate = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (isBang(token)) { negate = true; continue; }
    if (!isOption(token)) continue; // a stray value: nothing to attach it to
    const values: string[] = [];
    while (i + 1 < tokens.length && !isOption(tokens[i + 1]!) && !isBang(tokens[i + 1]!)) values.push(tokens[++i]!.text);
    const name = LONG_NAMES[token.text] ?? token.text.replace(/^-+/, '');
    const value = values.join(' ');
    switch (name) {
      case 'append': rule.chain = value; break;
      case 'protocol': rule.protocol = value; break;
      case 'source': rule.source = value; break;
      case 'destination': rule.destination = value; break;
      case 'in-interface': rule.inInterface = value; break;
      case 'out-interface': rule.outInterface = value; break;
      case 'match': rule.matches.push(value); break;
      case 'jump': rule.target = value; break;
      case 'goto': rule.goto = value; break;
      default:
        rule.options[name] = value;
        if (name === 'comment') rule.comment = value;
        if (name === 'dport' || name === 'dports' || name === 'destination-port' || name === 'destination-ports') rule.dports = value;
        if (name === 'sport' || name === 'sports' || name === 'source-port' || name === 'source-ports') rule.sports = value;
    }
    if (negate) rule.negated.push(name);
    negate = false;
  }
  return rule;
}

export function parseIptablesSave(text: string): IptablesTables {
  const tables: IptablesTables = {};
  let table: string | null = null;
  const chainOf = (name: string, chain: string) => {
    const chains = (tables[name] ??= { chains: {} }).chains;
    return (chains[chain] ??= { rules: [] });
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) { table = line.slice(1); tables[table] ??= { chains: {} }; continue; }
    if (line === 'COMMIT') { table = null; continue; }
    if (!table) continue;
    if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (!chain) continue;
      const entry = chainOf(table, chain);
      if (policy && policy !== '-') entry.policy = policy;
      continue;
    }
    if (line.startsWith('-A ')) {
      const rule = parseRule(table, line);
      if (rule.chain) chainOf(table, rule.chain).rules.push(rule);
    }
  }
  return tables;
}
