import type { IvrPrompts } from '../config/types';
import { CallbackdError } from '../domain/errors';
import type { Outcome } from '../domain/types';
import { PbxDialError, PbxUnavailableError, type AttemptRef, type PbxListener } from '../pbx/gateway';
import { NOT_CONNECTED, toRequestError, type AriRest, type OriginateParams } from './ari-rest';
import type { SessionDeps } from './caller-session';
import type { ChannelHandler, EventRoutes } from './event-routes';
import type { AriChannel } from './events';
import { describeError, type AdapterLogger } from './logging';
import { classifyOriginateError } from './outcomes';

export interface AttemptDeps {
  rest: AriRest;
  routes: EventRoutes;
  listener: PbxListener;
  log: AdapterLogger;
  app: string;
  prompts: IvrPrompts;
  session: SessionDeps;
  /** Customer-first: how long the answered customer has to press 1. */
  confirmDigitMs: number;
  /** Called once the attempt needs no more events. */
  forget(attemptId: string): void;
}

/** What reconcile learned of an attempt whose channels are gone. */
export interface GoneAttempt {
  attemptId: string;
  stage: 'placeholder' | 'customer';
  outcome: Outcome;
}

/**
 * What every attempt shares: its stage, logged `from -[event]-> to`; its channel watches; and
 * exactly one report of how it ended. The report waits until the originate that began the
 * attempt was answered (events can beat the HTTP response), and is dropped when the originate
 * was refused (startAttempt already rejected) or reconcile returned the attempt as gone.
 */
export abstract class AttemptBase<Stage extends string> {
  protected readonly log: AdapterLogger;
  private settled = false;
  private markReported: () => void = () => {};
  /**
   * Resolves once the engine has recorded the outcome: what a restart would read to learn it (the
   * bridge of an answered call, a served mark) may be removed only then. Never resolves when the
   * report failed: the evidence stays for the next reconcile.
   */
  protected readonly reported = new Promise<void>((resolve) => (this.markReported = resolve));
  private finished = false;
  /** The outcome reported, for a reconcile that asks about an attempt already over. */
  protected outcome: Outcome | null = null;
  private readonly unwatchers: Array<() => void> = [];
  private accept!: (accepted: boolean) => void;
  /** Resolves true once the first request was accepted, false if it was refused. */
  protected readonly accepted = new Promise<boolean>((resolve) => {
    this.accept = resolve;
  });

  protected constructor(
    readonly ref: AttemptRef,
    readonly queue: string,
    protected readonly deps: AttemptDeps,
    protected stage: Stage,
  ) {
    this.log = deps.log.child({ callbackId: ref.callbackId, attemptId: ref.attemptId, queue });
  }

  abstract abandon(): Promise<void>;
  /** Check the channels after a reconnect: null if the attempt lives on, else what became of it. */
  abstract reconcile(): Promise<GoneAttempt | null>;
  /** A StasisStart with this attempt's id in its arguments. */
  abstract onStasisStart(channel: AriChannel, role: 'placeholder' | 'customer'): Promise<void>;

  /** Whether the attempt is at one of `stages` (a call, so checks after an await are not narrowed away). */
  protected at(...stages: Stage[]): boolean {
    return stages.includes(this.stage);
  }

  protected moveTo(next: Stage, event: string): void {
    if (this.stage === next) return;
    this.log.info(`attempt ${this.stage} -[${event}]-> ${next}`);
    this.stage = next;
  }

  protected watch(channelId: string, handler: ChannelHandler): void {
    this.unwatchers.push(this.deps.routes.watchChannel(channelId, handler));
  }

  /** Something to undo when the attempt finishes (a session's watch). */
  protected onFinish(undo: () => void): void {
    this.unwatchers.push(undo);
  }

  protected markAccepted(accepted: boolean): void {
    this.accept(accepted);
  }

  /** Report the outcome once, after the first request was accepted. */
  protected end(outcome: Outcome, detail: string): void {
    if (this.settled) return;
    this.settled = true;
    this.outcome = outcome;
    this.background(
      'attempt end',
      this.accepted.then(async (ok) => {
        if (!ok) return;
        // 'answered' is known when the customer is joined, long before the conversation ends.
        this.log.info(`attempt outcome: ${outcome}`, { outcome, detail });
        try {
          await this.deps.listener.attemptEnded(this.ref, outcome, detail);
        } catch (err) {
          this.log.error('attemptEnded failed', { error: describeError(err) });
          return;
        }
        this.markReported();
        await this.afterReport();
      }),
    );
  }

  /** Work started from an event handler: nothing awaits it, so its failure is logged here. */
  protected background(what: string, work: Promise<unknown>): void {
    work.catch((err: unknown) => this.log.error(`${what} failed`, { error: describeError(err) }));
  }

  /** After the outcome is recorded: what the attempt left on the PBX for a restart to read can go. */
  protected async afterReport(): Promise<void> {}

  /** Reconcile returns the end to the engine itself: no attemptEnded for it. */
  protected silence(outcome: Outcome): void {
    this.settled = true;
    this.outcome = outcome;
  }

  /** Stop listening and drop the attempt from the gateway. */
  protected finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const unwatch of this.unwatchers.splice(0)) unwatch();
    this.deps.forget(this.ref.attemptId);
  }

  /** Hang up, tolerating a channel already gone and logging anything else. */
  protected async hangupQuietly(channelId: string): Promise<void> {
    await this.deps.rest.hangup(channelId).catch((err: unknown) => this.log.warn('hangup failed', { channelId, error: describeError(err) }));
  }

  /**
   * What a failed originate means: the error to reject with, or null when the channel exists after
   * all (the request went out but its answer was lost, so Asterisk may well be dialling).
   */
  protected async originateFailure(err: unknown, channelId: string): Promise<Error | null> {
    const failure = toRequestError('channels.originate', err);
    if (failure.unanswered) {
      if (failure.reason === NOT_CONNECTED) return new PbxUnavailableError('Asterisk is not connected: nothing was dialled');
      const channel = await this.deps.rest.getChannel(channelId).catch(() => undefined);
      if (channel) return null;
      if (channel === undefined) return new CallbackdError('pbx_unavailable', `originate unanswered: ${failure.reason}`);
      return new PbxDialError('failed', `originate unanswered and no channel was made: ${failure.reason}`);
    }
    const { outcome, detail } = classifyOriginateError(failure.status, failure.reason);
    return new PbxDialError(outcome, detail);
  }

  /**
   * Originate the attempt's first channel. A refusal ends the attempt and rejects with the error
   * startAttempt reports; otherwise the attempt is accepted and its channel watched.
   */
  protected async originateFirst(params: OriginateParams, channelId: string, over: Stage): Promise<void> {
    try {
      await this.deps.rest.originate(params);
    } catch (err) {
      const failure = await this.originateFailure(err, channelId);
      if (failure) {
        this.markAccepted(false);
        this.moveTo(over, 'refused');
        this.finish();
        throw failure;
      }
    }
    this.markAccepted(true);
  }

  protected async subscribeQuietly(channelId: string): Promise<void> {
    await this.deps.rest.subscribeChannel(channelId).catch((err: unknown) => this.log.debug('subscription failed', { channelId, error: describeError(err) }));
  }
}
