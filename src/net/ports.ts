// The one seam every device shares. A VM NIC, a switch port, a router interface and a link end
// are all just "something a frame can be handed to", so any of them can be wired to any other.

/**
 * Anything that can receive an Ethernet frame.
 * deliver() takes ownership of the frame: the receiver may keep, mutate or transfer it
 * (e.g. postMessage to a worker), so a sender must not touch it afterwards.
 */
export interface FramePort {
  readonly name: string;
  deliver(frame: Uint8Array): void;
}

/** A device port that also transmits: connect() says where its outgoing frames go. */
export interface WiredPort extends FramePort {
  connect(peer: FramePort | null): void;
}

/** Back-to-back cable with no properties; use Link when latency, loss, MTU or capture matter. */
export function wire(a: WiredPort, b: WiredPort): void {
  a.connect(b);
  b.connect(a);
}

/** Wraps a callback as a FramePort: handy for VM adapters, taps and tests. */
export function framePort(name: string, deliver: (frame: Uint8Array) => void): FramePort {
  return { name, deliver };
}
