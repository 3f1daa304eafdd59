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
import { Feed } from './engine/feed';
import { QueueCalls } from './engine/queue-calls';
import { reconcile } from './engine/reconcile';
import { CallbackNode } from './ivr/callback-node';
import { CalledAgainNode } from './ivr/called-again';
import { PendingOffers } from './engine/called-again';
import { lostCallJudge } from './engine/lost-script';
import { Automation } from './triggers/automation';
import { isTransientStoreError } from './store/transient';
import type { PbxGateway, PbxListener } from './pbx/gateway';
import { Scheduler } from './scheduler/scheduler';
import { realTimers, type Timers } from './scheduler/timers';
import { queueLimits } from './domain/limits';
import type { CallbackStore } from './domain/store';
import { Lanes } from './engine/lanes';
import { openStore } from './store/open';
import { CallbackService } from './service/service';
import { startApi, type ApiHandle } from './api/server';

/**
 * A daemon's seat in the store (and the lease of its attempts) is renewed this often; a seat on
 * another host is stale after SEAT_STALE_MS (SQLite: another daemon may then take the file).
 */
const HEARTBEAT_MS = 5_000;
const SEAT_STALE_MS = 30_000;
/** After a reconcile that skipped items changed meanwhile, it runs again at most this many times in a row. */
const MAX_CONFLICT_PASSES = 3;
const DAY_MS = 86_400_000;
/** An API client retries within minutes; a week covers a client that was down over a weekend. */
/** Delivered webhook deliveries are kept this long for the API's list; dead ones until replayed. */
const DELIVERIES_KEPT_MS = 30 * DAY_MS;
/** How often a PBX fact's write is tried when the store says to try again. */
const TRANSIENT_TRIES = 4;
const REQUEST_KEYS_KEPT_MS = 7 * DAY_MS;

/** Seats held by daemons of this process (several Daemon objects can share one process). */
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

/**
 * Who a daemon is, the same across restarts: the PBX it serves and the application its channels'
 * events are sent to there (Asterisk gives each ARI application one connection, so two live
 * daemons of one PBX have different applications).
 */
export function daemonIdentity(config: Pick<Config, 'pbx' | 'pbxName' | 'ari'>): string {
  const app = config.pbx === 'asterisk' ? `ari:${config.ari.app}` : config.pbx === 'freeswitch' ? 'esl' : 'none';
  return `${config.pbxName}/${app}`;
}

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  timers?: Timers;
  /** The PBX to drive; null runs without dialling (store, scheduler bookkeeping, expiry). */
  gateway: PbxGateway | null;
  /** An open store to use (tests); by default the one the configuration names is opened. */
  store?: CallbackStore;
}

/**
 * One running callbackd: the store, the lifecycle, the scheduler and the PBX gateway wired
 * together. `start` recovers what a previous process left (claims, attempts, held places).
 */
export class Daemon {
  readonly callbacks: Callbacks;
  readonly dialer: Dialer;
  readonly scheduler: Scheduler;
  readonly queueCalls: QueueCalls;
  readonly ivr: CallbackNode;
  /** A caller who calls again while a callback is pending for them hears it offered. */
  readonly calledAgain: CalledAgainNode;
  /** Scripts, webhook deliveries, status and interval triggers (src/triggers/automation.ts). */
  readonly automation: Automation;
  /** What the engine commits, told as it happens (the API's live feed, the page, metrics). */
  readonly feed: Feed;
  /** What operators' front ends do and see (the HTTP API, the page). */
  readonly service: CallbackService;
  /** Its stable identity in the store (see Seat): the PBX it serves and its application there. */
  readonly owner: string;
  /** This run of it, for the logs. */
  readonly instance = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  /** PBX facts about one call are recorded in the order the PBX told them. */
  private readonly calls = new Lanes();
  private sweepTask: ScheduledTask | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;
  private readyLogged = false;
  private seated = false;
  private started = false;
  private stopping = false;
  private api: ApiHandle | null = null;
  /** Work this daemon started without waiting for it (a reconcile, placeholders let go, a sweep). */
  private readonly background = new Set<Promise<void>>();

  /** Open the store the configuration names (creating and migrating it) and build the daemon on it. */
  static async open(opts: DaemonOptions): Promise<Daemon> {
    armCrashPoint(opts.config.testing.crashAt);
    return new Daemon(opts, opts.store ?? (await openStore(opts.config)));
  }

