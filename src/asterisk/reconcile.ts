import type { AttemptRef, ReconcileRequest, ReconcileResult } from '../pbx/gateway';
import type { AriRest } from './ari-rest';
import type { AttemptBase, AttemptDeps, GoneAttempt } from './attempt';
import { CustomerFirstAttempt } from './customer-first';
import { answeredInStasis, type AriChannel } from './events';
import { describeError, type AdapterLogger } from './logging';
import type { QueueObserver } from './observe';
import { PlaceholderAttempt } from './placeholder';

export interface ReconcileDeps {
  rest: AriRest;
  attemptDeps: AttemptDeps;
  observer: QueueObserver;
  log: AdapterLogger;
  known(attemptId: string): AttemptBase<string> | undefined;
  register(attempt: AttemptBase<string>): void;
}

/**
 * After a reconnect or a restart: every open attempt and waiting call is looked up on Asterisk.
 * Attempts this process still follows check their own channels; unknown ones (a restart) are
 * adopted from what the channels show. A request that fails (Asterisk gone again) fails the whole
 * reconcile, which the engine runs again on the next connection.
 */
export async function reconcileOpen(deps: ReconcileDeps, open: ReconcileRequest): Promise<ReconcileResult> {
  const goneAttempts: GoneAttempt[] = [];
  for (const ref of open.attempts) {
    const known = deps.known(ref.attemptId);
    const gone = known ? await known.reconcile() : await adopt(deps, ref);
    if (gone) {
      deps.log.info('attempt gone while unobserved', { callbackId: ref.callbackId, attemptId: ref.attemptId, stage: gone.stage, outcome: gone.outcome });
      goneAttempts.push(gone);
    }
  }
  const goneCallIds: string[] = [];
  for (const callId of open.waitingCallIds) {
    if (!(await deps.observer.adopt(callId))) goneCallIds.push(callId);
  }
  return { goneAttempts, goneCallIds };
}

/**
 * An attempt this process never saw. The store only records the customer's channel id once the
 * customer is to be dialled, so its presence tells which stage the attempt had reached.
 */
async function adopt(deps: ReconcileDeps, ref: AttemptRef): Promise<GoneAttempt | null> {
  const { rest } = deps;
  const placeholder = ref.placeholderRef ? await rest.getChannel(ref.placeholderRef) : null;
  const customer = ref.customerRef ? await rest.getChannel(ref.customerRef) : null;
  const dialledStage = ref.placeholderRef === null || ref.customerRef !== null;
  if (!placeholder && !customer) {
    return dialledStage
      ? { attemptId: ref.attemptId, stage: 'customer', outcome: 'failed' }
      : { attemptId: ref.attemptId, stage: 'placeholder', outcome: 'agent_unanswered' };
  }
  const queue = await queueOf(rest, (placeholder ?? customer) as AriChannel);
  if (ref.placeholderRef === null) {
    const attempt = new CustomerFirstAttempt(ref, queue, deps.attemptDeps);
    deps.register(attempt);
    await subscribe(deps, ref.customerRef as string);
    attempt.adopt(customer as AriChannel);
    return null;
  }
  if (!placeholder) {
    // The agent is gone and nobody will join the customer: end the call rather than leave it ringing.
    await rest.hangup(ref.customerRef as string).catch((err: unknown) => deps.log.warn('hangup failed', { error: describeError(err) }));
    return { attemptId: ref.attemptId, stage: 'customer', outcome: 'agent_unanswered' };
  }
  if (!customer && dialledStage) {
    await rest.hangup(ref.placeholderRef).catch((err: unknown) => deps.log.warn('hangup failed', { error: describeError(err) }));
    return { attemptId: ref.attemptId, stage: 'customer', outcome: 'failed' };
  }
  const attempt = new PlaceholderAttempt(ref, queue, deps.attemptDeps, null);
  deps.register(attempt);
  await attempt.recoverDial();
  await subscribe(deps, ref.placeholderRef);
  if (customer) {
    await subscribe(deps, ref.customerRef as string);
    attempt.adoptCustomer(customer);
  } else if (answeredInStasis(placeholder)) {
    void attempt.onStasisStart(placeholder, 'placeholder');
  }
  return null;
}

async function queueOf(rest: AriRest, channel: AriChannel): Promise<string> {
  return (await rest.getVariable(channel.id, 'CB_QUEUE').catch(() => null)) ?? '';
}

async function subscribe(deps: ReconcileDeps, channelId: string): Promise<void> {
  await deps.rest.subscribeChannel(channelId).catch((err: unknown) => deps.log.debug('subscription failed', { channelId, error: describeError(err) }));
}
