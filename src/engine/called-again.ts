import type { Logger } from 'winston';
import type { Config, TransitionRule } from '../config/types';
import type { Clock } from '../domain/clock';
import { CallbackdError, ConflictError } from '../domain/errors';
import { normaliseNumber } from '../domain/number';
import { targetQueue } from '../domain/rules';
import type { CallbackStore, NewEvent } from '../domain/store';
import type { Callback } from '../domain/types';
import type { QueueCallEntered } from '../pbx/gateway';
import type { Callbacks } from './callbacks';
import type { QueueCalls } from './queue-calls';

/** What the caller did with the offer: 1, 2, 3, no key (twice), or hung up while it played. */
export type CalledAgainChoice = 'keep' | 'cancel' | 'stay' | 'timeout' | 'hangup';

/** A pending callback to tell a returning caller about. */
export interface PendingOffer {
  callback: Callback;
  rule: TransitionRule;
  /** When it is to be dialled as the caller hears it: its due time, or now when it is overdue. */
  at: number;
  now: number;
  /** The zone the time is said in: the transition's calling window's, else its schedule's, else the daemon's own. */
  timezone: string;
}

/**
 * The engine's side of a caller who calls again while a callback is pending for their number: is
 * there one to offer (its transition enables offerPendingOnReturn, and nobody is dialling it),
 * and what the caller chose, recorded in its history. A cancel is the lifecycle's own cancel, as
 * from the API, with the CallerCalledAgain event in the same transaction.
 */
export class PendingOffers {
  constructor(
    private readonly store: CallbackStore,
    private readonly callbacks: Callbacks,
    private readonly queueCalls: QueueCalls,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The callback to offer to this call, or null (feature off, anonymous caller, nothing pending, being dialled). */
  async offerFor(call: QueueCallEntered): Promise<PendingOffer | null> {
    // Off everywhere (the default): not one read of the store for each queue call.
    if (!this.config.transitions.some((r) => r.offerPendingOnReturn)) return null;
    const number = this.e164(call.number);
    if (!number) return null;
    const log = this.logger.child({ callId: call.callId, queue: call.queue });
    for (const queue of this.queuesOf(call.queue)) {
      const pending = await this.store.pendingFor(number, queue);
      if (!pending || pending.pbx !== this.config.pbxName) continue;
      const rule = this.ruleOf(pending);
      if (!rule?.offerPendingOnReturn) continue;
      const now = this.clock.now();
      const busy = await this.beingDialled(pending, now);
      if (busy) {
        log.info(`callback ${pending.id} pending for the caller is not offered: ${busy}`, { callbackId: pending.id });
        continue;
      }
      return { callback: pending, rule, at: Math.max(pending.dueAt as number, now), now, timezone: zoneOf(rule) };
    }
    return null;
  }

  /** A choice that leaves the callback as it is, in its history; 1 (keep) also ends the queue call as 'callback'. */
  async record(offer: PendingOffer, callId: string, choice: Exclude<CalledAgainChoice, 'cancel'>): Promise<void> {
    await this.note(offer.callback.id, calledAgain(offer, callId, choice));
    if (choice === 'keep') await this.queueCalls.choseCallback(callId);
    this.callbacks.logFor(offer.callback).info(`caller called again on ${callId}: ${choice}`);
  }

  /**
   * Key 2. True when it is Cancelled; false when it could not be any more (an attempt started
   * meanwhile, or it settled): the choice is then recorded with cancelled: false.
   */
  async cancel(offer: PendingOffer, callId: string): Promise<boolean> {
    const log = this.callbacks.logFor(offer.callback);
    try {
      await this.callbacks.cancel(offer.callback.id, 'caller', `the caller called again on ${callId} and cancelled it`, [calledAgain(offer, callId, 'cancel')]);
      log.info(`caller called again on ${callId}: cancel`);
      return true;
    } catch (err) {
      if (!(err instanceof CallbackdError)) throw err;
      log.warn(`caller called again on ${callId} and chose cancel, but it cannot be cancelled now: ${err.message}`);
      await this.note(offer.callback.id, { ...calledAgain(offer, callId, 'cancel'), data: { callId, choice: 'cancel', cancelled: false } });
      return false;
    }
  }

  /** The call's own queue and the target queues of the transitions that take its calls. */
  private queuesOf(queue: string): string[] {
    const queues = new Set([queue]);
    for (const rule of this.config.transitions) {
      if (rule.sourceQueue === '*' || rule.sourceQueue === queue) queues.add(targetQueue(rule, queue));
    }
    return [...queues];
  }

  /** Why a pending callback must not be offered now (someone is dialling it, or it holds a place), or null. */
  private async beingDialled(callback: Callback, now: number): Promise<string | null> {
    if (callback.status !== 'Scheduled') return `it is ${callback.status}`;
    if (callback.dueAt === null) return 'it holds a place in the queue';
    if (callback.claimOwner !== null && (callback.claimUntil ?? 0) > now) return 'a dialler has claimed it';
    const open = (await this.store.attemptsOf(callback.id)).some((a) => a.endedAt === null);
    return open ? 'an attempt is under way' : null;
  }

  /** A history line that moves nothing; written on the callback as it is now (another writer may have moved its version). */
  private async note(callbackId: string, event: NewEvent): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await this.callbacks.update(await this.callbacks.get(callbackId), { events: [event] });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || tries >= 3) throw err;
      }
    }
  }

  private ruleOf(callback: Callback): TransitionRule | null {
    try {
      return this.callbacks.ruleOf(callback);
    } catch {
      return null;
    }
  }

  private e164(raw: string | null): string | null {
    try {
      return normaliseNumber(raw, this.config.defaultCountry);
    } catch {
      return null;
    }
  }
}

function calledAgain(offer: PendingOffer, callId: string, choice: CalledAgainChoice): NewEvent {
  return { type: 'CallerCalledAgain', callbackId: offer.callback.id, callId, data: { callId, choice } };
}

function zoneOf(rule: TransitionRule): string {
  return rule.window?.timezone ?? rule.schedule?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}
