import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import type { Config, TransitionRule } from '../config/types';
import type { Clock } from '../domain/clock';
import { crashPoint } from '../crash';
import { CallbackdError, ConflictError } from '../domain/errors';
import { dialString, spokenDigits } from '../domain/number';
import { decideAfterAttempt, isExpired } from '../domain/retry';
import type { CallbackStore } from '../domain/store';
import { TERMINAL_STATUSES, type Attempt, type Callback, type DialMode, type Outcome } from '../domain/types';
import { PbxDialError, PbxUnavailableError, type AttemptPlan, type AttemptRef, type DialTarget, type PbxGateway } from '../pbx/gateway';
import type { Callbacks } from './callbacks';
import { Lanes } from './lanes';

/** Who this dialer is in the store: its attempts carry `owner` and a lease it renews while they run. */
export interface DialerIdentity {
  owner: string;
  leaseMs: number;
}

/** How often an attempt that hit a concurrent change is tried again before giving up. */
const CONFLICT_TRIES = 3;

/** A withdrawn attempt's callback is due again this much later, so a flapping link cannot spin. */
const WITHDRAWN_RETRY_MS = 5_000;

export function refOf(attempt: Attempt): AttemptRef {
  return { attemptId: attempt.id, callbackId: attempt.callbackId, placeholderRef: attempt.placeholderRef, customerRef: attempt.customerRef };
}

/**
 * Turns callbacks into attempts on the PBX and attempt outcomes back into lifecycle events.
 * Every attempt is written (with the PBX ids it will use) before the PBX is asked to do
 * anything, so a restart finds it and never starts it twice.
 */
export class Dialer {
  /** Attempts of this process still running, by attempt id: their end frees a slot. */
  private readonly active = new Map<string, string>();
  /** One change at a time per callback (see Lanes). */
  private readonly lanes = new Lanes();
  /** Callbacks whose number the caller is still confirming in the IVR (delay 0). */
  private readonly unconfirmed = new Map<string, Promise<boolean>>();
  /** Attempts being started for claims the scheduler handed over (dispatch does not wait for them). */
  private readonly starting = new Set<Promise<void>>();
  private afterEnd: () => void = () => {};

  constructor(
    private readonly store: CallbackStore,
    private readonly callbacks: Callbacks,
    private readonly gateway: PbxGateway | null,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly identity: DialerIdentity = { owner: 'dialer', leaseMs: 60_000 },
  ) {}

  /** Called whenever an attempt ends (a slot is free again). */
  onAttemptEnd(fn: () => void): void {
    this.afterEnd = fn;
  }

  canDial(): boolean {
    return this.gateway !== null && this.gateway.isConnected();
  }

  /** A callback the scheduler claimed is due: start its attempt in the rule's dial mode. */
  dispatch(callback: Callback): void {
    const rule = this.callbacks.ruleOf(callback);
    const started: Promise<void> = this.begin(callback, rule, rule.dialMode, 1, true)
      .catch((err) => {
        this.logger.error('dispatch failed', { callbackId: callback.id, error: String(err) });
      })
      .finally(() => this.starting.delete(started));
    this.starting.add(started);
  }

  /** Whether an attempt handed over by dispatch is still being started. */
  get busy(): boolean {
    return this.starting.size > 0;
  }

  /** Resolves once no dispatched attempt is still being started: for tests and an orderly stop. */
  async settled(): Promise<void> {
    while (this.starting.size > 0) await Promise.all([...this.starting]);
  }

  /** Delay 0: a placeholder takes the caller's place now, while the caller still confirms. */
  async holdPlace(callback: Callback, confirmed: Promise<boolean>): Promise<void> {
    this.awaitConfirmation(callback, confirmed);
    await this.begin(callback, this.callbacks.ruleOf(callback), 'agent-first', callback.queuePosition ?? 1, false);
  }

  /**
   * The caller of a held place is confirming their number in a dialog of this process: an agent who
   * takes the placeholder meanwhile waits for the answer, and a reconcile does not give the place up.
   */
  awaitConfirmation(callback: Callback, confirmed: Promise<boolean>): void {
    this.unconfirmed.set(callback.id, confirmed);
    confirmed.finally(() => this.unconfirmed.delete(callback.id)).catch(() => {});
  }

  private spoken(e164: string): string {
    return spokenDigits(e164, this.config.defaultCountry);
  }

  private track(attemptId: string, callback: Callback): void {
    this.active.set(attemptId, callback.id);
  }

