import type { AriConfig, IvrPrompts } from '../config/types';
import type { Clock } from '../domain/clock';
import { ConflictError } from '../domain/errors';
import type { AttemptPlan, AttemptRef, PbxGateway, PbxListener, ReconcileRequest, ReconcileResult } from '../pbx/gateway';
import { AriRest } from './ari-rest';
import type { AttemptBase, AttemptDeps } from './attempt';
import type { SessionDeps } from './caller-session';
import { AriConnection } from './connection';
import { dialOf } from './customer-dial';
import { CustomerFirstAttempt } from './customer-first';
import { EndedAttempts } from './ended-attempts';
import { EventRoutes } from './event-routes';
import type { AriChannel, AriEvent, StasisStart } from './events';
import { runCallbackNode } from './ivr-callback';
import { describeError, type AdapterLogger } from './logging';
import { QueueObserver } from './observe';
import { bridgeIdOf, PlaceholderAttempt } from './placeholder';
import { reconcileOpen } from './reconcile';

/** The engine names an attempt's customer channel cbcu-<attempt id> (src/engine/dialer.ts). */
const CUSTOMER_PREFIX = 'cbcu-';

/** Timings with sensible defaults; tests shorten them. */
export interface AriTiming {
  /** Deadline of one REST request (ari-client never gives up on a dead socket by itself). */
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** WebSocket ping period, 0 = off. */
  heartbeatMs: number;
  /** Customer-first: time to press 1 after the prompt. */
  confirmDigitMs: number;
  /** Longest we wait for one prompt's PlaybackFinished. */
  maxPromptMs: number;
  /** A placeholder or customer of an attempt we do not know (before reconcile adopts it) is hung up after this. */
  orphanGraceMs: number;
}

const DEFAULT_TIMING: AriTiming = {
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  heartbeatMs: 20_000,
  confirmDigitMs: 10_000,
  maxPromptMs: 120_000,
  orphanGraceMs: 30_000,
};

export interface AriGatewayOptions {
  ari: AriConfig;
  prompts: IvrPrompts;
  /** Full channel variable names (CB_FORM_ACCOUNT); the form key drops the CB_FORM_ prefix. */
  formVariables: readonly string[];
  logger: AdapterLogger;
  clock: Clock;
  timing?: Partial<AriTiming>;
}

/**
 * The Asterisk side of callbackd, over ARI. StasisStart arguments set by the shipped dialplan
 * (dialplan/asterisk/callbackd.conf) say what a channel is: `observe,QUEUE` (a queue call passing
 * once), `callback,QUEUE,DELAY` (the CallBack node), `placeholder,ATTEMPT` (an agent took a
 * placeholder) and `customer,ATTEMPT` (a callback customer answered).
 */
export class AriGateway implements PbxGateway {
  readonly kind = 'asterisk' as const;
  private readonly log: AdapterLogger;
  private readonly timing: AriTiming;
  private readonly connection: AriConnection;
  private readonly rest: AriRest;
  private readonly routes: EventRoutes;
  private readonly ended: EndedAttempts;
  private readonly attempts = new Map<string, AttemptBase<string>>();
  private readonly orphans = new Map<string, NodeJS.Timeout>();
  /** Callers in a CallBack node dialog of this process. */
  private readonly inCallbackNode = new Set<string>();
  private wiring: { listener: PbxListener; observer: QueueObserver; attemptDeps: AttemptDeps; session: SessionDeps } | null = null;

  constructor(private readonly opts: AriGatewayOptions) {
    this.log = opts.logger.child({ pbx: 'asterisk' });
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.routes = new EventRoutes(this.log);
    this.connection = new AriConnection(
      opts.ari,
      this.log,
      {
        event: (event) => this.onEvent(event),
        up: () => this.wiring?.listener.connectionChanged(true),
        down: () => this.wiring?.listener.connectionChanged(false),
      },
      { connectTimeoutMs: this.timing.connectTimeoutMs, heartbeatMs: this.timing.heartbeatMs },
    );
    this.rest = new AriRest(() => this.connection.currentClient(), opts.ari.app, this.timing.requestTimeoutMs);
    this.ended = new EndedAttempts(this.rest, this.routes, this.log);
  }

  async start(listener: PbxListener): Promise<void> {
    const { rest, routes, log } = this;
    const session: SessionDeps = { rest, routes, log, maxPromptMs: this.timing.maxPromptMs };
    const attemptDeps: AttemptDeps = {
      rest,
      routes,
      listener,
      log,
      app: this.opts.ari.app,
      prompts: this.opts.prompts,
      session,
      confirmDigitMs: this.timing.confirmDigitMs,
      forget: (attemptId) => this.attempts.delete(attemptId),
    };
    const observer = new QueueObserver({
      rest,
      routes,
      listener,
      log,
      clock: this.opts.clock,
      app: this.opts.ari.app,
      formVariables: this.opts.formVariables,
      maxPromptMs: this.timing.maxPromptMs,
    });
    this.wiring = { listener, observer, attemptDeps, session };
    this.connection.start();
  }

