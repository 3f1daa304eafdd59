import { openStore } from '../store/open';
import type { BenchBackend } from './backends';
import { elapsedSeconds, fmt, ofBaseline, type Print } from './figures';
import { benchCallback, noMerge } from './pending-rows';

export interface CreationSizes {
  rawRows: number;
  singleCreates: number;
  batchedCreates: number;
}

/** Callbacks per createMany call: what an import script or a burst of IVR bookings would hand over. */
const BATCH = 1000;

async function createRate(backend: BenchBackend, count: number, batched: boolean): Promise<number> {
  const database = await backend.database(batched ? 'create-many' : 'create-one');
  const store = await openStore(database.config);
  try {
    const now = Date.now();
    const start = process.hrtime.bigint();
    if (batched) {
      for (let from = 0; from < count; from += BATCH) {
        const items = [];
        for (let i = from; i < Math.min(count, from + BATCH); i++) items.push({ callback: benchCallback(i, now), events: [{ type: 'Created' as const }] });
        await store.createMany(items, noMerge);
      }
    } else {
      for (let i = 0; i < count; i++) await store.createOrMerge(benchCallback(i, now), [{ type: 'Created' }], noMerge);
    }
    return count / elapsedSeconds(start);
  } finally {
    await store.close();
    await database.remove();
  }
}

/**
 * The raw insert ceiling of each backend (the baseline its other write figures are divided by),
 * then creation through the store, one by one and batched. Returns each backend's ceiling.
 */
export async function runCreationBench(backends: readonly BenchBackend[], sizes: CreationSizes, print: Print): Promise<Map<BenchBackend, number>> {
  const raw = new Map<BenchBackend, number>();
  for (const backend of backends) {
    const rate = await backend.rawCeiling(sizes.rawRows);
    raw.set(backend, rate);
    print(`${backend.name}: raw insert, bare table (no key, no index), ${fmt(sizes.rawRows)} rows in one transaction: ${fmt(rate)} rows/s (the baseline "raw")`);
  }
  for (const batched of [false, true]) {
    for (const backend of backends) {
      const count = batched ? sizes.batchedCreates : sizes.singleCreates;
      const rate = await createRate(backend, count, batched);
      const how = batched ? `createMany, ${fmt(BATCH)} per call (one transaction each)` : 'createOrMerge one by one (a transaction each)';
      print(`${backend.name}: ${how}, ${fmt(count)} callbacks with one event each: ${fmt(rate)} callbacks/s (${ofBaseline(rate, raw.get(backend) as number, 'raw')})`);
    }
  }
  return raw;
}
