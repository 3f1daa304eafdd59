import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import type { Config, TransitionRule } from '../config/types';
import { crashPoint } from '../crash';
import type { Clock } from '../domain/clock';
import { ConflictError, InvalidRequestError, LimitReachedError, NotFoundError } from '../domain/errors';
import { dailyLimitReached } from '../domain/lost-shift';
import { nextStatus, type LifecycleEvent } from '../domain/lifecycle';
import { mergedFields } from '../domain/merge';
import { checkNumberAllowed, normaliseNumber } from '../domain/number';
import { expiresAt, initialDueAt, isExpired } from '../domain/retry';
import { findTransition, ruleOf, targetQueue } from '../domain/rules';
import type { CallbackChange, CallbackStore, CreateResult, NewEvent, RequestKey } from '../domain/store';
import { TERMINAL_STATUSES, type Attempt, type Callback, type EventType, type Form, type Mechanism } from '../domain/types';
import { factsOf, type Committed } from './facts';
import { Feed } from './feed';

export interface CallbackRequest {
  /** As given by the caller, the PBX or the API; normalised and checked here. */
  number: string;
  /** The queue the call was in (the transition's source queue). */
  queue: string;
  /** The queue that handles the callback, when a script chose it; otherwise the transition's target queue. */
  targetQueue?: string;
  mechanism: Mechanism;
  /** Explicit due time; otherwise now + delayMinutes (or the rule's delay), moved into the calling window. */
  dueAt?: number;
  delayMinutes?: number;
  /** Delay-0 virtual queuing: no due time, a placeholder holds this place. */
  holdPlace?: { position: number };
  originCallId?: string | null;
  /** CallBack / LostCall events carry the Shifted reference; manual ones only when asked. */
  birthEvent: Extract<EventType, 'CallBack' | 'LostCall' | 'Created'>;
  shifted: boolean;
  form?: Form;
  note?: string | null;
  /** Who asked (for the history): 'ivr', 'pbx', 'api', 'cli', … */
  by: string;
  /** More for the birth event's data (for example where in a front end it was asked for). */
  birthData?: Record<string, unknown>;
  /** A front end's idempotency key: a repeat returns the first result and changes nothing (see CallbackStore.createOrMerge). */
  requestKey?: RequestKey;
}

/** What a person says when moving a callback: why, and whether it was "call now". */
export interface RescheduleNote {
  reason?: string | null;
  callNow?: boolean;
}

export interface CallbackHooks {
  /** A callback became due at `dueAt`: the scheduler re-arms its timer if that is earlier. */
  onDue?: (dueAt: number) => void;
  /** A callback reached a terminal status: whatever still holds a place for it is let go. */
  onSettled?: (callback: Callback) => void;
}

export interface Change {
  set?: CallbackChange['set'];
  events?: NewEvent[];
  startAttempt?: CallbackChange['startAttempt'];
  endAttempt?: CallbackChange['endAttempt'];
  updateAttempt?: CallbackChange['updateAttempt'];
}

/**
 * The callback lifecycle as the rest of the daemon sees it. Every status change goes through
 * `apply`, which checks the transition table, persists the change with its events in one
 * transaction, and logs `from -[event]-> to`. What `request`, `apply` and `update` commit is told
 * to `feed` once committed.
 */
export class Callbacks {
  constructor(
    private readonly store: CallbackStore,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly hooks: CallbackHooks = {},
    readonly feed: Feed = new Feed(logger),
  ) {}

  private onDue(dueAt: number): void {
    this.hooks.onDue?.(dueAt);
  }

  /** The rule for a new callback, or InvalidRequestError naming why none applies. */
  ruleFor(queue: string, mechanism: Mechanism): TransitionRule {
    const rule = this.ruleForOrNull(queue, mechanism);
    if (!rule) throw new InvalidRequestError(`no transition enables ${mechanism} callbacks for queue "${queue}"`);
    return rule;
  }

  ruleForOrNull(queue: string, mechanism: Mechanism): TransitionRule | null {
    return findTransition(this.config.transitions, queue, mechanism === 'script' ? 'manual' : mechanism, this.clock.now());
  }

  ruleOf(callback: Callback): TransitionRule {
    const rule = ruleOf(this.config.transitions, callback.transition, callback.queue, this.clock.now());
    if (!rule) throw new InvalidRequestError('no transition is configured');
    return rule;
  }

  /** A number fit to dial under `rule`, or InvalidNumberError. */
  validNumber(raw: string, rule: TransitionRule): string {
    const e164 = normaliseNumber(raw, this.config.defaultCountry);
    checkNumberAllowed(e164, rule.numbers, this.config.defaultCountry);
    return e164;
  }