  private async begin(claimed: Callback, rule: TransitionRule, mode: DialMode, position: number, counted: boolean): Promise<void> {
    const log = this.callbacks.logFor(claimed);
    if (!this.gateway) {
      await this.store.releaseClaim(claimed.id, claimed.claimOwner ?? '');
      return;
    }
    if (isExpired(claimed, this.clock.now())) {
      // Due and past its deadline before the sweep saw it: it is not dialled.
      await this.callbacks.apply(claimed, 'expire', { set: { dueAt: null, claimOwner: null, claimUntil: null } });
      return;
    }
    let endpoint: string;
    try {
      endpoint = dialString(rule.endpoint, this.callbacks.validNumber(claimed.number, rule));
    } catch (err) {
      // The rules changed since it was created, or the number was never dialable: retrying cannot help.
      await this.callbacks.apply(claimed, 'fail', { set: { dueAt: null, claimOwner: null, claimUntil: null }, events: [{ type: 'Note', callbackId: claimed.id, data: { reason: String((err as Error).message) } }] });
      return;
    }
    const attemptId = randomUUID();
    const ref: AttemptRef = {
      attemptId,
      callbackId: claimed.id,
      placeholderRef: mode === 'agent-first' ? `cbph-${attemptId}` : null,
      customerRef: `cbcu-${attemptId}`,
    };
    const seq = claimed.attempts + 1;
    const now = this.clock.now();
    const start = {
      id: attemptId,
      callbackId: claimed.id,
      seq,
      mode,
      startedAt: now,
      placeholderRef: ref.placeholderRef,
      customerRef: mode === 'customer-first' ? ref.customerRef : null,
      owner: this.identity.owner,
      leaseUntil: now + this.identity.leaseMs,
      counted,
    };
    const started = { type: 'AttemptStarted' as const, callbackId: claimed.id, data: { attemptId, seq, mode, position: mode === 'agent-first' ? position : undefined } };
    const set = { attempts: seq, dueAt: null, claimOwner: null, claimUntil: null };
    let callback: Callback;
    try {
      callback = await this.lanes.run(claimed.id, () =>
        mode === 'customer-first'
          ? this.callbacks.apply(claimed, 'dial', { set, startAttempt: start, events: [started] })
          : this.callbacks.update(claimed, { set, startAttempt: start, events: [started] }),
      );
    } catch (err) {
      if (err instanceof ConflictError) {
        log.warn('callback changed before its attempt started; skipped');
        return;
      }
      throw err;
    }
    this.track(attemptId, callback);
    crashPoint('attempt-written');
    const plan = this.plan(callback, rule, ref, mode, position, endpoint);
    log.info(`attempt ${seq} started (${mode})`, { attemptId });
    await this.startOnPbx(plan);
  }

  /** Ask the PBX; a refusal is the attempt's outcome, a PBX that could not be asked withdraws it. */
  private async startOnPbx(plan: AttemptPlan): Promise<void> {
    try {
      await (this.gateway as PbxGateway).startAttempt(plan);
    } catch (err) {
      if (err instanceof PbxUnavailableError) return this.withdraw(plan, err.message);
      const outcome: Outcome = err instanceof PbxDialError ? err.outcome : 'failed';
      await this.attemptEnded(plan, outcome, (err as Error).message);
    }
  }

  /**
   * The PBX never received the attempt: it is removed and the callback stands as before, due again
   * shortly (a held place is put back by the next reconnect). An outage does not eat attempts.
   */
  private async withdraw(ref: AttemptRef, reason: string): Promise<void> {
    const wasActive = this.active.delete(ref.attemptId);
    try {
      await this.lanes.run(ref.callbackId, async () => {
        const attempt = await this.store.getAttempt(ref.attemptId);
        const callback = await this.store.get(ref.callbackId);
        if (!attempt || attempt.endedAt !== null || !callback) return;
        const held = callback.dueAt === null && callback.queuePosition !== null && callback.status === 'Scheduled';
        const change = {
          withdrawAttempt: attempt.id,
          set: { attempts: attempt.seq - 1, claimOwner: null, claimUntil: null, ...(held ? {} : { dueAt: this.clock.now() + WITHDRAWN_RETRY_MS }) },
          events: [{ type: 'Note' as const, callbackId: callback.id, data: { attemptId: attempt.id, withdrawn: reason } }],
        };
        this.callbacks.logFor(callback).warn(`attempt ${attempt.seq} withdrawn: ${reason}`, { attemptId: attempt.id });
        if (callback.status === 'Dialing') await this.callbacks.apply(callback, 'retry', change);
        else await this.callbacks.update(callback, change);
      });
    } finally {
      if (wasActive) this.afterEnd();
    }
  }

