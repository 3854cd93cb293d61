// Reading the kernel's own account of a packet: the lines iptables' TRACE target and LOG
// target write to the kernel log (dmesg), through nf_log_syslog.
//
//   [  812.345678] TRACE: nat:KUBE-SVC-ABC:rule:1 IN=cni0 OUT= PHYSIN=veth-client MAC=... SRC=10.244.1.2 DST=10.96.0.20 LEN=60 ... PROTO=TCP SPT=41234 DPT=80 ... SYN URGP=0
//   [  812.346001] pw-walk 3 out: IN= OUT=eth0 SRC=10.244.1.2 DST=10.96.0.20 LEN=65 ... PROTO=ICMP TYPE=8 CODE=0 ID=77 SEQ=1
//
// A TRACE line is "table:chain:what:number": the packet matched rule `number` of `chain`
// ("rule"), came back from a user chain ("return"), or met the chain's policy ("policy").
// The net/netfilter/nf_log_syslog.c dump_ipv4_packet() fields are read by name.

/** The packet as a log line shows it: its headers at that point (after any NAT so far). */
export interface LoggedPacket {
  src: string;
  dst: string;
  /** TCP, UDP, ICMP, or the protocol number. */
  protocol: string;
  sport?: number;
  dport?: number;
  /** ICMP type and echo id, for pings. */
  icmpType?: number;
  icmpId?: number;
  /** TCP flags as logged: SYN, ACK, RST... */
  tcpFlags?: string[];
  length: number;
  ttl?: number;
}

export interface LoggedEvent {
  /** Seconds since the node booted, as the kernel stamps its log. */
  time: number;
  /** TRACE in the node's own namespace, or a LOG line the walk put in a pod's namespace. */
  source: 'trace' | 'log';
  table?: string;
  chain?: string;
  /** For TRACE: the rule matched ("rule"), a return from a user chain, or the chain's policy. */
  what?: 'rule' | 'return' | 'policy';
  ruleNumber?: number;
  /** For the walk's LOG lines: the number of the namespace it logged in, and which way the packet went. */
  namespaceIndex?: number;
  direction?: 'in' | 'out';
  in: string;
  out: string;
  physIn?: string;
  physOut?: string;
  packet: LoggedPacket;
}

/** The prefix the walk's LOG rules write in pods' namespaces: "pw-walk <n> in: ". */
export const WALK_LOG_PREFIX = 'pw-walk';

const STAMP = /^\[\s*(\d+\.\d+)\]\s*/;
const TRACE = /^TRACE: ([\w-]+):([^:\s]+):(rule|return|policy):(\d+)\s/;
const WALK_LOG = new RegExp(`^${WALK_LOG_PREFIX} (\\d+) (in|out): `);

/** The KEY=value fields of a log line, and its bare words (DF, SYN, ACK...), in order. */
function fieldsOf(text: string): { fields: Map<string, string[]>; words: string[] } {
  const fields = new Map<string, string[]>();
  const words: string[] = [];
  for (const token of text.split(/\s+/)) {
    const equals = token.indexOf('=');
    if (equals > 0) {
      const key = token.slice(0, equals);
      fields.set(key, [...(fields.get(key) ?? []), token.slice(equals + 1)]);
    } else if (/^[A-Z]+$/.test(token)) {
      words.push(token);
    }
  }
  return { fields, words };
}

const TCP_FLAG_WORDS = new Set(['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN']);

function packetOf(text: string): LoggedPacket | undefined {
  const { fields, words } = fieldsOf(text);
  const first = (key: string) => fields.get(key)?.[0];
  const number = (value: string | undefined) => (value === undefined || !/^\d+$/.test(value) ? undefined : Number(value));
  const src = first('SRC');
  const dst = first('DST');
  const protocol = first('PROTO');
  if (!src || !dst || !protocol) return undefined;
  const packet: LoggedPacket = { src, dst, protocol, length: number(first('LEN')) ?? 0 };
  const ttl = number(first('TTL'));
  if (ttl !== undefined) packet.ttl = ttl;
  const sport = number(first('SPT'));
  const dport = number(first('DPT'));
  if (sport !== undefined) packet.sport = sport;
  if (dport !== undefined) packet.dport = dport;
  if (protocol === 'ICMP') {
    const type = number(first('TYPE'));
    if (type !== undefined) packet.icmpType = type;
    // The first ID= is the IP header's; an echo's own id follows TYPE and CODE.
    const echoId = number(fields.get('ID')?.[1]);
    if (echoId !== undefined) packet.icmpId = echoId;
  }
  if (protocol === 'TCP') packet.tcpFlags = words.filter((word) => TCP_FLAG_WORDS.has(word));
  return packet;
}

/** One line of dmesg, if it is a TRACE line or one of the walk's LOG lines. */
export function parseLogLine(line: string): LoggedEvent | undefined {
  const stamp = STAMP.exec(line);
  if (!stamp) return undefined;
  const rest = line.slice(stamp[0].length);
  const trace = TRACE.exec(rest);
  const log = trace ? null : WALK_LOG.exec(rest);
  if (!trace && !log) return undefined;
  const body = rest.slice((trace ?? log)![0].length - (trace ? 1 : 0));
  const packet = packetOf(body);
  if (!packet) return undefined;
  const { fields } = fieldsOf(body);
  const event: LoggedEvent = {
    time: Number(stamp[1]),
    source: trace ? 'trace' : 'log',
    in: fields.get('IN')?.[0] ?? '',
    out: fields.get('OUT')?.[0] ?? '',
    packet,
  };
  const physIn = fields.get('PHYSIN')?.[0];
  const physOut = fields.get('PHYSOUT')?.[0];
  if (physIn) event.physIn = physIn;
  if (physOut) event.physOut = physOut;
  if (trace) {
    event.table = trace[1]!;
    event.chain = trace[2]!;
    event.what = trace[3] as 'rule' | 'return' | 'policy';
    event.ruleNumber = Number(trace[4]);
  } else {
    event.namespaceIndex = Number(log![1]);
    event.direction = log![2] as 'in' | 'out';
  }
  return event;
}

/** The TRACE and walk LOG lines of a dmesg dump, logged at or after `since` (seconds of uptime). */
export function parseKernelLog(text: string, since = 0): LoggedEvent[] {
  return text.split('\n').flatMap((line) => {
    const event = parseLogLine(line.trim());
    return event && event.time >= since ? [event] : [];
  });
}
