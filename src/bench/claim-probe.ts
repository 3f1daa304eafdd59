// Measures a filled store the way a daemon meets it: a fresh process opens it, then claims.
// claim-bench.ts runs it as a child, so the memory used to fill the store does not count.
// Usage: claim-probe STORE_CONFIG_JSON CLAIMS QUEUE ; prints one JSON line.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { CallbackStore, ClaimRequest } from '../domain/store';
import { openStore, type StoreConfig } from '../store/open';
import { elapsedUs, mb, spread, type Spread } from './figures';
import { benchCallback, noMerge, PBX } from './pending-rows';

export interface ClaimProbeResult {
  /** `SELECT 1` on a connection of its own to the same database: the floor under any store call. */
  roundTrip: Spread;
  rssBeforeOpenMB: number;
  rssMB: number;
  openToFirstNextDueMs: number;
  claim: Spread;
  /** Claims told that `queue` is full (its limit 0): they must find the earliest due of the others. */
  claimSkipping: Spread;
  nextDue: Spread;
  nextDueSkipping: Spread;
  /** countPending of one queue (an eighth of the rows): it counts the queue's pending rows, so it grows with them. */
  countPendingMs: number;
  countedPending: number;
  /** createOrMerge of a new callback (its own number) into the filled store: an IVR booking. */
  create: Spread;
}

/**
 * Claims left outstanding while the next ones are timed, as on a PBX with this many slots busy:
 * every claim counts the slots in use in its own transaction. Older ones are settled (cancelled)
 * outside the timing, so the pending set shrinks by one per claim, as when callbacks are dialled.
 */
export const OUTSTANDING = 20;

/** New callbacks written into the filled store, each timed. */
export const CREATES = 100;

/** Limits high enough that only the queue told to be full ever stops a claim. */
function request(now: number, fullQueue?: string): ClaimRequest {
  return { owner: 'bench-probe', pbx: PBX, now, leaseMs: 600_000, maxConcurrent: 1_000_000, queueLimits: fullQueue ? { [fullQueue]: 0 } : {} };
}

async function settle(store: CallbackStore, id: string): Promise<void> {
  await store.commit({ callbackId: id, at: Date.now(), from: 'Scheduled', event: 'cancel', to: 'Cancelled' });
}

async function timedClaims(store: CallbackStore, count: number, now: number, fullQueue?: string): Promise<number[]> {
  const times: number[] = [];
  const held: string[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const { callback } = await store.claimNextDue(request(now, fullQueue));
    times.push(elapsedUs(start));
    if (!callback) break;
    if (callback.queue === fullQueue) throw new Error(`a claim skipping ${fullQueue} took a callback of ${fullQueue}`);
    held.push(callback.id);
    if (held.length > OUTSTANDING) await settle(store, held.shift() as string);
  }
  for (const id of held) await settle(store, id);
  return times;
}

async function timed(count: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await work(i);
    times.push(elapsedUs(start));
  }
  return times;
}

async function roundTrip(config: StoreConfig): Promise<Spread> {
  if (config.store === 'sqlite') {
    const db = new Database(config.db, { readonly: true });
    const select = db.prepare('SELECT 1');
    try {
      return spread(await timed(1000, async () => select.get()));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: config.storeUrl });
  await client.connect();
  try {
    return spread(await timed(1000, () => client.query('SELECT 1')));
  } finally {
    await client.end();
  }
}

export async function probe(config: StoreConfig, claims: number, queue: string): Promise<ClaimProbeResult> {
  const rssBeforeOpenMB = mb(process.memoryUsage().rss);
  const opening = process.hrtime.bigint();
  const store = await openStore(config, { create: false });
  try {
    await store.nextDueAt(PBX);
    const openToFirstNextDueMs = elapsedUs(opening) / 1000;
    const now = Date.now();
    const claim = spread(await timedClaims(store, claims, now));
    const claimSkipping = spread(await timedClaims(store, Math.min(claims, 200), now, queue));
    const nextDue = spread(await timed(200, () => store.nextDueAt(PBX)));
    const nextDueSkipping = spread(await timed(200, () => store.nextDueAt(PBX, [queue])));
    const floor = await roundTrip(config);
    const counting = process.hrtime.bigint();
    const countedPending = await store.countPending(queue);
    const countPendingMs = elapsedUs(counting) / 1000;
    const create = spread(await timed(CREATES, (i) => store.createOrMerge(benchCallback(i, now), [{ type: 'Created' }], noMerge)));
    return { create, roundTrip: floor, rssBeforeOpenMB, rssMB: mb(process.memoryUsage().rss), openToFirstNextDueMs, claim, claimSkipping, nextDue, nextDueSkipping, countPendingMs, countedPending };
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  const [config, claims, queue] = process.argv.slice(2);
  probe(JSON.parse(config) as StoreConfig, Number(claims), queue).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
