import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { AriSimulator, type OriginateRequest } from '../asterisk/simulator';
import type { CallbackStore } from '../domain/store';
import { openStore } from '../store/open';
import type { BenchBackend } from './backends';
import { childEnv, COMMITTED_AT, describeSpread, spread, timesBaseline, type Print } from './figures';
import { noMerge, PBX } from './pending-rows';

const run = promisify(execFile);

const SPY = path.join(__dirname, `commit-spy${path.extname(__filename)}`);

const QUEUE = 'support';
/** How far ahead a baseline callback is due: long enough for the daemon to have armed its timer. */
const LEAD_MS = 250;
/** A target of the issue: a callback due now reaches the PBX within this. */
const TARGET_MS = 20;

/** The epoch ms at which the simulated PBX was first asked to originate a channel for each callback (CB_ID). */
class OriginateWatch {
  private seen = 0;
  private readonly at = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();

  constructor(private readonly sim: AriSimulator) {
    // ChannelCreated is published while the originate request is being answered: the moment it arrived.
    sim.on('ari-event', (event: { type?: string }) => {
      if (event.type !== 'ChannelCreated') return;
      const now = Date.now();
      const all = this.sim.originations();
      for (; this.seen < all.length; this.seen++) {
        const id = callbackIdOf(all[this.seen]);
        if (id === null || this.at.has(id)) continue;
        this.at.set(id, now);
        this.waiting.get(id)?.(now);
      }
    });
  }

