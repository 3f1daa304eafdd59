import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config/load';
import { systemClock } from '../domain/clock';
import { Callbacks } from '../engine/callbacks';
import { createSilentLogger } from '../log';
import { SqliteStore } from '../store/sqlite-store';
import { fillPendingDatabase, removeDatabase } from './store-bench';

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function rssMB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Starts a process, waits for `ready` on its output, samples its memory after it settles, stops it. */
function measureStart(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, settleMs: number): Promise<{ readyMs: number; rssMB: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (done || !ready.test(out)) return;
      done = true;
      const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
      setTimeout(() => {
        const rss = rssMB(child.pid as number);
        child.kill('SIGTERM');
        child.once('exit', () => resolve({ readyMs, rssMB: rss }));
      }, settleMs);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      if (!done) reject(new Error(`exited ${code} before ready: ${out.slice(-2000)}`));
    });
  });
}

function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CALLBACKD_')) env[k] = v;
  return { ...env, ...vars };
}

/** Engine-level creation: number parsing and checks, rule lookup, the row and its event. */
function engineCreateRate(file: string, count: number, batched: boolean): number {
  const store = SqliteStore.open(file);
  const config = parseConfig({ db: file, defaultCountry: 'CZ', pbx: 'none' });
  const callbacks = new Callbacks(store, config, systemClock, createSilentLogger());
  const create = (i: number) =>
    callbacks.request({ number: `+42060${1_000_000 + i}`, queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'bench', delayMinutes: 5 });
  const start = process.hrtime.bigint();
  if (batched) store.transaction(() => { for (let i = 0; i < count; i++) create(i); });
  else for (let i = 0; i < count; i++) create(i);
  const rate = count / (Number(process.hrtime.bigint() - start) / 1e9);
  store.close();
  return rate;
}

export async function runDaemonBench(opts: { dir: string; pending: number; cli: string; rawRate: number; log: (line: string) => void }): Promise<void> {
  const { log } = opts;
  for (const batched of [false, true]) {
    const file = path.join(opts.dir, `engine-${batched ? 'batched' : 'single'}-${process.pid}.db`);
    const count = batched ? 20_000 : 5_000;
    const rate = engineCreateRate(file, count, batched);
    removeDatabase(file);
    log(`Callbacks.request (validate number, rule, row + event) ${batched ? 'batched in one transaction' : 'one by one'}, ${fmt(count)}: ${fmt(rate)}/s (${fmt(rate / opts.rawRate, 3)} of raw)`);
  }

  const file = path.join(opts.dir, `daemon-${process.pid}.db`);
  fillPendingDatabase(file, opts.pending);
  const env = cleanEnv({ CALLBACKD_DB: file, CALLBACKD_PBX: 'none', CALLBACKD_DEFAULT_COUNTRY: 'CZ' });
  try {
    // The same measurement of a bare Node process is the baseline: what no daemon can go below.
    const bare = await measureStart(['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], env, /ready/, 1000);
    const daemon = await measureStart([opts.cli, 'run'], env, /callbackd ready/, 1000);
    log(`bare node: start to ready ${fmt(bare.readyMs, 1)} ms, rss ${fmt(bare.rssMB, 1)} MB (baseline)`);
    log(
      `callbackd run at ${fmt(opts.pending)} pending: start to ready ${fmt(daemon.readyMs, 1)} ms (${fmt(daemon.readyMs / bare.readyMs, 2)}x bare node), ` +
        `rss ${fmt(daemon.rssMB, 1)} MB (${fmt(daemon.rssMB / bare.rssMB, 2)}x bare node)`,
    );
  } finally {
    removeDatabase(file);
  }
}
