import fs from 'node:fs';

/** How the bench prints and summarises what it measured. It measures; it asserts nothing. */

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A figure against the same run's baseline, e.g. "0.412 of raw" or "1.30x bare node". */
export function ofBaseline(value: number, baseline: number, name: string, digits = 3): string {
  return `${fmt(value / baseline, digits)} of ${name}`;
}

export function timesBaseline(value: number, baseline: number, name: string): string {
  return `${fmt(value / baseline, 2)}x ${name}`;
}

export interface Spread {
  median: number;
  p99: number;
  max: number;
  count: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

export function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, count: sorted.length };
}

/** "median 41.2 µs, p99 90.1 µs, max 230.0 µs" */
export function describeSpread(s: Spread, unit: string, digits = 1, withP99 = true): string {
  const p99 = withP99 ? `, p99 ${fmt(s.p99, digits)} ${unit}` : '';
  return `median ${fmt(s.median, digits)} ${unit}${p99}, max ${fmt(s.max, digits)} ${unit}`;
}

export function elapsedUs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

export function elapsedSeconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function mb(bytes: number): number {
  return bytes / 1024 / 1024;
}

/** Resident memory of another process (Linux /proc). */
export function rssMBOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** The environment for a child callbackd: this one's without CALLBACKD_*, plus `vars`. */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CALLBACKD_')) env[k] = v;
  return { ...env, ...vars };
}

/** Line printer; every line names its backend, so the two halves can be read side by side. */
export type Print = (line: string) => void;

/** The stderr line a process spied on by commit-spy.ts ends with: `bench-committed-at <epoch ms>`. */
export const COMMITTED_AT = 'bench-committed-at';