  when(id: string, timeoutMs = 10_000): Promise<number> {
    const known = this.at.get(id);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`callback ${id} was not originated within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (at) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(at);
      });
    });
  }
}

function callbackIdOf(request: OriginateRequest): string | null {
  const outer = request.variables as Record<string, unknown> | undefined;
  const vars = (outer?.variables ?? outer) as Record<string, unknown> | undefined;
  return typeof vars?.CB_ID === 'string' ? vars.CB_ID : null;
}

function startDaemon(cli: string, env: NodeJS.ProcessEnv, cwd: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, 'run'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (/callbackd ready/.test(out)) {
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep reading, so a full pipe never blocks the daemon.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`callbackd run exited (${code ?? signal}) before ready: ${out.slice(-2000)}`)));
  });
}

function stopDaemon(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface Rig {
  cli: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  store: CallbackStore;
  watch: OriginateWatch;
}

interface CreateSample {
  /** The commit returned in the creating process → the originate request. */
  fromCommit: number;
  /** The row's createdAt (the clock read just before its insert) → the originate request. */
  fromCreatedAt: number;
}

/** `callbackd create --due now` in a process of its own, with the commit spy preloaded. */
async function createdToOriginate(rig: Rig, number: string): Promise<CreateSample> {
  const args = ['--require', SPY, rig.cli, 'create', '--number', number, '--queue', QUEUE, '--due', 'now', '--json'];
  const { stdout, stderr } = await run(process.execPath, args, { env: rig.env, cwd: rig.dir, encoding: 'utf8' });
  const id = String((JSON.parse(stdout) as { id: string }).id);
  const committed = new RegExp(`^${COMMITTED_AT} (\\d+)$`, 'm').exec(stderr);
  if (!committed) throw new Error(`create did not say when it committed: ${stderr.slice(-1000)}`);
  const originated = await rig.watch.when(id);
  const row = await rig.store.get(id);
  if (!row) throw new Error(`callback ${id} printed by create is not in the store`);
  return { fromCommit: originated - Number(committed[1]), fromCreatedAt: originated - row.createdAt };
}

/** The baseline: a callback written by this process's store LEAD_MS before it is due, so the daemon's own timer starts the dial. */
async function timerToOriginate(rig: Rig, number: string): Promise<number | null> {
  const now = Date.now();
  const dueAt = now + LEAD_MS;
  const callback = {
    id: randomUUID(), pbx: PBX, number, queue: QUEUE, mechanism: 'manual' as const, transition: QUEUE, dueAt, expiresAt: null,
    createdAt: now, originCallId: null, shifted: false, form: {}, note: null, queuePosition: null,
  };
  await rig.store.createOrMerge(callback, [{ type: 'Created' }], noMerge);
  // A write that took so long that the daemon may have heard of it only once due is no timer sample.
  const late = Date.now() > dueAt - LEAD_MS / 2;
  const originated = await rig.watch.when(callback.id);
  return late ? null : originated - dueAt;
}

export interface DueToOriginateOptions {
  cli: string;
  dir: string;
  samples: number;
}

/**
 * The real daemon (`callbackd run`, pbx asterisk) against the ARI simulator, a fresh database per
 * backend. The agent is paused, so every placeholder stays queued and no call ends during the run
 * (each sample adds two waiting placeholders, as on a busy afternoon).
 */
export async function runDueToOriginateBench(backends: readonly BenchBackend[], opts: DueToOriginateOptions, print: Print): Promise<void> {
  for (const backend of backends) {
    const database = await backend.database('originate');
    const sim = new AriSimulator({ playbackMs: 5 });
    sim.addQueue(QUEUE, { members: [{ name: 'agent1', state: 'paused' }] });
    const { url } = await sim.start();
    const transitions = [{ name: QUEUE, sourceQueue: QUEUE, minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 30, maxConcurrent: 10_000 }];
    const env = childEnv({
      ...database.env,
      CALLBACKD_PBX: 'asterisk',
      CALLBACKD_DEFAULT_COUNTRY: 'CZ',
      CALLBACKD_ARI_URL: url,
      CALLBACKD_ARI_PASSWORD: 'callbackd',
      CALLBACKD_HTTP_PORT: '0',
      CALLBACKD_SCHEDULER_MAX_CONCURRENT: '10000',
      // No sweep during the run: only the wake (or the daemon's timer) can start a dial.
      CALLBACKD_SCHEDULER_SWEEP_CRON: '0 0 1 1 *',
      CALLBACKD_TRANSITIONS: JSON.stringify(transitions),
    });
    let daemon: ChildProcess | null = null;
    let store: CallbackStore | null = null;
    try {
      daemon = await startDaemon(opts.cli, env, opts.dir);
      await sim.waitForApp();
      store = await openStore(database.config);
      const rig: Rig = { cli: opts.cli, dir: opts.dir, env, store, watch: new OriginateWatch(sim) };
      // One of each first, not counted: the daemon's first dial warms its code paths.
      await createdToOriginate(rig, '+420602000000');
      await timerToOriginate(rig, '+420603000000');
      const timer: number[] = [];
      const created: CreateSample[] = [];
      for (let i = 1; i <= opts.samples; i++) {
        const n = String(i).padStart(6, '0');
        const sample = await timerToOriginate(rig, `+420603${n}`);
        if (sample !== null) timer.push(sample);
        created.push(await createdToOriginate(rig, `+420602${n}`));
      }
      const t = spread(timer);
      const c = spread(created.map((sample) => sample.fromCommit));
      const fromCreatedAt = spread(created.map((sample) => sample.fromCreatedAt));
      print(
        `${backend.name}: baseline "timer": a callback committed ${LEAD_MS} ms ahead, its dueAt → originate request at the PBX ` +
          `(the daemon's timer, claim, attempt start, originate) x${t.count}: ${describeSpread(t, 'ms', 1, false)}`,
      );
      const within = created.filter((sample) => sample.fromCommit <= TARGET_MS).length;
      print(
        `${backend.name}: due to originate: "callbackd create --due now" in another process, its commit returned there → originate request at the PBX ` +
          `x${c.count}: ${describeSpread(c, 'ms', 1, false)} (median ${timesBaseline(c.median, t.median, 'timer')}; ${within} of ${c.count} within the ${TARGET_MS} ms target); ` +
          `from the row's createdAt (the clock read before the insert): ${describeSpread(fromCreatedAt, 'ms', 1, false)}`,
      );
    } finally {
      if (daemon) await stopDaemon(daemon);
      await store?.close();
      await sim.stop();
      await database.remove();
    }
  }
}
