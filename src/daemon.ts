import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'winston';
import type { Config } from './config/types';
import { armCrashPoint } from './crash';
import { systemClock, type Clock } from './domain/clock';
import { AlreadyRunningError } from './domain/errors';
import { Callbacks } from './engine/callbacks';
import { Dialer } from './engine/dialer';
import { QueueCalls } from './engine/queue-calls';
import { reconcile } from './engine/reconcile';
import { CallbackNode } from './ivr/callback-node';
import type { PbxGateway, PbxListener } from './pbx/gateway';
import { Scheduler } from './scheduler/scheduler';
import { realTimers, type Timers } from './scheduler/timers';
import { migrate, openDatabase } from './store/database';
import { SqliteStore } from './store/sqlite-store';

/** The database lock is renewed this often, and a holder on another host is stale after LOCK_STALE_MS. */
const LOCK_HEARTBEAT_MS = 5_000;
const LOCK_STALE_MS = 30_000;

/** Lock owners held by daemons of this process (several Daemon objects can share one process). */
const heldHere = new Set<string>();

/**
 * Whether the holder of a database lock on this host still runs. A holder with this process's own
 * pid is a previous incarnation (a container restarted, its daemon again pid 1) unless a daemon of
 * this process holds it now.
 */
function holderAlive(held: { owner: string; pid: number }): boolean {
  if (held.pid === process.pid) return heldHere.has(held.owner);
  try {
    process.kill(held.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  timers?: Timers;
  /** The PBX to drive; null runs without dialling (store, scheduler bookkeeping, expiry). */
  gateway: PbxGateway | null;
  /** Checks for callbacks written by other processes (the CLI) this often, ms. 0 = never. */
  watchMs?: number;
}

/**
 * One running callbackd: the store, the lifecycle, the scheduler and the PBX gateway wired
 * together. `start` recovers what a previous process left (claims, attempts, held places).
 */
export class Daemon {
  readonly store: SqliteStore;
  readonly callbacks: Callbacks;
  readonly dialer: Dialer;
  readonly scheduler: Scheduler;
  readonly queueCalls: QueueCalls;
  readonly ivr: CallbackNode;
  readonly owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly clock: Clock;
  private sweepTask: ScheduledTask | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private lockTimer: NodeJS.Timeout | null = null;
  private readyLogged = false;
  private dataVersion = 0;

  constructor(private readonly opts: DaemonOptions) {
    const { config, logger } = opts;
    this.clock = opts.clock ?? systemClock;
    armCrashPoint(config.testing.crashAt);
    const db = openDatabase(config.db);
    migrate(db);
    this.store = new SqliteStore(db);
    let scheduler: Scheduler | null = null;
    let dialer: Dialer | null = null;
    this.callbacks = new Callbacks(this.store, config, this.clock, logger, {
      onDue: (dueAt) => scheduler?.dueAt(dueAt),
      onSettled: (callback) => dialer?.release(callback),
    });
    dialer = this.dialer = new Dialer(this.store, this.callbacks, opts.gateway, config, this.clock, logger);
    scheduler = this.scheduler = new Scheduler({
      store: this.store,
      clock: this.clock,
      timers: opts.timers ?? realTimers,
      logger,
      owner: this.owner,
      leaseMs: config.scheduler.leaseSeconds * 1000,
      capacity: () => this.dialer.capacity(),
      dispatch: (callback) => this.dialer.dispatch(callback),
      canDial: () => this.dialer.canDial(),
    });
    this.dialer.onAttemptEnd(() => this.scheduler.poke());
    this.queueCalls = new QueueCalls(this.store, this.callbacks, config, this.clock, logger);
    this.ivr = new CallbackNode(this.callbacks, this.dialer, this.queueCalls, config, logger);
  }

  async start(): Promise<void> {
    const { config, logger, gateway } = this.opts;
    this.holdLock();
    const recovered = this.store.releaseClaimsNotOwnedBy(this.owner);
    if (recovered > 0) logger.warn(`recovered ${recovered} claim(s) left by a previous process`);
    const decided = this.queueCalls.decideUndecided();
    if (decided > 0) logger.warn(`took the LostShift decision for ${decided} abandoned call(s) a previous process recorded but did not decide`);
    this.sweep();
    this.sweepTask = cron.schedule(config.scheduler.sweepCron, () => this.sweep());
    this.scheduler.start();
    this.watchForOtherWriters();
    logger.info('callbackd started', { pbx: config.pbx, db: path.resolve(config.db), owner: this.owner });
    if (gateway) {
      logger.info(`connecting to ${gateway.kind === 'asterisk' ? 'Asterisk' : 'FreeSWITCH'}; ready once connected`);
      await gateway.start(this.listener());
    } else {
      logger.warn('no PBX configured (pbx: none): callbacks are kept, listed and expired, but nothing is dialled');
      logger.info('callbackd ready', { pbx: config.pbx });
    }
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    this.sweepTask?.stop();
    if (this.watchTimer) clearInterval(this.watchTimer);
    if (this.lockTimer) clearInterval(this.lockTimer);
    if (this.opts.gateway) await this.opts.gateway.stop();
    this.store.daemonLock.release(this.owner);
    heldHere.delete(this.owner);
    this.store.close();
  }

  /**
   * One daemon per database file: two would both dial. The lock is renewed every few seconds; a
   * holder whose process is gone (same host) or whose heartbeat stopped (another host) is replaced.
   */
  private holdLock(): void {
    const holder = { owner: this.owner, host: os.hostname(), pid: process.pid };
    const result = this.store.daemonLock.acquire(holder, Date.now(), LOCK_STALE_MS, holderAlive);
    if (!result.ok) {
      const { holder: other } = result;
      const ago = Math.max(0, Math.round((Date.now() - other.heartbeatAt) / 1000));
      throw new AlreadyRunningError(
        `another callbackd (pid ${other.pid} on ${other.host}) is running on ${path.resolve(this.opts.config.db)} (alive ${ago}s ago): stop it first, or give this one its own database (db / CALLBACKD_DB)`,
      );
    }
    heldHere.add(this.owner);
    this.lockTimer = setInterval(() => {
      if (!this.store.daemonLock.heartbeat(this.owner, Date.now())) this.opts.logger.error('another daemon took over this database file; this one should be stopped');
    }, LOCK_HEARTBEAT_MS);
    this.lockTimer.unref();
  }

  /** Expiry and lease recovery, on the configured cron schedule. */
  sweep(): void {
    const freed = this.store.releaseExpiredClaims(this.clock.now());
    if (freed > 0) this.opts.logger.warn(`gave back ${freed} claim(s) whose lease ran out`);
    this.callbacks.expireDue();
    this.dialer.releaseSettled().catch((err) => this.opts.logger.warn('could not remove placeholders of settled callbacks', { error: String(err) }));
    this.scheduler.poke();
  }

  /**
   * The CLI writes to the same file from another process. SQLite's data_version changes when
   * another connection commits: a cheap check, not a scan, that re-arms the scheduler and lets go
   * of placeholders of callbacks settled there (a held place cancelled from the command line).
   */
  private watchForOtherWriters(): void {
    const every = this.opts.watchMs ?? 1000;
    if (every <= 0) return;
    this.dataVersion = this.store.db.pragma('data_version', { simple: true }) as number;
    this.watchTimer = setInterval(() => {
      const version = this.store.db.pragma('data_version', { simple: true }) as number;
      if (version === this.dataVersion) return;
      this.dataVersion = version;
      this.scheduler.poke();
      this.dialer.releaseSettled().catch((err) => this.opts.logger.warn('could not remove placeholders of settled callbacks', { error: String(err) }));
    }, every);
    this.watchTimer.unref();
  }

  private listener(): PbxListener {
    const { logger, gateway } = this.opts;
    const guard = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        logger.error(`${what} failed`, { error: String((err as Error).stack ?? err) });
      }
    };
    return {
      connectionChanged: (up) => {
        logger.info(up ? 'PBX connected' : 'PBX connection lost');
        if (up && !this.readyLogged) {
          this.readyLogged = true;
          logger.info('callbackd ready', { pbx: this.opts.config.pbx });
        }
        if (!up || !gateway) return;
        reconcile(this.store, gateway, this.dialer, this.queueCalls, this.clock, logger)
          .catch((err) => logger.error('reconcile failed', { error: String(err) }))
          .finally(() => this.scheduler.poke());
      },
      queueCallEntered: (e) => guard('queue call entered', () => this.queueCalls.entered(e)),
      queueCallServed: (e) => guard('queue call served', () => this.queueCalls.served(e)),
      queueCallGone: (e) => guard('queue call gone', () => this.queueCalls.gone(e)),
      ivrCallback: (session, req) => this.ivr.run(session, req),
      placeholderAnswered: (ref) => this.dialer.placeholderAnswered(ref),
      customerConfirmed: (ref) => logger.info('customer confirmed; queued at the head', { callbackId: ref.callbackId }),
      attemptEnded: (ref, outcome, detail) => guard('attempt end', () => this.dialer.attemptEnded(ref, outcome, detail)),
    };
  }
}
