// Every protocol's bytes, read and built in one place (in the manner of smoltcp's wire module):
// each file names its header's offsets as constants, reads a header into plain fields
// (`readX`, returning a WireError instead of throwing), and builds one (`buildX`, or `writeX`
// to write in place). The router, the decoders and the tests' frame builders all go through here.

export * from './bytes.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './ipip.js';
export * from './icmp.js';
export * from './udp.js';
export * from './tcp.js';
export * from './vxlan.js';
export * from './ipv6.js';
export * from './icmpv6.js';
export * from './dns.js';
