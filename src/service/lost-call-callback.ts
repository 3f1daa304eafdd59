import { ConflictError, InvalidNumberError, InvalidRequestError, NotFoundError } from '../domain/errors';
import type { CallRecord } from '../domain/types';
import type { RequestKey } from '../domain/store';
import type { ServiceContext } from './context';
import { requestManual } from './create-callback';
import type { CreatedFromCall } from './follow-up';
import { repeatedRequest } from './request-keys';
import { optionalFlag, optionalText, requiredText, timing } from './input';

/** A callback from a row of the grid of lost calls (the button on an abandoned call). */
export interface LostCallCallbackInput {
  /** The abandoned call. */
  callId: string;
  /** Another number than the caller's; by default the number the call came from. */
  number?: string;
  dueAt?: number | string;
  delayMinutes?: number;
  note?: string | null;
  /**
   * Record a LostCall event on the call with the Shifted reference, as a LostShift callback has:
   * then the Neglected exclusion applies (the caller gets through and is served: the callback is
   * dropped), and the automatic decision, should it still come, finds the call shifted.
   */
  createLostCallEvent?: boolean;
  by: string;
  /** An idempotency key (the API's Idempotency-Key, scoped to the token): a repeat returns the first result. */
  requestKey?: RequestKey;
}

/** A call that did not end in the queue this way has nothing a supervisor should make up for from the grid. */
const NOT_LOST: Partial<Record<CallRecord['result'], string>> = {
  waiting: 'is still waiting in its queue',
  served: 'was served by an agent: make a follow-up from the call bar instead',
  callback: 'chose a callback in the IVR',
};

export async function callbackForLostCall(ctx: ServiceContext, input: LostCallCallbackInput): Promise<CreatedFromCall> {
  const callId = requiredText(input.callId, 'callId');
  const repeated = await repeatedRequest(ctx, input.requestKey);
  if (repeated) return { ...repeated, call: await ctx.store.getCall(callId) };
  const givenNumber = optionalText(input.number, 'number', 64);
  const when = timing(input, ctx.clock.now(), { delayMinutes: 0 });
  const note = optionalText(input.note, 'note');
  const lostCallEvent = optionalFlag(input.createLostCallEvent, 'createLostCallEvent');
  const by = requiredText(input.by, 'by', 100);
  const call = await ctx.store.getCall(callId);
  if (!call) throw new NotFoundError(`call ${callId}`);
  const why = NOT_LOST[call.result];
  if (why) throw new ConflictError(`call ${callId} ${why}`);
  const number = givenNumber ?? call.number;
  if (number === null) throw new InvalidNumberError(`call ${callId} came from an anonymous number: give the number to call back`);
  if (call.queue === null) throw new InvalidRequestError(`call ${callId} came through no queue`);
  const created = await requestManual(ctx, { number, queue: call.queue, timing: when, note, originCallId: callId, lostCallEvent, form: call.form, by, origin: 'grid', requestKey: input.requestKey });
  return { ...created, call };
}