  /** Whether the rule's pending cap for the target queue is reached (the IVR stops offering). */
  async isFull(rule: TransitionRule, sourceQueue: string): Promise<boolean> {
    return rule.maxPending > 0 && (await this.store.countPending(targetQueue(rule, sourceQueue), this.config.pbxName)) >= rule.maxPending;
  }

  async request(req: CallbackRequest): Promise<CreateResult> {
    const rule = this.ruleFor(req.queue, req.mechanism);
    const number = this.validNumber(req.number, rule);
    const now = this.clock.now();
    const dueAt = req.holdPlace ? null : (req.dueAt ?? initialDueAt(now, req.delayMinutes ?? rule.delayMinutes, rule));
    if (!req.holdPlace && dueAt === null) throw new InvalidRequestError(`the calling window of transition "${rule.name}" never opens`);
    const queue = req.targetQueue ?? targetQueue(rule, req.queue);
    await this.checkDailyLimits(rule, number, queue, now);
    const id = randomUUID();
    const birth: NewEvent = {
      type: req.birthEvent,
      callbackId: id,
      callId: req.originCallId ?? null,
      data: { mechanism: req.mechanism, by: req.by, sourceQueue: req.queue, ...(req.shifted ? { shifted: req.originCallId ?? true } : {}), ...req.birthData },
    };
    const fresh = {
      id,
      number,
      queue,
      mechanism: req.mechanism,
      transition: rule.name,
      dueAt,
      expiresAt: expiresAt(now, rule),
      createdAt: now,
      originCallId: req.originCallId ?? null,
      shifted: req.shifted,
      form: req.form ?? {},
      note: req.note ?? null,
      queuePosition: req.holdPlace?.position ?? null,
      pbx: this.config.pbxName,
    };
    const result = await this.store.createOrMerge(fresh, [birth], (existing) => ({
      callbackId: existing.id,
      at: now,
      from: existing.status,
      event: existing.status === 'Scheduled' ? 'merge' : undefined,
      to: existing.status === 'Scheduled' ? nextStatus(existing.status, 'merge') : undefined,
      set: mergedFields(existing, { dueAt, shifted: req.shifted, form: req.form ?? {}, note: req.note ?? null }),
      events: [
        { ...birth, callbackId: existing.id },
        { type: 'Merged', callbackId: existing.id, callId: req.originCallId ?? null, data: { mechanism: req.mechanism, by: req.by } },
      ],
    }), req.requestKey);
    if (result.repeated) {
      // A retried request: nothing was written, so there is nothing to tell.
      this.logFor(result.callback).info('request repeated (same idempotency key): answered with its first result');
      return result;
    }
    this.feed.emit({ kind: 'callback.created', at: now, callback: result.callback, merged: result.merged });
    const log = this.logFor(result.callback);
    if (result.merged) log.info(`request merged into pending callback ${result.callback.id}`, { mechanism: req.mechanism });
    else log.info(`callback created (${req.mechanism}) for ${number}`, { dueAt: dueAt === null ? null : new Date(dueAt).toISOString() });
    if (result.callback.dueAt !== null) this.onDue(result.callback.dueAt);
    return result;
  }

  /**
   * The caps per number and per queue in any 24 hours, for a request that would create (a merge
   * into a pending callback creates nothing). Counted before the creation, not in its
   * transaction: daemons creating for one number at the same instant may pass one over a cap.
   */
  private async checkDailyLimits(rule: TransitionRule, number: string, queue: string, now: number): Promise<void> {
    if (rule.numbers.maxPerNumberPerDay === 0 && rule.maxPerQueuePerDay === 0) return;
    if (await this.store.pendingFor(number, queue)) return;
    const reached = await dailyLimitReached(rule, number, queue, { countCreatedSince: (scope, since) => this.store.countCreatedSince(scope, this.config.pbxName, since) }, now);
    if (reached) throw new LimitReachedError(reached.reason, reached.detail);
  }

  async get(id: string): Promise<Callback> {
    const callback = await this.store.get(id);
    if (!callback) throw new NotFoundError(`callback ${id}`);
    return callback;
  }

