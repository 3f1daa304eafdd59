import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDaemonBench } from './daemon-bench';
import { runStoreBench } from './store-bench';

/** `npm run bench`: prints figures, asserts nothing. BENCH_QUICK=1 uses small sizes. */
async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-bench-'));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const sizes = quick ? [10_000] : [10_000, 100_000, 1_000_000];
    const { rawRate } = await runStoreBench({ dir, sizes, log, ...(quick ? { rawRows: 20_000, singleCreates: 1000, batchedCreates: 5000, claims: 200 } : {}) });
    await runDaemonBench({ dir, pending: quick ? 10_000 : 1_000_000, cli: path.join(__dirname, '..', 'cli.js'), rawRate, log });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