  private constructor(
    private readonly opts: DaemonOptions,
    readonly store: CallbackStore,
  ) {
    const { config, logger } = opts;
    this.clock = opts.clock ?? systemClock;
    this.owner = daemonIdentity(config);
    this.leaseMs = config.scheduler.leaseSeconds * 1000;
    let scheduler: Scheduler | null = null;
    let dialer: Dialer | null = null;
    this.feed = new Feed(logger);
    this.callbacks = new Callbacks(store, config, this.clock, logger, {
      onDue: (dueAt) => scheduler?.dueAt(dueAt),
      onSettled: (callback) => {
        if (dialer) this.follow(dialer.release(callback).catch((err) => logger.warn('could not let go of a settled callback', { callbackId: callback.id, error: String(err) })));
      },
    }, this.feed);
    dialer = this.dialer = new Dialer(store, this.callbacks, opts.gateway, config, this.clock, logger, { owner: this.owner, leaseMs: this.leaseMs });
    scheduler = this.scheduler = new Scheduler({
      store,
      clock: this.clock,
      timers: opts.timers ?? realTimers,
      logger,
      owner: this.owner,
      pbx: config.pbxName,
      leaseMs: this.leaseMs,
      maxConcurrent: config.scheduler.maxConcurrent,
      queueLimits: queueLimits(config.transitions),
      dispatch: (callback) => this.dialer.dispatch(callback),
      canDial: () => this.dialer.canDial(),
    });
    this.dialer.onAttemptEnd(() => this.scheduler.poke());
    const scripts = Automation.scriptsFor(config, logger, () => this.service);
    this.queueCalls = new QueueCalls(store, this.callbacks, config, this.clock, logger, this.feed, lostCallJudge(config, scripts));
    this.service = new CallbackService({ store, callbacks: this.callbacks, config, clock: this.clock });
    this.automation = new Automation(scripts, config, { store, feed: this.feed, service: this.service, clock: this.clock, logger, owner: this.owner });
    this.ivr = new CallbackNode(this.callbacks, this.dialer, this.queueCalls, config, logger);
    this.calledAgain = new CalledAgainNode(new PendingOffers(store, this.callbacks, this.queueCalls, config, this.clock, logger), config.ivr, logger);
  }

  async start(): Promise<void> {
    const { config, logger, gateway } = this.opts;
    await this.takeSeat();
    const recovered = await this.store.releaseOrphanedClaims(this.owner, Date.now(), SEAT_STALE_MS);
    if (recovered > 0) logger.warn(`recovered ${recovered} claim(s) left by a daemon that is gone`);
    const decided = await this.queueCalls.decideUndecided();
    if (decided > 0) logger.warn(`took the LostShift decision for ${decided} abandoned call(s) a previous process recorded but did not decide`);
    await this.sweep();
    this.sweepTask = cron.schedule(config.scheduler.sweepCron, () => this.follow(this.sweep()));
    this.stopListening = await this.store.onWork(() => this.workArrived());
    this.scheduler.start();
    await this.automation.start();
    this.started = true;
    logger.info('callbackd started', { pbx: config.pbx, pbxName: config.pbxName, store: this.store.kind, at: this.store.location, owner: this.owner, instance: this.instance });
    if (gateway) {
      logger.info(`connecting to ${gateway.kind === 'asterisk' ? 'Asterisk' : 'FreeSWITCH'}; ready once connected`);
      await gateway.start(this.listener());
    } else {
      logger.warn('no PBX configured (pbx: none): callbacks are kept, listed and expired, but nothing is dialled');
      logger.info('callbackd ready', { pbx: config.pbx });
    }
  }

  /**
   * Serve the HTTP API, the supervisors' page, /healthz, /readyz and /metrics on http.host and
   * http.port, until stop(). Refused (ConfigError on api.token) beyond loopback without a token.
   * Serving may start before start(): /readyz says 503 until the daemon has started.
   */
  async serveApi(): Promise<ApiHandle> {
    if (this.api) return this.api;
    const { config, logger } = this.opts;
    const pbxConnected = (): boolean | null => (this.opts.gateway ? this.opts.gateway.isConnected() : null);
    this.api = await startApi({
      service: this.service,
      config,
      logger,
      health: { store: this.store, pbxConnected, owner: this.owner, ready: () => this.started && !this.stopping },
      metrics: {
        feed: this.feed,
        store: this.store,
        pbxConnected,
        clock: this.clock,
        webhooks: this.automation.deliverer,
        scripts: this.automation.scriptFallbacks(),
        triggers: this.automation.intervalTriggers,
      },
    });
    return this.api;
  }

