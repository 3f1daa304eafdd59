// Measures a store the way the daemon meets it: a fresh process opens a filled file, then claims.
// Run by store-bench.ts as a child so the figures do not include the memory used to fill the file.
// Usage: store-probe FILE CLAIMS QUEUE ; prints one JSON line.
import { SqliteStore } from '../store/sqlite-store';

export interface ProbeResult {
  rssBeforeOpenMB: number;
  rssMB: number;
  openToFirstNextDueMs: number;
  claimMedianUs: number;
  claimP99Us: number;
  claimMaxUs: number;
  claimed: number;
  /** Claims told to skip the queue holding the probed share of due rows. */
  skipClaimMedianUs: number;
  skipClaimP99Us: number;
  nextDueMedianUs: number;
  /** countPending of the biggest queue: it counts index entries, so it grows with the queue. */
  countPendingMs: number;
  countedPending: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function elapsedUs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

export function probe(file: string, claims: number, queue: string): ProbeResult {
  const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const rssBeforeOpenMB = mb(process.memoryUsage().rss);
  const opening = process.hrtime.bigint();
  const store = SqliteStore.open(file);
  store.nextDueAt();
  const openToFirstNextDueMs = elapsedUs(opening) / 1000;
  try {
    const now = Date.now();
    const claimTimes: number[] = [];
    for (let i = 0; i < claims; i++) {
      const start = process.hrtime.bigint();
      const callback = store.claimNextDue('bench', now, 60_000);
      claimTimes.push(elapsedUs(start));
      if (!callback) break;
    }
    const skipTimes: number[] = [];
    for (let i = 0; i < Math.min(claims, 200); i++) {
      const start = process.hrtime.bigint();
      const callback = store.claimNextDue('bench', now, 60_000, [queue]);
      skipTimes.push(elapsedUs(start));
      if (!callback) break;
    }
    const nextDueTimes: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = process.hrtime.bigint();
      store.nextDueAt();
      nextDueTimes.push(elapsedUs(start));
    }
    const counting = process.hrtime.bigint();
    const countedPending = store.countPending(queue);
    const countPendingMs = elapsedUs(counting) / 1000;
    claimTimes.sort((a, b) => a - b);
    skipTimes.sort((a, b) => a - b);
    nextDueTimes.sort((a, b) => a - b);
    return {
      rssBeforeOpenMB,
      rssMB: mb(process.memoryUsage().rss),
      openToFirstNextDueMs,
      claimMedianUs: percentile(claimTimes, 50),
      claimP99Us: percentile(claimTimes, 99),
      claimMaxUs: claimTimes[claimTimes.length - 1] ?? NaN,
      claimed: claimTimes.length,
      skipClaimMedianUs: percentile(skipTimes, 50),
      skipClaimP99Us: percentile(skipTimes, 99),
      nextDueMedianUs: percentile(nextDueTimes, 50),
      countPendingMs,
      countedPending,
    };
  } finally {
    store.close();
  }
}

if (require.main === module) {
  const [file, claims, queue] = process.argv.slice(2);
  process.stdout.write(`${JSON.stringify(probe(file, Number(claims), queue))}\n`);
}
