// A lab as data: what the lab file says, after it has been checked.
import type { Topology } from '../topology/topology.js';
import type { Check } from '../checks/registry.js';
import type { Variable } from './template.js';

export type { Check } from '../checks/registry.js';

/** Commands per node, run through the agent. */
export type NodeCommands = Record<string, string>;

/** One object of a lab's `kubernetes.manifests`, as written (read as YAML, never run). */
export interface KubeManifest { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } & Record<string, unknown>; [field: string]: unknown }

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
  /** The lab runs with the Kubernetes control plane (harness/kube-lab.ts), started after the setup with these objects, on these nodes (all of the topology's when absent), with the cluster DNS if `dns`. */
  kubernetes?: {
    manifests: KubeManifest[]; nodes?: string[]; dns?: boolean;
    /** The step (0-based) at which the control plane starts; 0 when absent. */
    fromStep?: number;
  };
  /** Markdown before the first step. */
  intro: string;
  steps: Step[];
  /** Text in other languages: title, summary, intro and step text by step id. */
  locales: Record<string, { title: string; summary: string; intro: string; steps: Record<string, { title: string; text: string; hints: string[] }> }>;
  /** The file the lab was read from, for messages. */
  source: string;
  /** The variables the lab file declares, in order; `{{name}}` in its text stands for their values. */
  variables: Variable[];
  /** The value of each variable this lab was made with: the defaults, or those a seed picked. */
  values: Record<string, string>;
  /** The seed the values were picked with (see variables.ts); none for the defaults. */
  seed?: string;
  /** The lab's files as written, placeholders and all, so that instantiateLab can make it again with a seed. */
  files: { text: string; locales: Record<string, { file: string; text: string }> };
}