  private plan(callback: Callback, rule: TransitionRule, ref: AttemptRef, mode: DialMode, position: number, endpoint: string): AttemptPlan {
    return { ...ref, mode, queue: callback.queue, position, number: callback.number, endpoint, callerId: rule.callerId, ringSeconds: rule.ringSeconds, spoken: this.spoken(callback.number), form: callback.form };
  }

  /** An open attempt whose channels survived a reconnect or restart is this process's to follow again. */
  adopt(attempt: Attempt): void {
    if (!this.active.has(attempt.id)) this.active.set(attempt.id, attempt.callbackId);
  }

  /** A held place vanished while nobody watched: a new placeholder takes `position` for the same attempt. */
  async requeue(callback: Callback, attempt: Attempt, position: number): Promise<void> {
    if (!this.gateway) return;
    const rule = this.callbacks.ruleOf(callback);
    const ref: AttemptRef = { attemptId: attempt.id, callbackId: callback.id, placeholderRef: `cbph-${attempt.id}-${this.clock.now()}`, customerRef: attempt.customerRef ?? `cbcu-${attempt.id}` };
    await this.lanes.run(callback.id, () =>
      this.callbacks.update(callback, { updateAttempt: { id: attempt.id, placeholderRef: ref.placeholderRef }, events: [{ type: 'Note', callbackId: callback.id, data: { attemptId: attempt.id, requeuedAt: position } }] }),
    );
    this.track(attempt.id, callback);
    await this.startOnPbx(this.plan(callback, rule, ref, 'agent-first', position, dialString(rule.endpoint, callback.number)));
  }

  /**
   * A held place with no placeholder at all (its attempt was withdrawn, or the process died before
   * starting it): a new one takes the place, or, if the caller never confirmed, the place is given up.
   */
  async holdAgain(callback: Callback, position: number): Promise<void> {
    if (await this.unconfirmedHold(callback)) {
      this.callbacks.logFor(callback).warn('the caller did not confirm their number before the daemon restarted: place given up');
      await this.callbacks.cancel(callback.id, 'daemon', 'the caller did not confirm their number before the daemon restarted');
      return;
    }
    this.callbacks.logFor(callback).warn(`held place had no placeholder: queuing one at position ${position}`);
    await this.begin(callback, this.callbacks.ruleOf(callback), 'agent-first', position, false);
  }

  /**
   * A held place whose caller was cut off before confirming (the daemon restarted mid-dialog) has
   * nobody who asked for it: it is given up rather than dialled.
   */
  private async unconfirmedHold(callback: Callback): Promise<boolean> {
    if (callback.mechanism !== 'IvrCallBack' || callback.queuePosition === null || this.unconfirmed.has(callback.id)) return false;
    return !(await this.store.eventsOf(callback.id)).some((e) => e.type === 'NumberConfirmed');
  }

  /** After a restart: give up the held places of dialogs that died with the previous process. */
  async giveUpUnconfirmedHolds(open: readonly Attempt[]): Promise<void> {
    for (const attempt of open) {
      const callback = await this.store.get(attempt.callbackId);
      if (!callback || callback.status !== 'Scheduled' || !(await this.unconfirmedHold(callback))) continue;
      this.callbacks.logFor(callback).warn('the caller did not confirm their number before the daemon restarted: place given up');
      await this.callbacks.cancel(callback.id, 'daemon', 'the caller did not confirm their number before the daemon restarted');
    }
  }

  /** An agent took the placeholder: dial the customer unless the callback was settled meanwhile. */
  async placeholderAnswered(ref: AttemptRef): Promise<DialTarget | 'release'> {
    const confirmation = this.unconfirmed.get(ref.callbackId);
    if (confirmation && !(await confirmation)) return 'release';
    return this.lanes.run(ref.callbackId, async () => {
      const attempt = await this.store.getAttempt(ref.attemptId);
      const callback = await this.store.get(ref.callbackId);
      if (!attempt || attempt.endedAt !== null || !callback || callback.status !== 'Scheduled') return 'release';
      if (await this.unconfirmedHold(callback)) {
        await this.giveUpUnconfirmedHolds([attempt]);
        return 'release';
      }
      try {
        const rule = this.callbacks.ruleOf(callback);
        // The caller may have keyed another number after the placeholder was queued: dial the current one.
        const target: DialTarget = { number: callback.number, endpoint: dialString(rule.endpoint, callback.number), callerId: rule.callerId, ringSeconds: rule.ringSeconds, spoken: this.spoken(callback.number) };
        await this.callbacks.apply(callback, 'dial', {
          updateAttempt: { id: attempt.id, customerRef: ref.customerRef },
          events: [{ type: 'Note', callbackId: callback.id, data: { attemptId: attempt.id, stage: 'agent answered the placeholder; dialling the customer' } }],
        });
        return target;
      } catch (err) {
        if (err instanceof CallbackdError) return 'release';
        throw err;
      }
    });
  }