  /** Stop serving the API (stop() does it first of all). */
  async closeApi(): Promise<void> {
    const api = this.api;
    this.api = null;
    await api?.close();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // The API goes first: no request reaches a daemon that is shutting down.
    await this.closeApi();
    this.scheduler.stop();
    this.sweepTask?.stop();
    this.stopListening?.();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.opts.gateway) await this.opts.gateway.stop();
    await this.automation.stop();
    await this.scheduler.settled();
    await this.automation.close();
    if (this.seated) await this.store.leave(this.owner);
    heldHere.delete(this.owner);
    await this.store.close();
  }

  /**
   * Register in the store. SQLite: one daemon per file, since two would both dial; a holder whose
   * process is gone (same host) or whose heartbeat stopped (another host) is replaced. PostgreSQL:
   * any number. The heartbeat also renews the lease of this daemon's attempts: a daemon that dies
   * stops renewing, and once the lease lapses a daemon of the same PBX takes its attempts over.
   */
  private async takeSeat(): Promise<void> {
    const { config, logger } = this.opts;
    const seat = { owner: this.owner, host: os.hostname(), pid: process.pid, pbx: config.pbxName };
    const result = await this.store.join(seat, Date.now(), SEAT_STALE_MS, holderAlive);
    if (!result.ok) {
      const { holder: other } = result;
      const ago = Math.max(0, Math.round((Date.now() - other.heartbeatAt) / 1000));
      throw new AlreadyRunningError(
        this.store.kind === 'sqlite'
          ? `another callbackd (pid ${other.pid} on ${other.host}) is running on ${this.store.location} (alive ${ago}s ago): stop it first, or give this one its own database (db / CALLBACKD_DB), or share one PostgreSQL database (store: postgres)`
          : `another callbackd (pid ${other.pid} on ${other.host}) runs as ${other.owner} on ${this.store.location} (alive ${ago}s ago): give this one its own ARI application (ari.app) or PBX name (pbxName)`,
      );
    }
    this.seated = true;
    heldHere.add(this.owner);
    this.heartbeatTimer = setInterval(() => this.follow(this.heartbeat().catch((err) => logger.warn('heartbeat failed; retried', { error: String(err) }))), Math.min(HEARTBEAT_MS, this.leaseMs / 3));
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    if (!(await this.store.heartbeat(this.owner, now))) this.opts.logger.error('another daemon took over this database; this one should be stopped');
    await this.store.renewAttemptLeases(this.owner, now + this.leaseMs);
    // A daemon of this PBX that died leaves attempts whose lease lapses: take them over.
    if (this.opts.gateway?.isConnected() && this.store.kind === 'postgres') await this.takeOverLapsed();
  }

  /** Reconcile again when other daemons' attempts lapsed (their owner died): this one answers for them now. */
  private async takeOverLapsed(): Promise<void> {
    const lapsed = (await this.store.openAttempts({ pbx: this.opts.config.pbxName })).filter((a) => a.owner !== this.owner && a.leaseUntil !== null && a.leaseUntil <= this.clock.now());
    if (lapsed.length === 0) return;
    this.opts.logger.warn(`taking over ${lapsed.length} attempt(s) of a daemon whose lease lapsed`);
    this.reconcileNow();
  }

  /** Expiry and lease recovery, on the configured cron schedule. */
  async sweep(): Promise<void> {
    try {
      const freed = await this.store.releaseExpiredClaims(this.clock.now());
      if (freed > 0) this.opts.logger.warn(`gave back ${freed} claim(s) whose lease ran out`);
      await this.callbacks.expireDue();
      await this.dialer.releaseSettled();
      const forgotten = await this.store.forgetRequestKeys(this.clock.now() - REQUEST_KEYS_KEPT_MS);
      if (forgotten > 0) this.opts.logger.debug(`forgot ${forgotten} idempotency key(s) older than ${REQUEST_KEYS_KEPT_MS / DAY_MS} days`);
      const sent = await this.store.forgetDeliveries(this.clock.now() - DELIVERIES_KEPT_MS);
      if (sent > 0) this.opts.logger.debug(`forgot ${sent} webhook delivery(ies) delivered more than ${DELIVERIES_KEPT_MS / DAY_MS} days ago (dead ones are kept)`);
    } catch (err) {
      this.opts.logger.warn('sweep failed; retried at the next one', { error: String(err) });
    }
    this.scheduler.poke();
  }

  /**
   * Work arrived from elsewhere (the CLI, the API, another daemon): claim what is due now, and let
   * go of placeholders of callbacks settled there (a held place cancelled from the command line).
   */
  private workArrived(): void {
    this.scheduler.poke();
    this.follow(this.dialer.releaseSettled().catch((err) => this.opts.logger.warn('could not remove placeholders of settled callbacks', { error: String(err) })));
  }

  /** Keep track of work started here and not waited for; `work` must not reject. */
  private follow(work: Promise<unknown>): void {
    const done = (): void => {
      this.background.delete(tracked);
    };
    const tracked: Promise<void> = work.then(done, done);
    this.background.add(tracked);
  }

  /**
   * Resolves once nothing this daemon started is still running: the scheduler's drain, attempts
   * being started, placeholders being let go, a reconcile, a sweep. For tests: stop() does not wait
   * for all of it, since a request the PBX holds must not hold up a stop.
   */
  async settled(): Promise<void> {
    for (;;) {
      await this.scheduler.settled();
      if (!this.dialer.busy && this.background.size === 0) return;
      await this.dialer.settled();
      await Promise.all([...this.background]);
    }
  }

  private reconciling = false;
  /** Reconciles in a row that met conflicts (bounded: a conflict that keeps coming waits for the next connection or lapse). */
  private conflictPasses = 0;
  /** The link came back (or attempts lapsed) during a reconcile: it runs once more after it. */
  private reconcileAgain = false;

  private reconcileNow(): void {
    const { gateway, logger, config } = this.opts;
    if (!gateway) return;
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = true;
    this.reconcileAgain = false;
    this.follow(
      reconcile(this.store, gateway, this.dialer, this.queueCalls, this.clock, logger, { owner: this.owner, pbx: config.pbxName, leaseMs: this.leaseMs })
        .then(({ conflicts }) => {
          // Items another daemon or a command changed meanwhile: looked at again, now as they are.
          this.conflictPasses = conflicts > 0 ? this.conflictPasses + 1 : 0;
          if (conflicts > 0 && this.conflictPasses <= MAX_CONFLICT_PASSES) this.reconcileAgain = true;
        })
        .catch((err) => logger.error('reconcile failed', { error: String(err) }))
        .finally(() => {
          this.reconciling = false;
          this.scheduler.poke();
          if (this.reconcileAgain && gateway.isConnected()) this.reconcileNow();
        }),
    );
  }

  private listener(): PbxListener {
    const { logger } = this.opts;
    // A fact of the PBX is not seen twice: a write the store refused for a passing reason (a
    // deadlock broken, a busy file) is done again, or the fact would wait for the next reconcile.
    const guard = async (what: string, work: () => Promise<unknown>): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await work();
          return;
        } catch (err) {
          if (attempt < TRANSIENT_TRIES && isTransientStoreError(err)) {
            logger.warn(`${what}: the store asked to try again (${String((err as Error).message)}); trying again`);
            await new Promise((resolve) => setTimeout(resolve, 20 * attempt * attempt));
            continue;
          }
          logger.error(`${what} failed`, { error: String((err as Error).stack ?? err) });
          return;
        }
      }
    };
    const call = (what: string, callId: string, work: () => Promise<unknown>) => guard(what, () => this.calls.run(callId, work));
    return {
      connectionChanged: (up) => {
        logger.info(up ? 'PBX connected' : 'PBX connection lost');
        if (up && !this.readyLogged) {
          this.readyLogged = true;
          logger.info('callbackd ready', { pbx: this.opts.config.pbx });
        }
        if (up) this.reconcileNow();
      },
      queueCallEntered: (e) => call('queue call entered', e.callId, () => this.queueCalls.entered(e)),
      queueCallServed: (e) => call('queue call served', e.callId, () => this.queueCalls.served(e)),
      queueCallGone: (e) => call('queue call gone', e.callId, () => this.queueCalls.gone(e)),
      // In the call's lane: the choice is recorded before the report of the call's end.
      callerCalledAgain: (session, e) => this.calls.run(e.callId, () => this.calledAgain.run(session, e)),
      ivrCallback: (session, req) => this.ivr.run(session, req),
      placeholderAnswered: (ref) => this.dialer.placeholderAnswered(ref),
      customerConfirmed: (ref) => logger.info('customer confirmed; queued at the head', { callbackId: ref.callbackId }),
      attemptEnded: (ref, outcome, detail) => guard('attempt end', () => this.dialer.attemptEnded(ref, outcome, detail)),
    };
  }
}
