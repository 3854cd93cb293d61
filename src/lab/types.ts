// A lab as data: what the lab file says, after it has been checked.
import type { Topology } from '../topology/topology.js';

/** Commands per node, run through the agent. */
export type NodeCommands = Record<string, string>;

interface CheckBase {
  /** What the check looks for, in the learner's words; shown in reports. */
  name: string;
  node: string;
  /** Shown when this check fails, before the step's own hints. */
  hint?: string;
  /** Where the check is written, for messages: "labs/x/lab.md:42". */
  at: string;
}

export interface CommandCheck extends CheckBase {
  kind: 'command';
  run: string;
  timeout?: number;
  expect: { exitCode?: number; stdout?: string; stderr?: string; json?: { path: string; equals?: unknown; matches?: string } };
}
export interface AddressCheck extends CheckBase { kind: 'address'; netns?: string; dev?: string; in: string }
export interface RouteCheck extends CheckBase { kind: 'route'; netns?: string; destination: string; via?: string; dev?: string }
export interface LinkCheck extends CheckBase { kind: 'link'; netns?: string; link: string; type?: string; up?: boolean; master?: string; mtu?: number; vni?: number }
export interface NetnsCheck extends CheckBase { kind: 'netns'; netns: string; exists: boolean }
export interface IptablesCheck extends CheckBase { kind: 'iptables'; table: string; chain: string; rule?: string; policy?: string; exists: boolean }
export interface SysctlCheck extends CheckBase { kind: 'sysctl'; key: string; value: string }
export interface PingCheck extends CheckBase { kind: 'ping'; netns?: string; to: string; expect: 'success' | 'failure'; count?: number }
export interface IpamCheck extends CheckBase { kind: 'ipam'; network: string; leases: number }
export interface WireCheck extends CheckBase {
  kind: 'wire';
  /** Traffic to send while watching the wire, run on `node`. */
  trigger: string;
  protocol: 'icmp' | 'udp' | 'tcp';
  src?: string;
  dst?: string;
  /** The VXLAN network identifier the packet must be wrapped in. */
  vni?: number;
  /** true when it must be inside IP-in-IP. */
  ipip?: boolean;
  /** Only frames on this node's link count, e.g. "it reached node2". */
  on?: string;
}

export type Check = CommandCheck | AddressCheck | RouteCheck | LinkCheck | NetnsCheck | IptablesCheck | SysctlCheck | PingCheck | IpamCheck | WireCheck;
export type CheckKind = Check['kind'];

export interface Step {
  id: string;
  title: string;
  /** Markdown, from the step's section of the lesson. */
  text: string;
  checks: Check[];
  hints: string[];
  solution: NodeCommands;
}

export interface Lab {
  id: string;
  title: string;
  summary: string;
  level: 'beginner' | 'intermediate' | 'advanced';
  minutes: number;
  topology: Topology;
  setup: NodeCommands;
  /** Markdown before the first step. */
  intro: string;
  steps: Step[];
  /** Text in other languages: title, summary, intro and step text by step id. */
  locales: Record<string, { title: string; summary: string; intro: string; steps: Record<string, { title: string; text: string; hints: string[] }> }>;
  /** The file the lab was read from, for messages. */
  source: string;
}
