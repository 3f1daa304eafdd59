import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BenchBackend, type BenchDatabase, postgresBackend, sqliteBackend } from './backends';
import { runClaimBench } from './claim-bench';
import { runCreationBench } from './creation-bench';
import { runDaemonStartBench } from './daemon-start';
import { runDueToOriginateBench } from './due-to-originate';
import { fmt, type Print } from './figures';

/**
 * `npm run bench`: both store backends side by side, in one run on one machine, each figure put
 * against a baseline measured in the same run (machines here are noisy). Prints; asserts nothing.
 * BENCH_QUICK=1 uses small sizes (10k pending only).
 */
async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-bench-'));
  const print: Print = (line) => process.stdout.write(`${line}\n`);
  const cli = path.join(__dirname, '..', 'cli.js');
  const startedAt = process.hrtime.bigint();
  const part = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    const result = await work();
    print(`  (${name}: ${fmt(Number(process.hrtime.bigint() - start) / 1e9, 1)} s)`);
    return result;
  };
  let kept = new Map<BenchBackend, BenchDatabase>();
  try {
    const backends: BenchBackend[] = [sqliteBackend(dir)];
    const postgres = await postgresBackend();
    if (typeof postgres === 'string') print(`PostgreSQL: not measured: ${postgres}`);
    else backends.push(postgres);
    print(`callbackd bench${quick ? ' (BENCH_QUICK=1: small sizes)' : ''}: node ${process.version}, ${os.cpus().length} CPUs, ${fmt(os.totalmem() / 2 ** 30, 1)} GB`);
    for (const backend of backends) print(`${backend.name}: ${await backend.describe()}`);

    const sizes = quick ? [10_000] : [10_000, 100_000, 1_000_000];
    const creation = quick ? { rawRows: 20_000, singleCreates: 1000, batchedCreates: 5000 } : { rawRows: 200_000, singleCreates: 5000, batchedCreates: 50_000 };
    const raw = await part('raw insert and creation', () => runCreationBench(backends, creation, print));
    kept = await part('claims', () => runClaimBench(backends, { sizes, claims: quick ? 200 : 1000, raw }, print));
    const pending = sizes[sizes.length - 1];
    await part('daemon start', () => runDaemonStartBench(backends, { cli, dir, pending, databases: kept }, print));
    await part('due to originate', () => runDueToOriginateBench(backends, { cli, dir, samples: quick ? 10 : 20 }, print));
  } finally {
    for (const database of kept.values()) await database.remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    print(`  (whole bench: ${fmt(Number(process.hrtime.bigint() - startedAt) / 1e9, 1)} s)`);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
