// Counter values as iptables prints them: exact integers, or `-L`'s human units (1445K, 12M, 3G, 1T).
import type { Counters } from '../model/types';

/** Counters `[0:0]`, the most common value by far: one shared (frozen) object instead of one per chain or rule. */
export const ZERO_COUNTERS: Counters = Object.freeze({ packets: 0, bytes: 0, approximate: false });

/** Counters as a parse keeps them: the shared zero, or a new object. */
export function newCounters(packets: number, bytes: number, approximate: boolean): Counters {
  return packets === 0 && bytes === 0 && !approximate ? ZERO_COUNTERS : { packets, bytes, approximate };
}

const UNIT: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** Parses `123`, `1445K`, `12M` …; returns undefined when `text` is not a counter. */
export function parseCounterValue(text: string): { value: number; approximate: boolean } | undefined {
  const match = /^(\d+)([KMGTP]?)$/.exec(text);
  if (!match) {
    return undefined;
  }
  const unit = match[2];
  return unit ? { value: Number(match[1]) * UNIT[unit], approximate: true } : { value: Number(match[1]), approximate: false };
}

/** Builds counters from a packets and a bytes column; undefined when either is not a counter. */
export function parseCounters(packets: string, bytes: string): Counters | undefined {
  const p = parseCounterValue(packets);
  const b = parseCounterValue(bytes);
  if (!p || !b) {
    return undefined;
  }
  return newCounters(p.value, b.value, p.approximate || b.approximate);
}

/** Formats a count in human units the way a reader wants it: `1,234`, `1.4 K`, `12.3 M`. */
export function formatCount(value: number): string {
  if (value < 10000) {
    return String(value);
  }
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) {
    if (value >= size) {
      return `${(value / size).toFixed(1)}${unit}`;
    }
  }
  return String(value);
}

/** `1.4K packets, 2.1M bytes` (with `≈` when the dump printed rounded units). */
export function formatCounters(counters: Counters): string {
  const approx = counters.approximate ? '≈' : '';
  return `${approx}${formatCount(counters.packets)} packets, ${approx}${formatCount(counters.bytes)} bytes`;
}