  /**
   * The outcome of an attempt: record it and let the retry rules decide. Idempotent per attempt.
   * A concurrent change to the callback (a cancel from another process) is read again and the
   * outcome recorded on top of it: an outcome is never lost to an optimistic check.
   */
  async attemptEnded(ref: AttemptRef, outcome: Outcome, detail: string): Promise<void> {
    const wasActive = this.active.delete(ref.attemptId);
    try {
      await this.lanes.run(ref.callbackId, async () => {
        for (let tries = 1; ; tries++) {
          const attempt = await this.store.getAttempt(ref.attemptId);
          if (!attempt || attempt.endedAt !== null) return;
          try {
            await this.settle(attempt, outcome, detail);
            return;
          } catch (err) {
            if (!(err instanceof ConflictError) || tries >= CONFLICT_TRIES) throw err;
          }
        }
      });
    } finally {
      if (wasActive) this.afterEnd();
    }
  }

  private async settle(attempt: Attempt, outcome: Outcome, detail: string): Promise<void> {
    const callback = await this.store.get(attempt.callbackId);
    if (!callback) return;
    const endAttempt = { id: attempt.id, outcome, detail };
    const ended = { type: 'AttemptEnded' as const, callbackId: callback.id, data: { attemptId: attempt.id, seq: attempt.seq, outcome, detail } };
    if (TERMINAL_STATUSES.has(callback.status)) {
      // Cancelled or Neglected while its placeholder waited: only the attempt is closed.
      await this.callbacks.update(callback, { endAttempt, events: [ended] });
      return;
    }
    const rule = this.callbacks.ruleOf(callback);
    const decision = decideAfterAttempt(callback, outcome, rule, this.clock.now());
    const change = { endAttempt, events: [ended] };
    switch (decision.kind) {
      case 'complete':
        await this.callbacks.apply(callback, 'answer', change);
        break;
      case 'retry':
        await this.callbacks.apply(callback, 'retry', { ...change, set: { dueAt: decision.dueAt, queuePosition: null } });
        break;
      case 'fail':
      case 'expire':
        await this.callbacks.apply(callback, decision.kind, { ...change, events: [ended, { type: 'Note', callbackId: callback.id, data: { reason: decision.reason } }] });
        break;
    }
  }

  /** The callback was settled by someone else: let go of its placeholder, if one waits. */
  async release(callback: Callback): Promise<void> {
    for (const attempt of await this.store.attemptsOf(callback.id)) {
      if (attempt.endedAt !== null) continue;
      await this.releaseAttempt(callback, attempt).catch((err) =>
        this.logger.warn('could not remove the placeholder yet; retried at the next reconnect or sweep', { callbackId: callback.id, error: String(err) }),
      );
    }
  }

  /**
   * Every open attempt of a callback that is already settled stands for a placeholder nobody
   * wants: an agent would ring it, ahead of real callers. Derived from the store, so it runs at
   * every (re)connect, sweep and wake until the PBX confirms each one is gone. Only this daemon's
   * own attempts: another daemon's placeholders are on its own link.
   */
  async releaseSettled(): Promise<number> {
    if (!this.canDial()) return 0;
    let released = 0;
    for (const attempt of await this.store.openAttempts({ owner: this.identity.owner, settled: true })) {
      const callback = await this.store.get(attempt.callbackId);
      if (!callback || !TERMINAL_STATUSES.has(callback.status)) continue;
      try {
        await this.releaseAttempt(callback, attempt);
        released++;
      } catch (err) {
        this.callbacks.logFor(callback).warn('could not remove the placeholder of a settled callback; will retry', { attemptId: attempt.id, error: String(err) });
      }
    }
    return released;
  }

  private async releaseAttempt(callback: Callback, attempt: Attempt): Promise<void> {
    if (!this.gateway) return;
    const ref = refOf(attempt);
    await this.gateway.abandonAttempt(ref);
    // The PBX confirmed: the attempt is over (an adapter that followed it may have said so already).
    await this.attemptEnded(ref, 'agent_unanswered', `placeholder removed: the callback is ${callback.status}`);
  }

  activeCount(): number {
    return this.active.size;
  }
}
