import { spawn } from 'node:child_process';
import type { BenchBackend, BenchDatabase } from './backends';
import { childEnv, fmt, rssMBOf, timesBaseline, type Print } from './figures';

/** How long after ready the memory is sampled: start-up garbage collected, timers armed. */
const SETTLE_MS = 1000;

interface Started {
  readyMs: number;
  rssMB: number;
}

/** Starts a process, waits for `ready` on its output, samples its memory once it settled, stops it. */
function measureStart(args: string[], env: NodeJS.ProcessEnv, cwd: string, ready: RegExp): Promise<Started> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (done || !ready.test(out)) return;
      done = true;
      const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
      setTimeout(() => {
        const rssMB = rssMBOf(child.pid as number);
        child.once('exit', () => resolve({ readyMs, rssMB }));
        child.kill('SIGTERM');
      }, SETTLE_MS);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      if (!done) reject(new Error(`exited (${code ?? signal}) before ready: ${out.slice(-2000)}`));
    });
  });
}

export interface DaemonStartOptions {
  cli: string;
  dir: string;
  pending: number;
  /** Each backend's database holding `pending` callbacks. */
  databases: ReadonlyMap<BenchBackend, BenchDatabase>;
}

/**
 * `callbackd run` (no PBX: the store, the scheduler, the expiry sweep) on each backend's filled
 * database, against the same measurement of a bare Node process: what no daemon can go below.
 */
export async function runDaemonStartBench(backends: readonly BenchBackend[], opts: DaemonStartOptions, print: Print): Promise<void> {
  const bare = await measureStart(['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], childEnv({}), opts.dir, /ready/);
  print(`bare node: start to ready ${fmt(bare.readyMs, 1)} ms, rss ${fmt(bare.rssMB, 1)} MB (the baseline "bare node")`);
  for (const backend of backends) {
    const database = opts.databases.get(backend);
    if (!database) continue;
    const env = childEnv({ ...database.env, CALLBACKD_PBX: 'none', CALLBACKD_DEFAULT_COUNTRY: 'CZ', CALLBACKD_HTTP_PORT: '0' });
    const daemon = await measureStart([opts.cli, 'run'], env, opts.dir, /callbackd ready/);
    const server = backend.kind === 'postgres' ? ' (the daemon only; the server is not counted)' : '';
    print(
      `${backend.name}: callbackd run at ${fmt(opts.pending)} pending: start to ready ${fmt(daemon.readyMs, 1)} ms (${timesBaseline(daemon.readyMs, bare.readyMs, 'bare node')}), ` +
        `rss ${fmt(daemon.rssMB, 1)} MB (${timesBaseline(daemon.rssMB, bare.rssMB, 'bare node')})${server}`,
    );
  }
}
