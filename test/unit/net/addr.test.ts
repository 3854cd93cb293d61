import { describe, expect, it } from 'vitest';
import { formatIpv4, formatMac, macKey, macKeyToString, parseCidr, parseIpv4, parseMac, prefixMask, tryParseIpv4 } from '../../../src/net/addr.js';
import { checksumIsValid, internetChecksum } from '../../../src/net/checksum.js';
import { bytes } from './frames.js';

describe('addresses', () => {
  it('round-trips MACs, including through the numeric table key', () => {
    const mac = parseMac('0A:58:0a:f4:01:FF');
    expect(formatMac(mac)).toBe('0a:58:0a:f4:01:ff');
    expect(macKey(mac, 0)).toBe(0x0a580af401ff);
    expect(macKeyToString(0xffffffffffff)).toBe('ff:ff:ff:ff:ff:ff');
    expect(() => parseMac('0a:58:0a:f4:01')).toThrow(/invalid MAC/);
  });

  it('parses IPv4 and CIDR strictly', () => {
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIpv4(parseIpv4('10.244.1.2'))).toBe('10.244.1.2');
    for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '']) expect(tryParseIpv4(bad)).toBeUndefined();
    expect(parseCidr('10.244.0.0/16')).toEqual({ address: parseIpv4('10.244.0.0'), prefixLength: 16 });
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/invalid CIDR/);
    expect([prefixMask(0), prefixMask(24), prefixMask(32)]).toEqual([0, 0xffffff00, 0xffffffff]);
  });
});

describe('internet checksum', () => {
  it('matches a known IPv4 header (checksum 0xb861)', () => {
    const header = bytes([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]);
    expect(internetChecksum(header)).toBe(0xb861);
    header.set([0xb8, 0x61], 10);
    expect(checksumIsValid(header, 0, header.length)).toBe(true);
  });

  it('handles odd lengths by padding with a zero byte', () => {
    expect(internetChecksum(bytes([0x01]))).toBe(0xfeff);
  });
});
