import type { Logger } from 'winston';
import type { Config } from '../config/types';
import type { Clock } from '../domain/clock';
import { crashPoint } from '../crash';
import { CallbackdError } from '../domain/errors';
import { normaliseNumber } from '../domain/number';
import type { CallbackStore } from '../domain/store';
import type { CallRecord } from '../domain/types';
import type { QueueCallEntered, QueueCallGone, QueueCallServed } from '../pbx/gateway';
import type { Callbacks } from './callbacks';

/**
 * What the daemon learns from queue calls: every call is recorded (for positions and history),
 * a served call makes the caller's shifted callbacks Neglected, and an abandoned call becomes a
 * LostShift callback when its transition allows it.
 */
export class QueueCalls {
  constructor(
    private readonly store: CallbackStore,
    private readonly callbacks: Callbacks,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  entered(e: QueueCallEntered): void {
    const existing = this.store.getCall(e.callId);
    this.store.upsertCall({
      id: e.callId,
      number: this.e164OrRaw(e.number),
      queue: e.queue,
      enteredAt: existing?.enteredAt ?? e.at,
      endedAt: null,
      result: 'waiting',
      position: null,
      waitSeconds: null,
      form: { ...existing?.form, ...e.form },
    });
    this.logger.debug('queue call entered', { callId: e.callId, queue: e.queue });
  }

  served(e: QueueCallServed): void {
    const call = this.update(e.callId, e.queue, { result: 'served' }, e.number);
    const log = this.logger.child({ callId: e.callId, queue: e.queue });
    log.info('queue call served');
    if (!call.number || !call.number.startsWith('+')) return;
    const neglected = this.callbacks.neglectFor(call.number, e.callId);
    if (neglected.length > 0) log.info(`caller got through: ${neglected.length} pending callback(s) Neglected`, { callbackIds: neglected.map((c) => c.id) });
  }

  /** A waiting call that an agent answered while the daemon could not see it (reconcile learned it). */
  servedUnseen(call: CallRecord): void {
    const at = this.clock.now();
    this.served({ callId: call.id, queue: call.queue ?? '', number: call.number, at });
    this.gone({ callId: call.id, queue: call.queue ?? '', at, how: 'served', position: null, waitSeconds: null });
  }

  gone(e: QueueCallGone): void {
    const before = this.store.getCall(e.callId);
    const result = e.how === 'served' || before?.result === 'served' ? 'served' : e.how === 'abandoned' ? 'abandoned' : before?.result === 'callback' ? 'callback' : 'left';
    const call = this.update(e.callId, e.queue, { result, endedAt: before?.endedAt ?? e.at, position: e.position ?? before?.position ?? null, waitSeconds: e.waitSeconds ?? before?.waitSeconds ?? null });
    if (result !== 'abandoned' || call.lostDecision) return;
    crashPoint('call-abandoned');
    this.decideLost(call);
  }

  /**
   * Abandoned calls whose decision the previous process did not live to record: the abandon was
   * durable, so the decision is taken again (at most once: a callback already made for the call
   * is found, not made twice).
   */
  decideUndecided(): number {
    let decided = 0;
    for (;;) {
      const batch = this.store.undecidedLostCalls(100);
      for (const call of batch) this.decideLost(call);
      decided += batch.length;
      if (batch.length < 100) return decided;
    }
  }

  /** The caller chose the CallBack node: their queue call ends as 'callback', not as lost. */
  choseCallback(callId: string): void {
    const call = this.store.getCall(callId);
    if (call) this.store.upsertCall({ ...call, result: 'callback' });
  }

  private decideLost(call: CallRecord): void {
    let decision: string;
    try {
      decision = this.lost(call);
    } catch (err) {
      // A broken rule or store hiccup must not leave the call undecided forever, nor stop the others.
      this.logger.error('LostShift decision failed', { callId: call.id, queue: call.queue, error: String((err as Error).stack ?? err) });
      decision = `error: ${(err as Error).message}`;
    }
    this.store.decideLostCall(call.id, decision);
  }

  /** Whether the abandoned call becomes a LostShift callback; returns the reason, for the grid of calls. */
  private lost(call: CallRecord): string {
    const queue = call.queue ?? '';
    const log = this.logger.child({ callId: call.id, queue });
    if (this.store.callbacksOfCall(call.id).length > 0 || this.store.eventsOfCall(call.id).some((e) => e.type === 'LostCall')) {
      return 'shifted';
    }
    const rule = this.callbacks.ruleForOrNull(queue, 'LostShift');
    if (!rule) {
      log.info('abandoned call: no transition enables LostShift for this queue');
      return 'no transition enables LostShift';
    }
    const waited = call.waitSeconds ?? Math.round(((call.endedAt ?? this.clock.now()) - call.enteredAt) / 1000);
    if (waited < rule.minWaitSeconds) {
      log.info(`abandoned after ${waited}s, under minWaitSeconds ${rule.minWaitSeconds}: not a lost call`);
      return `waited ${waited}s, under minWaitSeconds ${rule.minWaitSeconds}`;
    }
    if (!call.number) {
      log.info('abandoned call from an anonymous caller: no callback possible');
      return 'anonymous caller';
    }
    if (this.callbacks.isFull(rule, queue)) {
      log.warn(`abandoned call not shifted: queue has ${rule.maxPending} pending callbacks (maxPending)`);
      return `maxPending ${rule.maxPending} reached`;
    }
    try {
      const { merged } = this.callbacks.request({
        number: call.number,
        queue,
        mechanism: 'LostShift',
        originCallId: call.id,
        birthEvent: 'LostCall',
        shifted: true,
        form: call.form,
        by: 'pbx',
        note: `lost after ${waited}s at position ${call.position ?? '?'}`,
      });
      return merged ? 'shifted (merged into a pending callback)' : 'shifted';
    } catch (err) {
      if (!(err instanceof CallbackdError)) throw err;
      log.warn(`abandoned call not shifted: ${err.message}`);
      return `refused: ${err.message}`;
    }
  }

  private update(callId: string, queue: string, patch: Partial<CallRecord>, number?: string | null): CallRecord {
    const existing = this.store.getCall(callId);
    const call: CallRecord = {
      id: callId,
      number: existing?.number ?? this.e164OrRaw(number ?? null),
      queue: existing?.queue ?? queue,
      enteredAt: existing?.enteredAt ?? this.clock.now(),
      endedAt: existing?.endedAt ?? null,
      result: existing?.result ?? 'waiting',
      position: existing?.position ?? null,
      waitSeconds: existing?.waitSeconds ?? null,
      form: existing?.form ?? {},
      ...patch,
    };
    this.store.upsertCall(call);
    return call;
  }

  /** Calls are kept with E.164 numbers so exclusion compares like with like; anything else stays as the PBX gave it. */
  private e164OrRaw(raw: string | null): string | null {
    if (typeof raw !== 'string') return null;
    try {
      return normaliseNumber(raw, this.config.defaultCountry);
    } catch {
      return raw.trim() === '' ? null : raw;
    }
  }
}
