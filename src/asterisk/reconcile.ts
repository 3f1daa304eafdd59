import type { AttemptRef, ReconcileRequest, ReconcileResult } from '../pbx/gateway';
import type { AriRest } from './ari-rest';
import type { AttemptBase, AttemptDeps, GoneAttempt } from './attempt';
import { CustomerFirstAttempt } from './customer-first';
import { answeredInStasis, type AriChannel } from './events';
import { describeError, type AdapterLogger } from './logging';
import { servedMark, type QueueObserver } from './observe';
import { bridgeIdOf, PlaceholderAttempt } from './placeholder';

export interface ReconcileDeps {
  rest: AriRest;
  attemptDeps: AttemptDeps;
  observer: QueueObserver;
  log: AdapterLogger;
  app: string;
  known(attemptId: string): AttemptBase<string> | undefined;
  register(attempt: AttemptBase<string>): void;
  /** A caller left in the CallBack node by a process that died: the dialog starts again. */
  resumeCallbackNode(channel: AriChannel, args: string[]): void;
  /** A placeholder or customer of an attempt the engine has closed, still in the application. */
  tidyEnded(attemptId: string, channel: AriChannel): void;
}

/**
 * After a reconnect or a restart: every open attempt and waiting call is looked up on Asterisk.
 * Attempts this process still follows check their own channels; unknown ones (a restart) are
 * adopted from what the channels, the bridge and the served marks show. Callers a dead process
 * left parked in the application are taken on again. A request that fails (Asterisk gone again)
 * fails the whole reconcile, which the engine runs again on the next connection.
 */
export async function reconcileOpen(deps: ReconcileDeps, open: ReconcileRequest): Promise<ReconcileResult> {
  // People first: a caller parked in the observe hop or the CallBack node hears silence until
  // taken on again, while attempts (possibly hundreds after a busy outage) can wait a moment.
  const strays = await deps.rest.listChannels();
  resumeCallers(deps, strays);
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
  const servedCallIds: string[] = [];
  for (const callId of open.waitingCallIds) {
    const found = await deps.observer.adopt(callId);
    if (found !== 'waiting') goneCallIds.push(callId);
    if (found === 'served') servedCallIds.push(callId);
  }
  tidyEnded(deps, strays, new Set(open.attempts.map((a) => a.attemptId)));
  return { goneAttempts, goneCallIds, servedCallIds };
}

/** Where a channel sits in this application: its role and the rest of its Stasis arguments; null elsewhere. */
function inApp(deps: ReconcileDeps, channel: AriChannel): { role: string; rest: string[] } | null {
  const data = channel.dialplan?.app_name === 'Stasis' ? (channel.dialplan.app_data ?? '') : '';
  const [app, role = '', ...rest] = data.split(',');
  return app === deps.app ? { role, rest } : null;
}

/** Callers sitting in the application that nobody in this process handles go on through their dialplan or dialog. */
function resumeCallers(deps: ReconcileDeps, channels: readonly AriChannel[]): void {
  for (const channel of channels) {
    const where = inApp(deps, channel);
    if (where?.role === 'observe' && deps.observer.isStray(channel)) {
      deps.log.warn('queue call left in the observe hop by a previous process: continuing it into its queue', { callId: channel.id });
      deps.observer.onStasisStart(channel, ['observe', ...where.rest], true).catch((err: unknown) => deps.log.error('observe hop failed', { callId: channel.id, error: describeError(err) }));
    } else if (where?.role === 'callback') {
      deps.resumeCallbackNode(channel, ['callback', ...where.rest]);
    }
  }
}

/** Placeholders and customers of attempts already over, still in the application, are cleared. */
function tidyEnded(deps: ReconcileDeps, channels: readonly AriChannel[], openAttempts: ReadonlySet<string>): void {
  for (const channel of channels) {
    const where = inApp(deps, channel);
    const attemptId = where?.rest[0];
    if ((where?.role === 'placeholder' || where?.role === 'customer') && attemptId && !openAttempts.has(attemptId) && !deps.known(attemptId)) deps.tidyEnded(attemptId, channel);
  }
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
  if (ref.placeholderRef === null) return adoptCustomerFirst(deps, ref, customer);
  if (dialledStage && (await rest.bridgeExists(bridgeIdOf(ref.attemptId)))) return adoptBridged(deps, ref, placeholder, customer);
  if (!placeholder && !customer) {
    return dialledStage
      ? { attemptId: ref.attemptId, stage: 'customer', outcome: 'failed' }
      : { attemptId: ref.attemptId, stage: 'placeholder', outcome: 'agent_unanswered' };
  }
  const queue = await queueOf(rest, (placeholder ?? customer) as AriChannel);
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
    attempt.onStasisStart(placeholder, 'placeholder').catch((err: unknown) => deps.log.error('placeholder answer failed', { error: describeError(err) }));
  }
  return null;
}

/** Customer-first: alive, it is taken from where it is; gone, the served mark tells whether it talked to an agent. */
async function adoptCustomerFirst(deps: ReconcileDeps, ref: AttemptRef, customer: AriChannel | null): Promise<GoneAttempt | null> {
  if (!customer) {
    // The mark stays until the engine has recorded the answer (forgetCalls): a kill in between must not lose it.
    const answered = ref.customerRef !== null && (await deps.rest.getGlobal(servedMark(ref.customerRef))) !== null;
    return { attemptId: ref.attemptId, stage: 'customer', outcome: answered ? 'answered' : 'failed' };
  }
  const attempt = new CustomerFirstAttempt(ref, await queueOf(deps.rest, customer), deps.attemptDeps);
  attempt.expectAdoption();
  deps.register(attempt);
  await subscribe(deps, ref.customerRef as string);
  await attempt.adopt(customer);
  return null;
}

/** The bridge exists, so the customer answered and was joined to the agent before the restart. */
async function adoptBridged(deps: ReconcileDeps, ref: AttemptRef, placeholder: AriChannel | null, customer: AriChannel | null): Promise<GoneAttempt | null> {
  const { rest } = deps;
  if (placeholder && customer) {
    const attempt = new PlaceholderAttempt(ref, await queueOf(rest, placeholder), deps.attemptDeps, null);
    deps.register(attempt);
    await subscribe(deps, ref.placeholderRef as string);
    await subscribe(deps, ref.customerRef as string);
    await attempt.recoverDial();
    attempt.adoptBridged();
    return null;
  }
  for (const left of [placeholder, customer]) {
    if (left) await rest.hangup(left.id).catch((err: unknown) => deps.log.warn('hangup failed', { error: describeError(err) }));
  }
  // The bridge stays until the engine has recorded the answer (forgetCalls): a kill in between must not lose it.
  return { attemptId: ref.attemptId, stage: 'customer', outcome: 'answered' };
}

async function queueOf(rest: AriRest, channel: AriChannel): Promise<string> {
  return (await rest.getVariable(channel.id, 'CB_QUEUE').catch(() => null)) ?? '';
}

async function subscribe(deps: ReconcileDeps, channelId: string): Promise<void> {
  await deps.rest.subscribeChannel(channelId).catch((err: unknown) => deps.log.debug('subscription failed', { channelId, error: describeError(err) }));
}
