import type { RequestKey } from '../domain/store';
import type { Callback, Form } from '../domain/types';
import type { ServiceContext } from './context';
import { optionalFlag, optionalForm, optionalText, queueName, requiredText, timing, type Timing } from './input';
import { createdOf, movedFrom, repeatedRequest } from './request-keys';

const MINUTE = 60_000;

/** A manual callback (POST /api/v1/callbacks, `callbackd create`). */
export interface ManualCallbackInput {
  /** As a person typed it: E.164, or national in defaultCountry. Validated and normalised before anything is stored. */
  number: string;
  /** The queue the callback is for (a transition's sourceQueue). */
  queue: string;
  /** Epoch ms, ISO 8601, or "now"; or `delayMinutes`. Neither: due now (within the calling window). */
  dueAt?: number | string;
  delayMinutes?: number;
  note?: string | null;
  /** The call it follows up (its originCallId). */
  relatedCallId?: string | null;
  /** Record a LostCall event carrying the Shifted reference, so the Neglected exclusion applies. */
  createLostCallEvent?: boolean;
  form?: Form;
  /** Who asked, for the history ('cli', 'api', a user name). */
  by: string;
  /** An idempotency key (the API's Idempotency-Key, scoped to the token): a repeat returns the first result. */
  requestKey?: RequestKey;
}

export interface CreatedCallback {
  callback: Callback;
  /** A callback was already pending for the number and queue: this request was folded into it. */
  merged: boolean;
  /** The due time asked for, when the calling window moved it to its next opening; null when not moved. */
  movedFrom: number | null;
  /** The request's key was kept already: this is the first request's result, and nothing was written now. */
  repeated?: boolean;
}

/** Where in the front ends a manual callback was asked for; kept in its birth event (plain creation adds nothing). */
export type Origin = 'manual' | 'call-bar' | 'grid';

export interface ManualRequest {
  number: string;
  queue: string;
  timing: Timing;
  note: string | null;
  originCallId: string | null;
  lostCallEvent: boolean;
  form: Form;
  by: string;
  origin: Origin;
  requestKey?: RequestKey;
}

export async function createCallback(ctx: ServiceContext, input: ManualCallbackInput): Promise<CreatedCallback> {
  const repeated = await repeatedRequest(ctx, input.requestKey);
  if (repeated) return repeated;
  return requestManual(ctx, {
    number: requiredText(input.number, 'number', 64),
    queue: queueName(input.queue),
    timing: timing(input, ctx.clock.now(), { delayMinutes: 0 }),
    note: optionalText(input.note, 'note'),
    originCallId: optionalText(input.relatedCallId, 'relatedCallId', 200),
    lostCallEvent: optionalFlag(input.createLostCallEvent, 'createLostCallEvent'),
    form: optionalForm(input.form),
    by: requiredText(input.by, 'by', 100),
    origin: 'manual',
    requestKey: input.requestKey,
  });
}

/**
 * The one way the service makes a callback: the transition for manual callbacks of the queue,
 * the number checked against it (InvalidNumberError before anything is written: no text that
 * could reach a dial string other than "+" and digits is ever stored), then Callbacks.request.
 */
export async function requestManual(ctx: ServiceContext, r: ManualRequest): Promise<CreatedCallback> {
  const rule = ctx.callbacks.ruleFor(r.queue, 'manual');
  const number = ctx.callbacks.validNumber(r.number, rule);
  const asked = 'dueAt' in r.timing ? r.timing.dueAt : ctx.clock.now() + r.timing.delayMinutes * MINUTE;
  const memo = { askedInWindow: rule.window !== null ? asked : null };
  const result = await ctx.callbacks.request({
    number,
    queue: r.queue,
    mechanism: 'manual',
    ...r.timing,
    note: r.note,
    originCallId: r.originCallId,
    birthEvent: r.lostCallEvent ? 'LostCall' : 'Created',
    shifted: r.lostCallEvent,
    form: r.form,
    by: r.by,
    birthData: r.origin === 'manual' ? undefined : { via: r.origin },
    requestKey: r.requestKey ? { ...r.requestKey, memo: { ...memo } } : undefined,
  });
  // Two requests with one key at once: the store made the second one a repeat.
  if (result.repeated) return createdOf(result.repeated);
  return { callback: result.callback, merged: result.merged, movedFrom: movedFrom(result.callback, result.merged, memo) };
}
