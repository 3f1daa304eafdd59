import type { Logger } from 'winston';
import type { Config } from '../config/types';
import type { Clock } from '../domain/clock';
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

  gone(e: QueueCallGone): void {
    const before = this.store.getCall(e.callId);
    const result = e.how === 'served' || before?.result === 'served' ? 'served' : e.how === 'abandoned' ? 'abandoned' : before?.result === 'callback' ? 'callback' : 'left';
    const call = this.update(e.callId, e.queue, { result, endedAt: e.at, position: e.position, waitSeconds: e.waitSeconds });
    if (result === 'abandoned') this.lost(call, e);
  }

  /** The caller chose the CallBack node: their queue call ends as 'callback', not as lost. */
  choseCallback(callId: string): void {
    const call = this.store.getCall(callId);
    if (call) this.store.upsertCall({ ...call, result: 'callback' });
  }

  private lost(call: CallRecord, e: QueueCallGone): void {
    const log = this.logger.child({ callId: call.id, queue: e.queue });
    const rule = this.callbacks.ruleForOrNull(e.queue, 'LostShift');
    if (!rule) {
      log.info('abandoned call: no transition enables LostShift for this queue');
      return;
    }
    const waited = e.waitSeconds ?? Math.round((e.at - call.enteredAt) / 1000);
    if (waited < rule.minWaitSeconds) {
      log.info(`abandoned after ${waited}s, under minWaitSeconds ${rule.minWaitSeconds}: not a lost call`);
      return;
    }
    if (!call.number) {
      log.info('abandoned call from an anonymous caller: no callback possible');
      return;
    }
    if (this.callbacks.isFull(rule, e.queue)) {
      log.warn(`abandoned call not shifted: queue has ${rule.maxPending} pending callbacks (maxPending)`);
      return;
    }
    try {
      this.callbacks.request({
        number: call.number,
        queue: e.queue,
        mechanism: 'LostShift',
        originCallId: call.id,
        birthEvent: 'LostCall',
        shifted: true,
        form: call.form,
        by: 'pbx',
        note: `lost after ${waited}s at position ${e.position ?? '?'}`,
      });
    } catch (err) {
      if (!(err instanceof CallbackdError)) throw err;
      log.warn(`abandoned call not shifted: ${err.message}`);
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
    if (raw === null) return null;
    try {
      return normaliseNumber(raw, this.config.defaultCountry);
    } catch {
      return raw.trim() === '' ? null : raw;
    }
  }
}