  async stop(): Promise<void> {
    await this.connection.stop();
    for (const timer of this.orphans.values()) clearTimeout(timer);
    this.orphans.clear();
    this.wiring?.observer.clear();
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  async startAttempt(plan: AttemptPlan): Promise<void> {
    const { attemptDeps } = this.wired();
    if (this.attempts.has(plan.attemptId)) throw new ConflictError(`attempt ${plan.attemptId} is already under way`);
    const attempt =
      plan.mode === 'agent-first'
        ? new PlaceholderAttempt(plan, plan.queue, attemptDeps, dialOf(plan))
        : new CustomerFirstAttempt(plan, plan.queue, attemptDeps);
    this.attempts.set(plan.attemptId, attempt);
    await attempt.start(plan);
  }

  async abandonAttempt(ref: AttemptRef): Promise<void> {
    const attempt = this.attempts.get(ref.attemptId);
    if (attempt) return attempt.abandon();
    if (ref.placeholderRef) await this.rest.hangup(ref.placeholderRef);
  }

  async reconcile(open: ReconcileRequest): Promise<ReconcileResult> {
    const { observer, attemptDeps } = this.wired();
    return reconcileOpen(
      {
        rest: this.rest,
        attemptDeps,
        observer,
        log: this.log,
        app: this.opts.ari.app,
        known: (attemptId) => this.attempts.get(attemptId),
        register: (attempt) => this.attempts.set(attempt.ref.attemptId, attempt),
        tidyEnded: (attemptId, channel) => {
          this.ended.tidy(attemptId, channel).catch((err: unknown) => this.log.warn('could not clear a channel of an attempt that is over', { attemptId, error: describeError(err) }));
        },
        resumeCallbackNode: (channel, args) => {
          if (this.inCallbackNode.has(channel.id)) return;
          this.log.warn('caller left in the CallBack node by a previous process: starting the dialog again', { callId: channel.id });
          this.callbackNode(channel, args);
        },
      },
      open,
    );
  }

  /**
   * The engine recorded these calls as answered: their served marks, and the mixing bridge of an
   * agent-first customer (`cbcu-<attempt>`), kept until then as the proof, can go.
   */
  async forgetCalls(callIds: readonly string[]): Promise<void> {
    const { observer } = this.wired();
    for (const callId of callIds) {
      await observer.clearMark(callId);
      if (callId.startsWith(CUSTOMER_PREFIX)) {
        await this.rest.destroyBridge(bridgeIdOf(callId.slice(CUSTOMER_PREFIX.length))).catch((err: unknown) => this.log.debug('no bridge to delete', { callId, error: describeError(err) }));
      }
    }
  }

  private callbackNode(channel: AriChannel, args: readonly string[]): void {
    const wiring = this.wired();
    this.inCallbackNode.add(channel.id);
    runCallbackNode({ ...wiring.session, listener: wiring.listener, formVariables: this.opts.formVariables, clock: this.opts.clock }, channel, args)
      .catch((err: unknown) => this.log.error('CallBack node failed', { callId: channel.id, error: describeError(err) }))
      .finally(() => this.inCallbackNode.delete(channel.id));
  }

  private wired(): NonNullable<AriGateway['wiring']> {
    if (!this.wiring) throw new Error('the Asterisk gateway was not started');
    return this.wiring;
  }

  private onEvent(event: AriEvent): void {
    this.routes.deliver(event);
    if (event.type === 'StasisStart') this.dispatch(event);
    else if (event.type === 'ChannelUserevent' && !this.routes.isWatched(event.channel.id)) this.wiring?.observer.unwatchedGone(event);
  }

  private dispatch(event: StasisStart): void {
    const wiring = this.wiring;
    if (!wiring) return;
    const { channel, args } = event;
    const role = args[0];
    const failed = (what: string) => (err: unknown) => this.log.error(`${what} failed`, { callId: channel.id, error: describeError(err) });
    switch (role) {
      case 'observe':
        wiring.observer.onStasisStart(channel, args).catch(failed('observe hop'));
        return;
      case 'callback':
        if (!this.inCallbackNode.has(channel.id)) this.callbackNode(channel, args);
        return;
      case 'placeholder':
      case 'customer': {
        const attemptId = args[1] ?? '';
        const attempt = this.attempts.get(attemptId);
        if (attempt) attempt.onStasisStart(channel, role).catch(failed(`${role} answer`));
        else this.park(channel.id, attemptId, role);
        return;
      }
      default:
        // Not ours to handle; let the dialplan go on rather than hold the caller in silence.
        this.log.warn('channel entered the application with unknown arguments; continuing it', { callId: channel.id, args });
        this.rest.continueInDialplan(channel.id).catch(failed('continue'));
    }
  }

  /**
   * A placeholder or customer of an attempt this process does not know yet: after a restart the
   * engine's reconcile adopts it (and sees it answered); if nobody does, free the line.
   */
  private park(channelId: string, attemptId: string, role: string): void {
    if (this.orphans.has(channelId)) return;
    this.log.warn(`${role} of an unknown attempt answered; waiting for reconcile`, { callId: channelId, attemptId });
    const timer = setTimeout(() => {
      this.orphans.delete(channelId);
      if (this.attempts.has(attemptId)) return;
      this.log.warn(`${role} of an unknown attempt hung up`, { callId: channelId, attemptId });
      this.rest.hangup(channelId).catch((err: unknown) => this.log.warn('hangup failed', { callId: channelId, error: describeError(err) }));
    }, this.timing.orphanGraceMs);
    this.orphans.set(channelId, timer);
  }
}
