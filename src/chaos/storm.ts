import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AriSimulator } from '../asterisk/simulator';
import { conversationRecords, endState, logErrors, originateRecords, Recorder } from './collect';
import { pendingWork, postgresDatabase, readDb, sqliteDatabase, type StormDatabase } from './database';
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
  /**
   * Daemons sharing the PBX (default 1). The first is the one the dialplan sends queue calls and
   * the CallBack node to; the others dial callbacks beside it, each with its own ARI application.
   * More than one needs `storeUrl`.
   */
  daemons?: number;
  /** A PostgreSQL database for the daemons (empty: one SQLite file in the run's directory). */
  storeUrl?: string;
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

/** One daemon of the storm: its process, its application on the PBX and when it was up. */
interface Slot {
  name: string;
  app: string;
  process: DaemonProcess;
  uptimes: Uptime[];
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
  const count = opts.daemons ?? 1;
  if (count > 1 && !opts.storeUrl) throw new Error('several daemons need a shared PostgreSQL database (storeUrl)');
  const base = daemonEnv({ db: dbFile, ariUrl: url });
  const storeEnv: Record<string, string> = opts.storeUrl ? { CALLBACKD_STORE: 'postgres', CALLBACKD_STORE_URL: opts.storeUrl } : {};
  const env = { ...base, ...storeEnv };
  const slots: Slot[] = Array.from({ length: count }, (_, n) => {
    const name = count === 1 ? 'daemon' : `daemon-${n + 1}`;
    const app = n === 0 ? 'callbackd' : `callbackd-${n + 1}`;
    const log = path.join(dir, count === 1 ? 'daemon.log' : `${name}.log`);
    return { name, app, process: new DaemonProcess({ ...env, CALLBACKD_ARI_APP: app }, dir, log), uptimes: [] };
  });
  const db: StormDatabase = opts.storeUrl ? await postgresDatabase(opts.storeUrl) : sqliteDatabase(dbFile);
  const load = new Load({ sim, rng: rng.fork('load'), numbers: new Numbers(rng.fork('numbers')), team, cli: (args) => runCli(args, env, dir), arrivalMs: opts.arrivalMs ?? [120, 450] });

  const bringUp = async (slot: Slot) => {
    await slot.process.start();
    const readyAt = Date.now();
    if (!(await until(() => sim.appConnected(slot.app), 10_000))) throw new Error(`${slot.name} was ready but its application never connected`);
    slot.uptimes.push({ readyAt, connectedAt: Date.now(), endedAt: null, endedBy: null });
  };
  const current = (slot: Slot) => slot.uptimes[slot.uptimes.length - 1];
  const bringDown = async (slot: Slot, signal: NodeJS.Signals) => {
    const up = current(slot);
    if (up && up.endedAt === null) {
      up.endedAt = Date.now();
      up.endedBy = signal === 'SIGKILL' ? 'kill' : 'stop';
    }
    await slot.process.stop(signal);
    await until(() => !sim.appConnected(slot.app), 5000);
  };
  // Of several daemons, every fifth kill keeps one down past its lease, so another takes its calls over.
  const leaseMs = Number(base.CALLBACKD_SCHEDULER_LEASE_SECONDS) * 1000;

  let kills = 0;
  let settled = false;
  let settleNote = '';
  let records: StormRecords;
  try {
    for (const slot of slots) await bringUp(slot);
    load.start();
    for (let i = 1; i <= opts.kills; i++) {
      const upMs = stormRng.int(opts.minMs, opts.maxMs);
      await sleep(upMs);
      const slot = slots[stormRng.int(0, slots.length - 1)] as Slot;
      if (!slot.process.running) {
        // It died by itself (counted as an unexpected exit); its uptime ended then.
        current(slot).endedAt = slot.process.unexpectedExits[slot.process.unexpectedExits.length - 1]?.at ?? Date.now();
        current(slot).endedBy = 'exit';
      } else {
        await bringDown(slot, 'SIGKILL');
      }
      kills++;
      const takeover = slots.length > 1 && i % 5 === 0;
      const downMs = takeover ? leaseMs + stormRng.int(1000, 3000) : stormRng.int(100, Math.max(100, Math.min(1500, opts.maxMs)));
      await sleep(downMs);
      await bringUp(slot);
      say(`kill ${i}/${opts.kills} at ${((Date.now() - started) / 1000).toFixed(1)} s: ${slots.length > 1 ? `${slot.name} ` : ''}up ${upMs} ms, down ${downMs} ms${takeover ? ' (past its lease)' : ''}, ${load.busy} callers on the line`);
    }

    load.stopArrivals();
    load.staffAll();
    const settleStart = Date.now();
    const settleMs = opts.settleMs ?? 120_000;
    const horizonMs = opts.horizonMs ?? 60_000;
    let waiting: string[] = [];
    let quietSince: number | null = null;
    for (;;) {
      waiting = await pendingWork(db, horizonMs, endState(sim, QUEUES).channels);
      if (load.busy > 0) waiting.push(`${load.busy} callers on the line`);
      for (const slot of slots) if (!slot.process.running) waiting.push(`${slot.name} is not running`);
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
    for (const slot of slots) if (slot.process.running) await bringDown(slot, 'SIGTERM');
    load.dispose();
    const [observer, ...helpers] = slots as [Slot, ...Slot[]];
    records = {
      originations: originateRecords(sim),
      bridgeEntries: recorder.bridgeEntries,
      conversations: conversationRecords(sim),
      callers: load.callers.map((c) => ({ ...c, stasis: recorder.staysOf(c.callId), heard: recorder.heardBy(c.callId) })),
      manual: load.manual,
      // Queue calls and the CallBack node reach the first daemon only: its uptimes say when they were watched.
      uptimes: observer.uptimes,
      otherUptimes: helpers.flatMap((h) => h.uptimes),
      // The final SIGTERM is the storm's own doing; so is every SIGKILL.
      unexpectedExits: slots.reduce((n, slot) => n + slot.process.unexpectedExits.length, 0),
      logErrors: [],
      db: await readDb(db),
      end,
    };
  } finally {
    load.dispose();
    recorder.detach();
    for (const slot of slots) {
      await slot.process.stop('SIGKILL');
      await slot.process.close();
    }
    await db.close();
    await sim.stop();
  }
  records.logErrors = slots.flatMap((slot) => logErrors(path.join(dir, count === 1 ? 'daemon.log' : `${slot.name}.log`)).map((e) => (count === 1 ? e : `${slot.name}: ${e}`)));

  const rules: JudgeRules = { ...DEFAULT_RULES, ...opts.rules, lostShift: lostShiftQueues() };
  const verdict = judge(records, rules);
  const kept = !!opts.dir || verdict.failed;
  const header = { seed: opts.seed, kills, daemons: count, store: (opts.storeUrl ? 'postgres' : 'sqlite') as 'sqlite' | 'postgres', seconds: (Date.now() - started) / 1000, dir, kept, settled, settleNote };
  if (kept) {
    fs.writeFileSync(path.join(dir, 'report.txt'), renderReport(header, verdict, Number.POSITIVE_INFINITY) + '\n');
    fs.writeFileSync(path.join(dir, 'records.json'), JSON.stringify(records, null, 1));
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { verdict, report: renderReport(header, verdict), dir, kept };
}
