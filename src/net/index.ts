// Public surface of the virtual network. See README.md for how frames flow between these pieces.

export type { FramePort, WiredPort } from './ports.js';
export { framePort, wire } from './ports.js';
export {
  LearningSwitch,
  SwitchPort,
  type LearningSwitchOptions,
  type MacTableEntry,
  type PortCounters,
  type StormLimit,
} from './switch.js';
export { Link, type LinkDirectionCounters, type LinkOptions } from './link.js';
export {
  Router,
  RouterInterface,
  type LocalService,
  type RouterCounters,
  type RouterInterfaceConfig,
  type RouterOptions,
} from './router.js';
export type { RouteView } from './routing-table.js';
export type { NeighborView } from './neighbors.js';
export { TcpEndpoint, MAX_OUT_OF_ORDER, type StreamHandler, type TcpEndpointCounters, type TcpEndpointOptions, type TcpListen, type TcpStream } from './tcp-endpoint.js';
export { CaptureRing, cursorOf, framesSince, type CaptureCursor, type CapturedFrame, type CaptureRingOptions, type PacketRecord } from './capture.js';
export { readPcapng, writePcapng, type CaptureFile, type CaptureFileInterface, type PcapngWriteOptions } from './pcapng.js';
export { readCaptureFile, readPcap } from './pcap.js';
export { benchSwitch, type SwitchBenchOptions, type SwitchBenchResult } from './bench.js';
export { cidrContains, formatIpv4, formatIpv6, formatMac, ipInCidr, networkOf, parseCidr, parseIp, parseIpv4, parseIpv6, parseMac } from './addr.js';
// Protocol bytes (offsets, readers, builders) are imported from './wire/index.js' directly: its
// names are many, and `wire` here is already the bare cable.
export * from './decode/index.js';
