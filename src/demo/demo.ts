import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { AriSimulator } from '../asterisk/simulator';
import type { Config } from '../config/types';
import { Daemon } from '../daemon';
import { InvalidRequestError } from '../domain/errors';
import { closeLogger, createLogger, type Logger } from '../log';
import { createGateway } from '../pbx/create-gateway';
import type { PbxGateway } from '../pbx/gateway';
import { NumberBook } from './numbers';
import { demoConfig, load, QUEUES, ruleFor, staff, SUPPORT, TIMING, type DemoQueue, type Load, type Staff } from './scenario';
import { takeSnapshot, type Snapshot } from './snapshot';
import { renderSummary, summaryLine, type SummaryInput } from './summary';
import { seededRandom, timescale, type Timescale } from './timescale';
import { Traffic } from './traffic';

export interface DemoOptions {
  /** Stop after this many (demo) seconds; 0 = until stop() (Ctrl-C). */
  seconds: number;
  /** Database file; default callbackd.db in the demo's directory. */
  db?: string;
  /** Agents in the support queue (sales gets half as many, at least one). */
  agents: number;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Redraw the screen (a terminal) or print a line every 10 s (a pipe). */
  live?: boolean;
  /** Everything runs this many times faster than real time (tests); default 1. */
  timescale?: number;
  /** Where the log (and the database, unless `db`) are written and kept; default a new directory under the system's temporary directory. */
  dir?: string;
  /** Seed of the traffic's random choices; default a random one. */
  seed?: number;
  /** Port of the supervisors' page and the API on 127.0.0.1; default 0, any free port. */
  port?: number;
}

export interface DemoRun {
  daemon: Daemon;
  sim: AriSimulator;
  traffic: Traffic;
  numbers: NumberBook;
  team: Staff;
  load: Record<DemoQueue, Load>;
  time: Timescale;
  /** The supervisors' page, with this run's operator token (?token=, which the page keeps and removes from the address). */
  pageUrl: string;
  /** The operator token made for this run (the API on loopback, gone when the demo stops). */
  token: string;
  /** The demo's log (JSON lines); kept after the demo stops. */
  logFile: string;
  dbFile: string;
  dir: string;
  /** Callers waiting in each queue (placeholders not counted), sampled every demo second. */
  waitingSamples: Array<Record<DemoQueue, number>>;
  /** The counts on screen, from the database; null once the demo stopped. */
  snapshot(): Promise<Snapshot | null>;
  /** The last snapshot taken before the daemon stopped. */
  finalSnapshot: Snapshot | null;
  /** Resolves when the demo has stopped (the log flushed). */
  done: Promise<void>;
  stop(): void;
}

const RECENT_LINES = 6;

