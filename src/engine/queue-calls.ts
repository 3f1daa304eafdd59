import type { Logger } from 'winston';
import type { Config } from '../config/types';
import type { Clock } from '../domain/clock';
import { crashPoint } from '../crash';
import { CallbackdError, LimitReachedError } from '../domain/errors';
import { normaliseNumber } from '../domain/number';
import { waitedSeconds, type LostCallWorld } from '../domain/lost-shift';
import { lostCallJudge, type LostCallJudge, type ScriptedJudgement } from './lost-script';
import type { CallbackStore, LostCallDecision } from '../domain/store';
import { TERMINAL_STATUSES, type CallRecord, type LostReason } from '../domain/types';
import type { QueueCallEntered, QueueCallGone, QueueCallServed } from '../pbx/gateway';
import type { Callbacks } from './callbacks';
import type { CallStep, Feed } from './feed';

/**
 * What the daemon learns from queue calls: every call is recorded (for positions and history),
 * a served call makes the caller's shifted callbacks Neglected, and an abandoned call becomes a
 * LostShift callback when its transition allows it. Each step recorded is told to the feed
 * (the callbacks' own, unless another is given) once written.
 */
export class QueueCalls {
  /** What the judgement asks of the world, answered from the store. */
  private readonly world: LostCallWorld;
  /** The LostShift decision: the embedded rules, and the transitions' scripts when the daemon runs them. */
  private readonly judge: LostCallJudge;

  constructor(
    private readonly store: CallbackStore,
    private readonly callbacks: Callbacks,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly feed: Feed = callbacks.feed,
    judge?: LostCallJudge,
  ) {
    this.world = storeWorld(store, config.pbxName);
    this.judge = judge ?? lostCallJudge(config, null);
  }

  async entered(e: QueueCallEntered): Promise<void> {
    const existing = await this.store.getCall(e.callId);
    await this.record('entered', {
      id: e.callId,
      number: this.e164OrRaw(e.number),
      queue: e.queue,
      enteredAt: existing?.enteredAt ?? e.at,
      endedAt: null,
      result: 'waiting',
      position: null,
      waitSeconds: null,
      form: { ...existing?.form, ...e.form },
      pbx: this.config.pbxName,
    });
    this.logger.debug('queue call entered', { callId: e.callId, queue: e.queue });
  }

  async served(e: QueueCallServed): Promise<void> {
    const call = await this.update('served', e.callId, e.queue, { result: 'served' }, e.number);
    const log = this.logger.child({ callId: e.callId, queue: e.queue });
    log.info('queue call served');
    if (!call.number || !call.number.startsWith('+')) return;
    const neglected = await this.callbacks.neglectFor(call.number, e.callId);
    if (neglected.length > 0) log.info(`caller got through: ${neglected.length} pending callback(s) Neglected`, { callbackIds: neglected.map((c) => c.id) });
  }

  /** A waiting call that an agent answered while the daemon could not see it (reconcile learned it). */
  async servedUnseen(call: CallRecord): Promise<void> {
    const at = this.clock.now();
    await this.served({ callId: call.id, queue: call.queue ?? '', number: call.number, at });
    await this.gone({ callId: call.id, queue: call.queue ?? '', at, how: 'served', position: null, waitSeconds: null });
  }

  async gone(e: QueueCallGone): Promise<void> {
    const before = await this.store.getCall(e.callId);
    const result = e.how === 'served' || before?.result === 'served' ? 'served' : e.how === 'abandoned' ? 'abandoned' : before?.result === 'callback' ? 'callback' : 'left';
    const call = await this.update('gone', e.callId, e.queue, { result, endedAt: before?.endedAt ?? e.at, position: e.position ?? before?.position ?? null, waitSeconds: e.waitSeconds ?? before?.waitSeconds ?? null });
    if (result !== 'abandoned' || call.lostDecision) return;
    crashPoint('call-abandoned');
    await this.decideLost(call);
  }

  /**
   * Abandoned calls whose decision the previous process did not live to record: the abandon was
   * durable, so the decision is taken again (at most once: a callback already made for the call
   * is found, not made twice).
   */
  async decideUndecided(): Promise<number> {
    let decided = 0;
    for (;;) {
      const batch = await this.store.undecidedLostCalls(this.config.pbxName, 100);
      for (const call of batch) await this.decideLost(call);
      decided += batch.length;
      if (batch.length < 100) return decided;
    }
  }

  /** The caller chose the CallBack node: their queue call ends as 'callback', not as lost. */
  async choseCallback(callId: string): Promise<void> {
    const call = await this.store.getCall(callId);
    if (call) await this.record('chose-callback', { ...call, result: 'callback' });
  }