  /** Move `callback` by lifecycle `event`, persisting `change` with it. Throws IllegalTransitionError or ConflictError. */
  async apply(callback: Callback, event: LifecycleEvent, change: Change = {}): Promise<Callback> {
    const to = nextStatus(callback.status, event);
    const at = this.clock.now();
    const ending = await this.ending(change);
    const next = await this.store.commit({ callbackId: callback.id, at, from: callback.status, event, to, version: callback.version, ...change });
    this.tell({ at, before: callback, next, event, change, ending });
    this.logFor(next).info(`${callback.status} -[${event}]-> ${to}`);
    if (next.dueAt !== null && next.status === 'Scheduled') this.onDue(next.dueAt);
    if (TERMINAL_STATUSES.has(to)) {
      crashPoint('callback-settled');
      this.hooks.onSettled?.(next);
    }
    return next;
  }

  /** Persist a change that does not move the status (attempt bookkeeping, number changes). */
  async update(callback: Callback, change: Change): Promise<Callback> {
    const at = this.clock.now();
    const ending = await this.ending(change);
    const next = await this.store.commit({ callbackId: callback.id, at, from: callback.status, version: callback.version, ...change });
    this.tell({ at, before: callback, next, change, ending });
    return next;
  }

  /** The attempt a change ends, read before the commit so the feed can tell its start and channels. */
  private ending(change: Change): Promise<Attempt | null> {
    return change.endAttempt ? this.store.getAttempt(change.endAttempt.id) : Promise.resolve(null);
  }

  /** Called right after the commit resolved, with no wait in between: the feed keeps the order of commits. */
  private tell(committed: Committed): void {
    for (const fact of factsOf(committed)) this.feed.emit(fact);
  }

  /** `also`: more history lines committed with the cancel (a returning caller's CallerCalledAgain). */
  async cancel(id: string, by: string, reason: string, also: readonly NewEvent[] = []): Promise<Callback> {
    const callback = await this.get(id);
    if (callback.status === 'Dialing') throw new ConflictError(`callback ${id} is being dialled; it can be cancelled once the attempt ends`);
    return this.apply(callback, 'cancel', { set: { dueAt: null, claimOwner: null, claimUntil: null }, events: [{ type: 'Note', callbackId: id, data: { cancelledBy: by, reason } }, ...also] });
  }

  /**
   * Move a Scheduled callback to `dueAt`. A claim on it is given back: the dialer that holds it
   * finds the version moved and skips it, and the new time is claimed afresh. A time at or after
   * the callback's deadline would only expire it, so it is refused.
   */
  async reschedule(id: string, dueAt: number, by: string, note: RescheduleNote = {}): Promise<Callback> {
    const callback = await this.get(id);
    if (callback.status === 'Scheduled' && callback.dueAt === null) {
      throw new ConflictError(`callback ${id} is holding a place in queue ${callback.queue}; cancel it instead`);
    }
    if (callback.status === 'Scheduled' && callback.expiresAt !== null && dueAt >= callback.expiresAt) {
      throw new InvalidRequestError(`callback ${id} expires at ${new Date(callback.expiresAt).toISOString()}: give an earlier time`);
    }
    const data = { dueAt, by, ...(note.reason ? { reason: note.reason } : {}), ...(note.callNow ? { callNow: true } : {}) };
    return this.apply(callback, 'reschedule', { set: { dueAt, claimOwner: null, claimUntil: null }, events: [{ type: 'Rescheduled', callbackId: id, data }] });
  }

  /** Exclusion: the caller got through on call `callId`, so their shifted Scheduled callbacks are useless. */
  async neglectFor(number: string, callId: string): Promise<Callback[]> {
    const neglected: Callback[] = [];
    for (const callback of await this.store.scheduledShiftedFor(number)) {
      try {
        neglected.push(
          await this.apply(callback, 'neglect', {
            set: { dueAt: null, claimOwner: null, claimUntil: null },
            events: [{ type: 'Neglected', callbackId: callback.id, callId, data: { servedCallId: callId } }],
          }),
        );
      } catch (err) {
        // Claimed or dialled a moment ago: a callback already Dialing is left alone.
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    return neglected;
  }

  /** Expire what passed its deadline while Scheduled. Returns the expired callbacks. */
  async expireDue(limit = 500): Promise<Callback[]> {
    const now = this.clock.now();
    const expired: Callback[] = [];
    for (const callback of await this.store.dueForExpiry(now, limit)) {
      if (!isExpired(callback, now)) continue;
      try {
        expired.push(await this.apply(callback, 'expire', { set: { dueAt: null, claimOwner: null, claimUntil: null } }));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    return expired;
  }

  logFor(callback: Pick<Callback, 'id' | 'queue' | 'originCallId'>): Logger {
    return this.logger.child({ callbackId: callback.id, queue: callback.queue, callId: callback.originCallId ?? undefined });
  }
}