/** Lifecycle lines worth showing on screen: status changes, new and merged callbacks, attempt outcomes, exclusions. */
const WORTH_SHOWING = /^(Scheduled|Dialing) -\[|^callback created|^request merged|^attempt outcome:|Neglected$/;

/** The demo's own directory: the one asked for, or a new one under the system's temporary directory. */
function demoDir(asked: string | undefined): { dir: string; created: boolean } {
  try {
    if (asked !== undefined) {
      fs.mkdirSync(asked, { recursive: true });
      return { dir: asked, created: false };
    }
    return { dir: fs.mkdtempSync(path.join(os.tmpdir(), `callbackd-demo-${stamp()}-`)), created: true };
  } catch (err) {
    const where = asked ?? os.tmpdir();
    throw new InvalidRequestError(`the demo cannot make its directory in ${where} for its log and database: ${(err as Error).message} (set TMPDIR to a writable directory)`);
  }
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The last lifecycle lines of the log, in short form for the screen. */
function recentLines(logger: Logger, into: string[]): void {
  // winston's types name the base class only as a namespace; at run time it is winston.Transport.
  const Transport = (winston as unknown as { Transport: new (opts?: { level?: string }) => winston.transport }).Transport;
  class Recent extends Transport {
    override log(info: Record<string, unknown>, next: () => void): void {
      const message = String(info.message ?? '');
      if (WORTH_SHOWING.test(message)) {
        const at = typeof info.timestamp === 'string' ? new Date(info.timestamp) : new Date();
        const ids = [info.callbackId ? `cb ${String(info.callbackId).slice(0, 8)}…` : info.callId ? `call ${String(info.callId)}` : '', info.queue ? String(info.queue) : ''].filter(Boolean).join(' ');
        into.push(`${at.toTimeString().slice(0, 8)} ${ids ? `[${ids}] ` : ''}${message}`.slice(0, 98));
        if (into.length > RECENT_LINES) into.shift();
      }
      next();
    }
  }
  logger.add(new Recent({ level: 'info' }));
}

/**
 * The daemon, the ARI simulator and synthetic traffic in one process: the whole product working
 * over the real ARI wire protocol, with no PBX to install. The log and the database stay in
 * `dir` after the demo stops, and the screen says where.
 */
export async function startDemo(opts: DemoOptions): Promise<DemoRun> {
  const time = timescale(opts.timescale ?? 1);
  const random = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
  const { dir, created } = demoDir(opts.dir);
  const logFile = path.join(dir, 'callbackd.log');
  const dbFile = path.resolve(opts.db ?? path.join(dir, 'callbackd.db'));

  const sim = new AriSimulator({ playbackMs: time.real(TIMING.playbackMs), dtmfGapMs: time.real(TIMING.dtmfGapMs), secondMs: time.real(1000) });
  const team = staff(opts.agents);
  const scaled = (ms: number | null | undefined) => (typeof ms === 'number' ? time.real(ms) : ms);
  for (const queue of QUEUES) {
    sim.addQueue(queue, { members: team[queue].map((m) => ({ ...m, answerAfterMs: scaled(m.answerAfterMs), talkMs: scaled(m.talkMs) })), ringTimeoutMs: time.real(15_000), retryMs: time.real(1000) });
  }
  let logger: Logger | null = null;
  let daemon: Daemon | null = null;
  let config: Config;
  let gateway: PbxGateway;
  // A token of its own for each run: the page is the demo's to show, on this machine only.
  const token = randomBytes(18).toString('base64url');
  let pageUrl: string;
  try {
    const { url } = await sim.start();
    config = demoConfig({ url, db: dbFile, logFile, port: opts.port ?? 0, token });
    logger = createLogger(config.log);
    gateway = createGateway(config, logger, time.clock) as PbxGateway;
    daemon = await Daemon.open({ config, logger, gateway, clock: time.clock, timers: time.timers });
    await daemon.start();
    pageUrl = `${(await daemon.serveApi()).url}?token=${token}`;
    await sim.waitForApp();
  } catch (err) {
    // Nothing ran: nothing to keep. The error is the caller's to say (one line on the command line).
    await daemon?.stop().catch(() => undefined);
    await sim.stop().catch(() => undefined);
    if (logger) await closeLogger(logger);
    if (created) fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const recent: string[] = [];
  recentLines(logger, recent);

  const numbers = new NumberBook(ruleFor(config, SUPPORT).numbers, config.defaultCountry, random);
  for (const queue of QUEUES) {
    // Both rules must accept the same numbers, or a caller of one queue could be refused by the other.
    if (JSON.stringify(ruleFor(config, queue).numbers) !== JSON.stringify(ruleFor(config, SUPPORT).numbers)) throw new Error('the demo rules disagree on numbers');
  }
  const demand = load(team);
  const traffic = new Traffic({ sim, callbacks: daemon.callbacks, numbers, time, random, load: demand, staff: team });
  traffic.start();

  const live = opts.live ?? !!opts.out.isTTY;
  const waitingSamples: DemoRun['waitingSamples'] = [];
  let stopped = false;
  let finalSnapshot: Snapshot | null = null;
  const snapshot = async () => (stopped ? null : takeSnapshot(daemon.store, traffic, sim, team));
  const input = (snap: Snapshot): SummaryInput => ({
    elapsedSeconds: time.elapsedSeconds(),
    runSeconds: opts.seconds,
    snapshot: snap,
    load: demand,
    pbxUp: gateway.isConnected(),
    recent,
    logFile,
    dbFile,
    // Once stopped, the page is gone with the daemon.
    pageUrl: stopped ? undefined : pageUrl,
    problems: traffic.problems,
    timescale: time.factor,
  });
  const draw = async () => {
    const snap = await snapshot();
    if (!snap) return;
    const text = renderSummary(input(snap));
    // Home, each line cleared to its end, then the rest of the screen: no flicker.
    opts.out.write(`\x1b[H${text.split('\n').map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
  };
  if (live) opts.out.write('\x1b[2J');
  else opts.out.write(`callbackd demo: the daemon against a simulated Asterisk; a line every 10 s (a terminal shows the live screen)\npage: ${pageUrl}\nlog: ${logFile}\n`);
  const line = async () => {
    const snap = await snapshot();
    if (snap) opts.out.write(`${summaryLine(input(snap))}\n`);
  };
  const screen = setInterval(() => void (live ? draw() : line()).catch(() => undefined), live ? 1000 : 10_000);
  const sampler = setInterval(() => {
    if (stopped) return;
    waitingSamples.push(Object.fromEntries(QUEUES.map((q) => [q, sim.queueEntries(q).filter((e) => e.placeholderFor === null).length])) as Record<DemoQueue, number>);
  }, time.real(1000));

  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(screen);
    clearInterval(sampler);
    clearTimeout(limit);
    traffic.stop();
    stopped = true;
    takeSnapshot(daemon.store, traffic, sim, team)
      .then((snap) => {
        finalSnapshot = snap;
        const last = renderSummary(input(snap));
        opts.out.write(live ? `\x1b[H${last.split('\n').map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J` : `\n${last}\n`);
      })
      .then(() => daemon.stop())
      .then(() => sim.stop())
      .catch((err: unknown) => opts.out.write(`the demo did not stop cleanly: ${(err as Error).message}\n`))
      .then(() => {
        logger.info('callbackd demo stopped', { seconds: Math.round(time.elapsedSeconds()) });
        return closeLogger(logger);
      })
      .finally(() => {
        opts.out.write(
          [
            '',
            `callbackd demo stopped after ${Math.round(time.elapsedSeconds())} s. Kept for you to look at:`,
            `  log       ${logFile}   (one JSON object per line)`,
            `  database  ${dbFile}`,
            'Try:',
            `  grep -- '-> Completed' ${logFile}`,
            `  CALLBACKD_DB=${dbFile} node dist/cli.js list`,
            `  rm -r ${dir}   (removes ${opts.db ? 'the log' : 'both'})`,
            '',
          ].join('\n'),
        );
        finish();
      });
  };
  const limit = setTimeout(stop, opts.seconds > 0 ? time.real(opts.seconds * 1000) : 2 ** 31 - 1);
  return {
    daemon,
    sim,
    traffic,
    numbers,
    team,
    load: demand,
    time,
    pageUrl,
    token,
    logFile,
    dbFile,
    dir,
    waitingSamples,
    snapshot,
    get finalSnapshot() {
      return finalSnapshot;
    },
    done,
    stop,
  };
}
