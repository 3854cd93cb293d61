// The kubelet's readiness probes on a node (kube-cluster's runtime): one command per probe round
// and node, the round's probes side by side in bash. As the real kubelet does, httpGet and
// tcpSocket connect from the node (its network namespace) to the pod's address, and an exec
// probe runs in the pod (here only the pod's network namespace: a pod is a namespace and a
// process on the node's filesystem). bash's /dev/tcp makes the connection; `timeout` ends a
// probe after its timeoutSeconds. The messages are upstream's (pkg/probe/http, tcp, exec), as
// `kubectl describe pod` shows them in the Unhealthy events.
import type { ProbeRequest } from '../kube/controllers/kubelet.js';
import type { ProbeOutcome } from '../kube/controllers/probe.js';
import { shellQuote } from './scripts.js';


/** The functions a round calls; each prints "N RESULT MESSAGE" (N: the probe's place in the round). */
export const PROBE_FUNCTIONS = String.raw`# http_get N TIMEOUT HOST PORT PATH [HEADER]...: a status from 200 to 399 is success.
http_get() {
  local n=$1 t=$2 host=$3 port=$4 path=$5 reply code rc why; shift 5
  # The request is built, then written (command substitution drops its last newline: printed again);
  # SIGPIPE is ignored, so a server that answers and closes before it has read it all cannot kill the sender.
  reply=$(timeout "$t" bash -c 'trap "" PIPE; exec 3<>"/dev/tcp/$1/$2" || exit 7
    request=$(printf "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: kube-probe/1.20\r\nAccept: */*\r\n" "$3" "$1" "$2"; shift 3
      for h in "$@"; do printf "%s\r\n" "$h"; done; printf "Connection: close\r\n\r\n")
    printf "%s\n" "$request" >&3 2>/dev/null
    head -n 1 <&3' _ "$host" "$port" "$path" "$@" 2>&1)
  rc=$?
  case $rc in
    0) read -r _ code _ <<<"$reply"
       if [ "\${code:-0}" -ge 200 ] 2>/dev/null && [ "$code" -lt 400 ]; then echo "$n success"
       else echo "$n failure HTTP probe failed with statuscode: \${code:-none}"; fi ;;
    124) echo "$n failure Get \"http://$host:$port$path\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)" ;;
    *) why=$(sed -n 's/.*connect: //p' <<<"$reply" | head -n 1)
       if [ -n "$why" ]; then echo "$n failure Get \"http://$host:$port$path\": dial tcp $host:$port: connect: \${why,,}"
       else echo "$n failure Get \"http://$host:$port$path\": exit $rc $(head -n 1 <<<"$reply")"; fi ;;
  esac
}
# tcp_socket N TIMEOUT HOST PORT: success when the connection opens.
tcp_socket() {
  local reply
  reply=$(timeout "$2" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$3" "$4" 2>&1)
  case $? in
    0) echo "$1 success" ;;
    124) echo "$1 failure dial tcp $3:$4: i/o timeout" ;;
    *) reply=$(sed -n 's/.*connect: //p' <<<"$reply" | head -n 1); echo "$1 failure dial tcp $3:$4: connect: \${reply,,}" ;;
  esac
}
# exec_in N TIMEOUT POD COMMAND...: the command in the pod's network namespace; exit 0 is success.
exec_in() {
  local n=$1 t=$2 pod=$3 out; shift 3
  out=$(timeout "$t" ip netns exec "$pod" "$@" 2>&1)
  case $? in
    0) echo "$n success" ;;
    124) echo "$n failure command timed out" ;;
    *) echo "$n failure $(tr '\n' ' ' <<<"$out")" ;;
  esac
}
`.replace(/\\\$\{/g, '${');

/** One round's script: the functions, then every probe in the background, then wait. */
export function probeScript(probes: readonly ProbeRequest[], sandbox: (pod: ProbeRequest['pod']) => string): string {
  const lines = probes.map((p, n) => {
    const a = p.action;
    const args = a.type === 'httpGet'
      ? ['http_get', String(n), String(p.timeoutSeconds), a.host, String(a.port), a.path, ...a.headers.map((h) => `${h.name}: ${h.value}`)]
      : a.type === 'tcpSocket'
        ? ['tcp_socket', String(n), String(p.timeoutSeconds), a.host, String(a.port)]
        : ['exec_in', String(n), String(p.timeoutSeconds), sandbox(p.pod), ...a.command];
    return `${args.map((x, i) => (i === 0 ? x : shellQuote(x))).join(' ')} &`;
  });
  return `${PROBE_FUNCTIONS}${lines.join('\n')}\nwait\n`;
}

/** The round's output, one outcome per probe in order (a probe that printed nothing erred). */
export function parseProbeOutput(stdout: string, count: number): ProbeOutcome[] {
  const outcomes: ProbeOutcome[] = Array.from({ length: count }, () => ({ result: 'error', message: 'the probe printed nothing' }));
  for (const line of stdout.split('\n')) {
    const m = /^(\d+) (success|failure) ?(.*)$/.exec(line);
    if (m && Number(m[1]) < count) outcomes[Number(m[1])] = { result: m[2] as 'success' | 'failure', message: m[3]!.trim() };
  }
  return outcomes;
}
