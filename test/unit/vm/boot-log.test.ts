// A cold boot's phases from the kernel log, as `npm run bench` reports them.
import { describe, expect, it } from 'vitest';
import { coldBootPhases } from '../../../src/vm/boot-log.js';

// Lines as a node's dmesg has them (6.1.192-podwire, cold boot, 2026-12-04).
const DMESG = [
  '[    0.000000] Linux version 6.1.192-podwire (root@vm)',
  '[    1.606420] clocksource: Switched to clocksource tsc',
  '[    1.612588] Unpacking initramfs...',
  '[    6.221853] Freeing initrd memory: 20448K',
  '[    6.508923] Run /init as init process',
  '[    7.814015] bridge: filtering via arp/ip/ip6tables is no longer available by default.',
].join('\n');

describe('coldBootPhases', () => {
  it('splits the time to ready at the kernel\'s marks, and puts what came before its clock first', () => {
    const phases = coldBootPhases(DMESG, 10.5, 12.25)!;
    expect(phases.beforeKernel).toBeCloseTo(1.75, 6);
    expect(phases.kernelToInitramfs).toBeCloseTo(1.612588, 6);
    expect(phases.initramfs).toBeCloseTo(4.609265, 6);
    expect(phases.initramfsToInit).toBeCloseTo(0.28707, 6);
    expect(phases.initToReady).toBeCloseTo(3.991077, 6);
    const sum = Object.values(phases).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(12.25, 6);
  });

  it('is null when a mark is missing, rather than a phase made up', () => {
    expect(coldBootPhases(DMESG.replace(/.*Run \/init.*\n/, ''), 10.5, 12.25)).toBeNull();
    expect(coldBootPhases('', 10.5, 12.25)).toBeNull();
  });
});
