import { InvalidNumberError, InvalidRequestError, NotFoundError } from '../domain/errors';
import type { CallRecord, Form } from '../domain/types';
import type { RequestKey } from '../domain/store';
import type { ServiceContext } from './context';
import { requestManual, type CreatedCallback } from './create-callback';
import { repeatedRequest } from './request-keys';
import { optionalForm, optionalText, queueName, requiredText, timing } from './input';

/** A follow-up from the call bar (POST /api/v1/calls/{callId}/callbacks): a callback linked to the conversation. */
export interface FollowUpInput {
  /** The call under way (or just ended) that the callback follows up. */
  callId: string;
  /** Another number than the caller's; by default the number the call came from. */
  number?: string;
  /** By default the queue the call came through. */
  queue?: string;
  /** Epoch ms, ISO 8601, or "now"; or `delayMinutes`. Neither: due now (within the calling window). */
  dueAt?: number | string;
  delayMinutes?: number;
  note?: string | null;
  /** Added to the call's form (what the IVR collected), for the agent who calls back. */
  form?: Form;
  by: string;
  /** An idempotency key (the API's Idempotency-Key, scoped to the token): a repeat returns the first result. */
  requestKey?: RequestKey;
}

export interface CreatedFromCall extends CreatedCallback {
  /** The call it came from, as recorded; null for a call callbackd never saw (number and queue were given). */
  call: CallRecord | null;
}

/**
 * Linked to the call (originCallId) but not shifted: the customer was talking to someone, so a
 * later call of theirs that is served must not make the promised follow-up Neglected. A call
 * callbackd never saw (an agent's direct call) can be followed up when number and queue are given.
 */
export async function followUp(ctx: ServiceContext, input: FollowUpInput): Promise<CreatedFromCall> {
  const callId = requiredText(input.callId, 'callId');
  const repeated = await repeatedRequest(ctx, input.requestKey);
  if (repeated) return { ...repeated, call: await ctx.store.getCall(callId) };
  const given = { number: optionalText(input.number, 'number', 64), queue: optionalText(input.queue, 'queue', 80) === null ? null : queueName(input.queue) };
  const when = timing(input, ctx.clock.now(), { delayMinutes: 0 });
  const note = optionalText(input.note, 'note');
  const form = optionalForm(input.form);
  const by = requiredText(input.by, 'by', 100);
  const call = await ctx.store.getCall(callId);
  if (!call && (given.number === null || given.queue === null)) {
    throw new NotFoundError(`call ${callId}`, 'give number and queue to follow up a call callbackd did not see');
  }
  const number = given.number ?? call?.number ?? null;
  if (number === null) throw new InvalidNumberError(`call ${callId} came from an anonymous number: give the number to call back`);
  const queue = given.queue ?? call?.queue ?? null;
  if (queue === null) throw new InvalidRequestError(`call ${callId} came through no queue: give the queue the callback is for`);
  const created = await requestManual(ctx, {
    number,
    queue,
    timing: when,
    note,
    originCallId: callId,
    lostCallEvent: false,
    form: { ...call?.form, ...form },
    by,
    origin: 'call-bar',
    requestKey: input.requestKey,
  });
  return { ...created, call };
}
