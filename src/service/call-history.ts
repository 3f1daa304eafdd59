import { NotFoundError } from '../domain/errors';
import type { Attempt, CallEvent, CallRecord, Callback } from '../domain/types';
import type { ServiceContext } from './context';
import { attemptView, detailOf, type AttemptView, type CallbackDetail } from './callback-detail';
import { requiredText } from './input';

/** The relation of calls (GET /api/v1/calls/{callId}/history): a call, what it led to, and how. */
export interface CallHistory {
  /** The original call: the one asked for, or the one an outbound call id leads back to; null when none was recorded. */
  callId: string | null;
  call: CallRecord | null;
  /** When an outbound call id (a placeholder or customer channel) was asked for: its attempt. */
  attempt: AttemptView | null;
  /** Every callback the call led to (created from it, or merged into through it), oldest first, each with its attempts and events. */
  callbacks: CallbackDetail[];
  /** The call's events and its callbacks' events together, in the order they were written. */
  events: CallEvent[];
}

/**
 * The dialer names its channels cbph-<attemptId> (a placeholder, with a suffix when put back
 * after a restart) and cbcu-<attemptId> (the customer): an id no attempt records any more (a
 * replaced placeholder) still names its attempt.
 */
const OUTBOUND_CHANNEL = /^cb(?:ph|cu)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

async function attemptOfChannel(ctx: ServiceContext, id: string): Promise<Attempt | null> {
  const recorded = await ctx.store.attemptByChannel(id);
  if (recorded) return recorded;
  const named = OUTBOUND_CHANNEL.exec(id);
  return named ? ctx.store.getAttempt(named[1].toLowerCase()) : null;
}

/**
 * Both directions: an inbound call id gives the call and everything it led to; an outbound call id
 * gives its attempt, its callback and the call that callback came from (with all of that call's
 * callbacks). A callback with no origin call is its own history.
 */
export async function callHistory(ctx: ServiceContext, id: unknown): Promise<CallHistory> {
  const key = requiredText(id, 'callId');
  // Outbound first: the dialer's own channels may show up as queue calls too (a customer queued at the head).
  const attempt = await attemptOfChannel(ctx, key);
  if (attempt) {
    const callback = await ctx.store.get(attempt.callbackId);
    if (callback) {
      if (callback.originCallId) return { ...(await historyOfCall(ctx, callback.originCallId, [callback])), attempt: attemptView(attempt) };
      const detail = await detailOf(ctx, callback);
      return { callId: null, call: null, attempt: attemptView(attempt), callbacks: [detail], events: detail.events };
    }
  }
  const history = await historyOfCall(ctx, key, []);
  if (!history.call && history.callbacks.length === 0 && history.events.length === 0) throw new NotFoundError(`call ${key}`, 'neither a call callbackd recorded nor an outbound call of a callback');
  return history;
}

async function historyOfCall(ctx: ServiceContext, callId: string, known: readonly Callback[]): Promise<CallHistory> {
  const [call, linked, callEvents] = await Promise.all([ctx.store.getCall(callId), ctx.store.callbacksOfCall(callId), ctx.store.eventsOfCall(callId)]);
  const callbacks = [...linked];
  for (const callback of known) if (!callbacks.some((c) => c.id === callback.id)) callbacks.push(callback);
  const details = await Promise.all(callbacks.map((callback) => detailOf(ctx, callback)));
  const events = new Map<number, CallEvent>();
  for (const event of [...callEvents, ...details.flatMap((d) => d.events)]) events.set(event.id, event);
  return { callId, call, attempt: null, callbacks: details, events: [...events.values()].sort((a, b) => a.id - b.id) };
}
