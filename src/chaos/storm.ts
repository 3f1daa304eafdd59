import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AriSimulator } from '../asterisk/simulator';
import { conversationRecords, endState, logErrors, originateRecords, pendingWork, readDb, Recorder } from './collect';
import { judge, type Verdict } from './judge';
import { Load } from './load';
import { DaemonProcess, runCli } from './processes';
import { mulberry32 } from './random';
import { DEFAULT_RULES, type JudgeRules, type StormRecords, type Uptime } from './records';
import { renderReport } from './report';
import { daemonEnv, lostShiftQueues, Numbers, QUEUES, setUpPbx, staff } from './scenario';

export interface StormOptions {
  kills: number;
  seed: number;
  /** Random time the daemon runs between two kills, ms. */
  minMs: number;
  maxMs: number;
  /** Keep the run's directory here (database, daemon.log, report.txt); default a temporary one. */
  dir?: string;
  /** After the last restart: give up waiting for quiet after this long, ms. */
  settleMs?: number;
  /** Quiet means nothing is due within this horizon, ms. */
  horizonMs?: number;
  /** Time between two callers, ms. */
  arrivalMs?: [number, number];
  /** Progress lines; silent when absent. */
  progress?: (line: string) => void;
  rules?: Partial<Omit<JudgeRules, 'lostShift'>>;
}

export interface StormResult {
  verdict: Verdict;
  report: string;
  dir: string;
  kept: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/**
 * The crash storm: the daemon as a real process against the simulated PBX under steady mixed
 * load, SIGKILLed at random moments and started again, then left to settle; the verdict comes
 * from what the PBX saw, what the callers lived and what the database says.
 */
export async function runStorm(opts: StormOptions): Promise<StormResult> {
  const started = Date.now();
  const say = opts.progress ?? (() => undefined);
  const dir = opts.dir ? path.resolve(opts.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-chaos-'));
  fs.mkdirSync(dir, { recursive: true });
  const dbFile = path.join(dir, 'callbackd.db');
  const rng = mulberry32(opts.seed);
  const stormRng = rng.fork('storm');

  const sim = new AriSimulator({ playbackMs: 5, dtmfGapMs: 20 });
  const { url } = await sim.start();
  const team = staff(rng.fork('staff'));
  setUpPbx(sim, team);
  const recorder = new Recorder(sim);
  const env = daemonEnv({ db: dbFile, ariUrl: url });
  const daemon = new DaemonProcess(env, dir, path.join(dir, 'daemon.log'));
  const load = new Load({ sim, rng: rng.fork('load'), numbers: new Numbers(rng.fork('numbers')), team, cli: (args) => runCli(args, env, dir), arrivalMs: opts.arrivalMs ?? [120, 450] });

  const uptimes: Uptime[] = [];
  const bringUp = async () => {
    await daemon.start();
    const readyAt = Date.now();
    if (!(await until(() => sim.appConnected(), 10_000))) throw new Error('the daemon was ready but its application never connected');
    uptimes.push({ readyAt, connectedAt: Date.now(), endedAt: null, endedBy: null });
  };
  const current = () => uptimes[uptimes.length - 1];
  const bringDown = async (signal: NodeJS.Signals) => {
    current().endedAt = Date.now();
    current().endedBy = signal === 'SIGKILL' ? 'kill' : 'stop';
    await daemon.stop(signal);
    await until(() => !sim.appConnected(), 5000);
  };

  let kills = 0;
  let settled = false;
  let settleNote = '';
  let records: StormRecords;
  try {
    await bringUp();
    load.start();
    for (let i = 1; i <= opts.kills; i++) {
      const upMs = stormRng.int(opts.minMs, opts.maxMs);
      await sleep(upMs);
      if (!daemon.running) {
        // It died by itself (counted as an unexpected exit); its uptime ended then.
        current().endedAt = daemon.unexpectedExits[daemon.unexpectedExits.length - 1]?.at ?? Date.now();
        current().endedBy = 'exit';
      } else {
        await bringDown('SIGKILL');
      }
      kills++;
      const downMs = stormRng.int(100, Math.max(100, Math.min(1500, opts.maxMs)));
      await sleep(downMs);
      await bringUp();
      say(`kill ${i}/${opts.kills} at ${((Date.now() - started) / 1000).toFixed(1)} s: up ${upMs} ms, down ${downMs} ms, ${load.busy} callers on the line`);
    }

    load.stopArrivals();
    load.staffAll();
    const settleStart = Date.now();
    const settleMs = opts.settleMs ?? 120_000;
    const horizonMs = opts.horizonMs ?? 60_000;
    let waiting: string[] = [];
    let quietSince: number | null = null;
    for (;;) {
      waiting = pendingWork(dbFile, horizonMs, endState(sim, QUEUES).channels);
      if (load.busy > 0) waiting.push(`${load.busy} callers on the line`);
      if (!daemon.running) waiting.push('the daemon is not running');
      // Quiet for a moment, not an instant: a reconcile may still be tidying up after the restart.
      quietSince = waiting.length === 0 ? (quietSince ?? Date.now()) : null;
      if (quietSince !== null && Date.now() - quietSince >= 3000) {
        settled = true;
        break;
      }
      if (Date.now() - settleStart > settleMs) break;
      await sleep(500);
    }
    settleNote = settled ? `quiet ${((Date.now() - settleStart) / 1000).toFixed(1)} s after the last restart` : `still ${waiting.join(', ')} after ${(settleMs / 1000).toFixed(0)} s`;
    say(`settled: ${settleNote}`);

    const end = endState(sim, QUEUES);
    await load.drainCli();
    if (daemon.running) await bringDown('SIGTERM');
    load.dispose();
    records = {
      originations: originateRecords(sim),
      bridgeEntries: recorder.bridgeEntries,
      conversations: conversationRecords(sim),
      callers: load.callers.map((c) => ({ ...c, stasis: recorder.staysOf(c.callId), heard: recorder.heardBy(c.callId) })),
      manual: load.manual,
      uptimes,
      // The final SIGTERM is the storm's own doing; so is every SIGKILL.
      unexpectedExits: daemon.unexpectedExits.length,
      logErrors: [],
      db: readDb(dbFile),
      end,
    };
  } finally {
    load.dispose();
    recorder.detach();
    await daemon.stop('SIGKILL');
    await daemon.close();
    await sim.stop();
  }
  records.logErrors = logErrors(path.join(dir, 'daemon.log'));

  const rules: JudgeRules = { ...DEFAULT_RULES, ...opts.rules, lostShift: lostShiftQueues() };
  const verdict = judge(records, rules);
  const kept = !!opts.dir || verdict.failed;
  const header = { seed: opts.seed, kills, seconds: (Date.now() - started) / 1000, dir, kept, settled, settleNote };
  if (kept) {
    fs.writeFileSync(path.join(dir, 'report.txt'), renderReport(header, verdict, Number.POSITIVE_INFINITY) + '\n');
    fs.writeFileSync(path.join(dir, 'records.json'), JSON.stringify(records, null, 1));
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { verdict, report: renderReport(header, verdict), dir, kept };
}
