import type { Logger } from 'winston';
import type { Clock } from '../domain/clock';
import type { CallbackStore } from '../domain/store';
import { ConflictError } from '../domain/errors';
import { TERMINAL_STATUSES, type Attempt, type Callback, type CallRecord } from '../domain/types';
import type { PbxGateway } from '../pbx/gateway';
import { crashPoint } from '../crash';
import { refOf, type Dialer } from './dialer';
import type { QueueCalls } from './queue-calls';

/**
 * The place a held callback should take now: one behind every caller still waiting who entered
 * the queue before the caller it stands for. Callers who came later stay behind it.
 */
export function rightPlace(callback: Pick<Callback, 'originCallId' | 'queue'>, origin: CallRecord | null, waiting: readonly CallRecord[]): number {
  // A caller who never waited in the queue (the CallBack node elsewhere in an IVR) has no place ahead of anyone: the end.
  if (!origin) return 0;
  return 1 + waiting.filter((c) => c.id !== origin.id && c.queue === callback.queue && c.enteredAt < origin.enteredAt).length;
}

/**
 * A placeholder a dead daemon left waiting in a queue answers into that daemon's application,
 * which nobody serves: an agent who took it would be hung up. It is removed here, before the
 * PBX is asked about the attempt, so the attempt comes back as "placeholder gone" and a
 * placeholder of this daemon takes the place (below). Dialled customers are left alone: a
 * conversation goes on, and a customer still ringing ends in an outcome like any other.
 */
async function letGoOfForeignPlaceholder(gateway: PbxGateway, attempt: Attempt, logger: Logger): Promise<void> {
  if (attempt.placeholderRef === null || attempt.customerRef !== null) return;
  logger.warn(`taking over attempt ${attempt.seq} of a daemon whose lease lapsed: its placeholder is replaced by one of this daemon`, { callbackId: attempt.callbackId, attemptId: attempt.id });
  await gateway.abandonAttempt(refOf(attempt)).catch((err) => logger.debug('the placeholder was gone already', { attemptId: attempt.id, error: String(err) }));
}

export interface ReconcileScope {
  /** This daemon, and the PBX it serves: only its own attempts, and those of daemons that died, are its to reconcile. */
  owner: string;
  pbx: string;
  leaseMs: number;
}

/**
 * After the PBX link comes back, or the daemon restarts: attempts whose channels vanished get an
 * outcome and follow the retry rules; placeholders that vanished before an agent took them are
 * put back where they belong; calls that ended unseen are closed; placeholders of callbacks
 * settled meanwhile are removed; held places left without a placeholder get one again. The
 * attempts are this daemon's own and those whose owner's lease lapsed (taken over here); a
 * daemon sharing the PBX whose lease is alive keeps its own.
 */
export async function reconcile(store: CallbackStore, gateway: PbxGateway, dialer: Dialer, queueCalls: QueueCalls, clock: Clock, logger: Logger, scope: ReconcileScope): Promise<{ conflicts: number }> {
  const now = clock.now();
  const lapsed = new Set((await store.openAttempts({ pbx: scope.pbx })).filter((a) => a.owner !== null && a.owner !== scope.owner && a.leaseUntil !== null && a.leaseUntil <= now).map((a) => a.id));
  const open = await store.adoptAttempts(scope.owner, scope.pbx, now, scope.leaseMs);
  for (const attempt of open) if (lapsed.has(attempt.id)) await letGoOfForeignPlaceholder(gateway, attempt, logger);
  const waiting = await store.waitingCalls(scope.pbx);
  const result = await gateway.reconcile({ attempts: open.map(refOf), waitingCallIds: waiting.map((c) => c.id) });
  crashPoint('pbx-reconciled');
  const served = new Set(result.servedCallIds ?? []);
  for (const id of result.goneCallIds) {
    const call = waiting.find((c) => c.id === id);
    if (!call) continue;
    if (served.has(id)) await queueCalls.servedUnseen(call);
    else await queueCalls.leftUnseen(call);
  }
  if (served.size > 0) await gateway.forgetCalls?.([...served]);
  const stillWaiting = await store.waitingCalls(scope.pbx);
  const goneIds = new Set(result.goneAttempts.map((g) => g.attemptId));
  for (const attempt of open) {
    const callback = await store.get(attempt.callbackId);
    if (!goneIds.has(attempt.id) && callback && !TERMINAL_STATUSES.has(callback.status)) dialer.adopt(attempt);
  }
  await dialer.giveUpUnconfirmedHolds(open);
  // One item changed by someone else meanwhile (another daemon, the CLI) must not stop the rest:
  // it is skipped, and the caller reconciles once more.
  let conflicts = 0;
  const each = async (log: Logger, work: () => Promise<void>): Promise<boolean> => {
    try {
      await work();
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      log.warn(`changed meanwhile, left for the next reconcile: ${err.message}`);
      conflicts++;
      return false;
    }
  };
  const recordedAnswers: string[] = [];
  for (const gone of result.goneAttempts) {
    const attempt = open.find((a) => a.id === gone.attemptId);
    if (!attempt) continue;
    const callback = await store.get(attempt.callbackId);
    const log = logger.child({ callbackId: attempt.callbackId, queue: callback?.queue });
    if (gone.stage === 'placeholder' && callback && callback.status === 'Scheduled') {
      // Nobody was dialled: the place is put back for the same attempt, which an outage must not cost.
      const origin = callback.originCallId ? await store.getCall(callback.originCallId) : null;
      const position = callback.queuePosition === null ? 1 : rightPlace(callback, origin, stillWaiting);
      log.warn(`placeholder vanished while the daemon or the PBX link was down: putting it back at position ${position}`);
      await each(log, () => dialer.requeue(callback, attempt, position));
      continue;
    }
    log.warn(`attempt ${attempt.seq} lost its channels while the daemon or the PBX link was down: outcome ${gone.outcome}`);
    const detail = gone.outcome === 'answered' ? 'the customer talked to an agent while the daemon or the PBX link was down' : 'channel gone after a reconnect or restart';
    const recorded = await each(log, () => dialer.attemptEnded(refOf(attempt), gone.outcome, detail));
    // What proves the answer (the served mark, the bridge) goes only once the answer is recorded.
    if (recorded && gone.outcome === 'answered' && attempt.customerRef) recordedAnswers.push(attempt.customerRef);
  }
  if (recordedAnswers.length > 0) await gateway.forgetCalls?.(recordedAnswers);
  const released = await dialer.releaseSettled();
  if (released > 0) logger.warn(`removed ${released} placeholder(s) of callbacks settled while the PBX could not be reached`);
  for (const callback of await store.heldPlacesWithoutPlaceholder(scope.pbx)) {
    const origin = callback.originCallId ? await store.getCall(callback.originCallId) : null;
    const position = rightPlace(callback, origin, await store.waitingCalls(scope.pbx));
    await each(logger.child({ callbackId: callback.id, queue: callback.queue }), () => dialer.holdAgain(callback, position));
  }
  return { conflicts };
}