  /** A waiting call that ended while the daemon could not see it, not served (reconcile learned it). */
  async leftUnseen(call: CallRecord): Promise<void> {
    await this.record('gone', { ...call, result: 'left', endedAt: call.endedAt ?? this.clock.now() });
  }

  private async decideLost(call: CallRecord): Promise<void> {
    let decision: LostCallDecision;
    try {
      decision = await this.lost(call);
    } catch (err) {
      // A broken rule or store hiccup must not leave the call undecided forever, nor stop the others.
      this.logger.error('LostShift decision failed', { callId: call.id, queue: call.queue, error: String((err as Error).stack ?? err) });
      decision = decided(call, 'error', `error: ${(err as Error).message}`, null);
    }
    const first = await this.store.decideLostCall(call.id, decision, this.clock.now());
    if (!first) return;
    this.feed.emit({ kind: 'call.seen', at: this.clock.now(), step: 'decided', call: { ...call, lostDecision: decision.text, lostReason: decision.reason } });
  }

  /** Whether the abandoned call becomes a LostShift callback, and why, as a code and in words. */
  private async lost(call: CallRecord): Promise<LostCallDecision> {
    const log = this.logger.child({ callId: call.id, queue: call.queue ?? '' });
    const judgement = await this.judge(call, this.world, this.clock.now());
    if (judgement.script?.verdict === 'fallback') log.warn(`script ${judgement.script.name} failed (${judgement.script.fallback}); the embedded decision stands`);
    if (judgement.action === 'skip') {
      log.info(`abandoned call not shifted (${judgement.reason}): ${judgement.detail}`);
      return decided(call, judgement.reason, judgement.reason === 'shifted' ? 'shifted' : judgement.detail, judgement.transition, null, judgement.script);
    }
    const waited = waitedSeconds(call, this.clock.now());
    try {
      const { merged, callback } = await this.callbacks.request({
        number: judgement.number,
        queue: call.queue ?? '',
        targetQueue: judgement.queue,
        dueAt: judgement.dueAt,
        mechanism: 'LostShift',
        originCallId: call.id,
        birthEvent: 'LostCall',
        shifted: true,
        form: { ...call.form, ...judgement.form },
        by: 'pbx',
        note: `lost after ${waited}s at position ${call.position ?? '?'}`,
      });
      return merged
        ? decided(call, 'merged', `shifted (merged into pending callback ${callback.id})`, judgement.rule.name, callback.id, judgement.script)
        : decided(call, 'shifted', 'shifted', judgement.rule.name, callback.id, judgement.script);
    } catch (err) {
      if (!(err instanceof CallbackdError)) throw err;
      log.warn(`abandoned call not shifted: ${err.message}`);
      return decided(call, refusalReason(err), `refused: ${err.message}`, judgement.rule.name, null, judgement.script);
    }
  }

  private async record(step: CallStep, call: CallRecord): Promise<void> {
    await this.store.upsertCall(call);
    this.feed.emit({ kind: 'call.seen', at: this.clock.now(), step, call });
  }

  private async update(step: CallStep, callId: string, queue: string, patch: Partial<CallRecord>, number?: string | null): Promise<CallRecord> {
    const existing = await this.store.getCall(callId);
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
      lostDecision: existing?.lostDecision ?? null,
      pbx: existing?.pbx ?? this.config.pbxName,
      ...patch,
    };
    await this.record(step, call);
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

/** The lost-call judgement's questions, answered by the store for one PBX. */
export function storeWorld(store: CallbackStore, pbx: string): LostCallWorld {
  return {
    alreadyShifted: async (callId) => (await store.callbacksOfCall(callId)).length > 0 || (await store.eventsOfCall(callId)).some((e) => e.type === 'LostCall'),
    pendingFor: (number, queue) => store.pendingFor(number, queue),
    countPending: (queue) => store.countPending(queue, pbx),
    countCreatedSince: (scope, since) => store.countCreatedSince(scope, pbx, since),
    pendingOfNumber: async (number) => (await store.list({ limit: 50, number })).items.filter((c) => !TERMINAL_STATUSES.has(c.status)),
  };
}

/** A decision with its history line: the call's LostCallDecided event names the reason, the words and the transition. */
function decided(call: CallRecord, reason: LostReason, text: string, transition: string | null, callbackId: string | null = null, script?: ScriptedJudgement['script']): LostCallDecision {
  const data: Record<string, unknown> = { reason, detail: text, transition };
  if (script) data.script = script;
  return { text, reason, event: { type: 'LostCallDecided', callId: call.id, callbackId, data } };
}

/** A creation refused after the judgement said yes (a race with another writer, or a cap reached meanwhile). */
function refusalReason(err: CallbackdError): LostReason {
  if (err instanceof LimitReachedError) return err.reason;
  if (err.code === 'number_not_allowed' || err.code === 'invalid_number') return err.code;
  return 'error';
}
