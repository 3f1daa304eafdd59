import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchBackend, BenchDatabase } from './backends';
import { type ClaimProbeResult, OUTSTANDING } from './claim-probe';
import { describeSpread, fmt, ofBaseline, timesBaseline, type Print } from './figures';
import { QUEUES } from './pending-rows';

const run = promisify(execFile);

/** The queue the probe treats as full, and whose pending callbacks it counts. */
const PROBED_QUEUE = QUEUES[0];

async function runProbe(database: BenchDatabase, claims: number): Promise<ClaimProbeResult> {
  const script = path.join(__dirname, `claim-probe${path.extname(__filename)}`);
  const loader = path.extname(__filename) === '.ts' ? ['--require', require.resolve('tsx/cjs')] : [];
  const args = [...loader, script, JSON.stringify(database.config), String(claims), PROBED_QUEUE];
  const { stdout } = await run(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ClaimProbeResult;
}

export interface ClaimBenchOptions {
  /** Pending callbacks to measure at, smallest first, e.g. [10_000, 100_000, 1_000_000]. */
  sizes: readonly number[];
  claims: number;
  /** Each backend's raw insert ceiling, to put its bulk fill against. */
  raw: ReadonlyMap<BenchBackend, number>;
}

/**
 * Fills each backend with `size` pending callbacks and has a fresh process measure the dialer's
 * hot path on it. The database of the largest size is kept and returned (the daemon start is
 * measured on it); the caller removes it.
 */
export async function runClaimBench(backends: readonly BenchBackend[], opts: ClaimBenchOptions, print: Print): Promise<Map<BenchBackend, BenchDatabase>> {
  const kept = new Map<BenchBackend, BenchDatabase>();
  const first = new Map<BenchBackend, ClaimProbeResult>();
  for (const [index, size] of opts.sizes.entries()) {
    const last = index === opts.sizes.length - 1;
    for (const backend of backends) {
      const database = await backend.database(`pending-${size}`);
      try {
        const filled = await database.fillPending(size);
        const p = await runProbe(database, opts.claims);
        const at = `${backend.name}, ${fmt(size)} pending`;
        const base = first.get(backend) ?? p;
        first.set(backend, base);
        const growth = (now: number, then: number): string => (base === p ? '' : `; ${timesBaseline(now, then, `at ${fmt(opts.sizes[0])}`)}`);
        print(
          `${at}: bulk fill (schema, indexes) ${fmt(filled.rowsPerSecond)} rows/s (${ofBaseline(filled.rowsPerSecond, opts.raw.get(backend) as number, 'raw')}), ` +
            `${fmt(filled.sizeMB, 1)} MB; a fresh process: open + migrate + first nextDueAt ${fmt(p.openToFirstNextDueMs, 1)} ms, ` +
            `rss ${fmt(p.rssMB, 1)} MB (${fmt(p.rssBeforeOpenMB, 1)} MB before opening)`,
        );
        print(`${at}: bare SELECT 1 round trip (the baseline "ping"): ${describeSpread(p.roundTrip, 'µs')}`);
        print(
          `${at}: claimNextDue x${fmt(p.claim.count)} (${OUTSTANDING} claims outstanding): ${describeSpread(p.claim, 'µs')}; ` +
            `median ${timesBaseline(p.claim.median, p.roundTrip.median, 'ping')}${growth(p.claim.median, base.claim.median)}`,
        );
        print(
          `${at}: claimNextDue with one full queue (${PROBED_QUEUE}) x${fmt(p.claimSkipping.count)}: ${describeSpread(p.claimSkipping, 'µs')}; ` +
            `median ${timesBaseline(p.claimSkipping.median, p.roundTrip.median, 'ping')}${growth(p.claimSkipping.median, base.claimSkipping.median)}`,
        );
        print(
          `${at}: nextDueAt ${describeSpread(p.nextDue, 'µs', 1, false)}; skipping one queue ${describeSpread(p.nextDueSkipping, 'µs', 1, false)}; ` +
            `countPending of a queue with ${fmt(p.countedPending)} pending ${fmt(p.countPendingMs, 2)} ms`,
        );
        print(`${at}: createOrMerge of a new callback x${fmt(p.create.count)}: ${describeSpread(p.create, 'µs')}${growth(p.create.median, base.create.median)}`);
      } finally {
        if (last) kept.set(backend, database);
        else await database.remove();
      }
    }
  }
  return kept;
}
