// A cluster's topology as plain data, in the spirit of Mininet: which nodes, on
// which segments, with which addresses. Cluster brings it up; nothing here runs.
import { formatIpv4, networkOf, parseCidr } from '../net/addr.js';

export interface SegmentSpec {
  name: string;
  /** The segment's subnet, e.g. 10.0.1.0/24. */
  subnet: string;
  /** The router's address on this segment; defaults to the first host address. */
  gateway?: string;
}

export interface NodeSpec {
  name: string;
  segment?: string;
  /** Underlay address with prefix; defaults to .11, .12, ... of the segment. */
  address?: string;
  /** The pod CIDR this node hands out; defaults to 10.244.<n>.0/24. */
  podCidr?: string;
}

/**
 * The guest memory sizes a lab may give its nodes, in MB (Topology.memoryMb). A saved state
 * only restores into a machine of its own size, so each size has a base snapshot of its own.
 */
export const NODE_MEMORY_SIZES = [128, 256] as const;
/** A node's memory unless its lab asks for more: the smallest size at which every lab's solution passes. */
export const DEFAULT_NODE_MEMORY_MB = 128;
/** The largest size: the bound on what a node's saved state may hold. */
export const MAX_NODE_MEMORY_MB = Math.max(...NODE_MEMORY_SIZES);

export interface LinkSpec { latencyMs?: number; lossProbability?: number; mtu?: number; dropFragments?: boolean }

export interface Topology {
  nodes: NodeSpec[];
  segments?: SegmentSpec[];
  links?: LinkSpec;
  /** Every node's memory in MB, one of NODE_MEMORY_SIZES; DEFAULT_NODE_MEMORY_MB when absent. */
  memoryMb?: number;
}

/** The memory every node of `topology` has, in MB. */
export function nodeMemoryOf(topology: Pick<Topology, 'memoryMb'>): number {
  const memoryMb = topology.memoryMb ?? DEFAULT_NODE_MEMORY_MB;
  if (!(NODE_MEMORY_SIZES as readonly number[]).includes(memoryMb)) throw new Error(`a node has ${NODE_MEMORY_SIZES.join(' or ')} MB of memory, not ${memoryMb}`);
  return memoryMb;
}

export interface ResolvedNode { name: string; segment: string; address: string; podCidr: string; mac: string; gateway: string }
export interface ResolvedTopology { nodes: ResolvedNode[]; segments: (SegmentSpec & { gateway: string })[]; links: LinkSpec }

function subnetOf(segment: SegmentSpec): { address: number; prefixLength: number } {
  try {
    return networkOf(parseCidr(segment.subnet));
  } catch {
    throw new Error(`segment ${segment.name}: '${segment.subnet}' is not an IPv4 subnet like 10.0.1.0/24`);
  }
}

const NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** Fill in defaults and check the topology; errors name the node or segment at fault. */
export function resolveTopology(topology: Topology): ResolvedTopology {
  const segments = (topology.segments?.length ? topology.segments : [{ name: 'lan', subnet: '10.0.0.0/24' }]).map((segment) => {
    const cidr = subnetOf(segment);
    return { ...segment, gateway: segment.gateway ?? formatIpv4((cidr.address + 1) >>> 0) };
  });
  const seen = new Set<string>();
  const perSegment = new Map<string, number>();
  const nodes = topology.nodes.map((spec, index) => {
    if (!NAME.test(spec.name)) throw new Error(`node '${spec.name}': names are lower-case letters, digits and dashes, starting with a letter`);
    if (seen.has(spec.name)) throw new Error(`node '${spec.name}' is defined twice`);
    seen.add(spec.name);
    const segment = segments.find((s) => s.name === (spec.segment ?? segments[0]!.name));
    if (!segment) throw new Error(`node '${spec.name}': unknown segment '${spec.segment}' (known: ${segments.map((s) => s.name).join(', ')})`);
    const cidr = subnetOf(segment);
    const ordinal = perSegment.get(segment.name) ?? 0;
    perSegment.set(segment.name, ordinal + 1);
    const address = spec.address ?? `${formatIpv4((cidr.address + 11 + ordinal) >>> 0)}/${cidr.prefixLength}`;
    // Locally administered and unique per node: 02:50:00:00:<node number>.
    const mac = `02:50:00:00:${(((index + 1) >> 8) & 255).toString(16).padStart(2, '0')}:${((index + 1) & 255).toString(16).padStart(2, '0')}`;
    return {
      name: spec.name, segment: segment.name, address, mac,
      podCidr: spec.podCidr ?? `10.244.${index + 1}.0/24`,
      // Every segment has the router at its gateway address, like the upstream router
      // of a real node network; with several segments it also routes between them.
      gateway: segment.gateway,
    };
  });
  return { nodes, segments, links: topology.links ?? {} };
}
