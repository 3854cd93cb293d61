import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  formatCidr,
  formatIpv4,
  formatIpv6,
  formatMac,
  ipInCidr,
  macKey,
  macKeyToString,
  networkOf,
  parseCidr,
  parseIp,
  parseIpv4,
  parseIpv6,
  parseMac,
  prefixMask,
  tryParseCidr,
  tryParseIpv4,
  tryParseIpv6,
} from '../../../src/net/addr.js';
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

describe('IPv6', () => {
  it('parses the shortened forms and an IPv4 tail', () => {
    expect(parseIpv6('2001:db8::1')).toBe(0x20010db8000000000000000000000001n);
    expect(parseIpv6('::')).toBe(0n);
    expect(parseIpv6('::ffff:10.0.0.1')).toBe(0xffff0a000001n);
    expect(parseIpv6('FE80::C425:56FF:FE56:8460')).toBe(parseIpv6('fe80:0:0:0:c425:56ff:fe56:8460'));
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::1:2:3:4:5:6:7:8', 'g::1', '::ffff:10.0.0.256', '10.0.0.1', '']) {
      expect(tryParseIpv6(bad), bad).toBeUndefined();
    }
    expect(() => parseIpv6('x')).toThrow(/invalid IPv6/);
  });

  it('formats as RFC 5952 says: lowercase, the longest zero run (two or more groups) as ::', () => {
    expect(formatIpv6(parseIpv6('2001:0db8:0000:0000:0000:ff00:0042:8329'))).toBe('2001:db8::ff00:42:8329');
    expect(formatIpv6(parseIpv6('2001:db8:0:1:0:0:0:1'))).toBe('2001:db8:0:1::1');
    expect(formatIpv6(parseIpv6('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(0n)).toBe('::');
    expect(formatIpv6(1n)).toBe('::1');
  });
});

describe('CIDRs', () => {
  it('finds the network and answers containment for IPv4 prefixes', () => {
    const cidr = parseCidr('10.0.1.77/24');
    expect(formatCidr(networkOf(cidr))).toBe('10.0.1.0/24');
    expect(formatCidr(networkOf(parseCidr('10.0.1.77/32')))).toBe('10.0.1.77/32');
    expect(formatCidr(networkOf(parseCidr('10.0.1.77/0')))).toBe('0.0.0.0/0');
    expect(cidrContains(cidr, parseIpv4('10.0.1.255'))).toBe(true);
    expect(cidrContains(cidr, parseIpv4('10.0.2.0'))).toBe(false);
    expect(tryParseCidr('10.0.0.0/8/1')).toBeUndefined();
    expect(tryParseCidr('10.0.0.0')).toBeUndefined();
  });

  it('answers containment in either family from text', () => {
    expect(parseIp('10.1.2.3')).toEqual({ value: 0x0a010203n, bits: 32 });
    expect(parseIp('::1')).toEqual({ value: 1n, bits: 128 });
    expect(parseIp('10.1.2')).toBeNull();
    expect(ipInCidr('10.244.1.2', '10.244.0.0/16')).toBe(true);
    expect(ipInCidr('fd00::5', 'fd00::/8')).toBe(true);
    expect(ipInCidr('fd00::5', '10.0.0.0/8')).toBe(false);
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
