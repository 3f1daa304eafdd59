import { InvalidRequestError } from '../domain/errors';
import { initialDueAt } from '../domain/retry';
import type { Callback } from '../domain/types';
import type { ServiceContext } from './context';
import { optionalText, requiredText, timing } from './input';

export interface RescheduleInput {
  id: string;
  /** Epoch ms or ISO 8601: kept as given (a person chose it). "now" is a delay of 0. */
  dueAt?: number | string;
  /** Minutes from now, moved into the calling window as for a new callback. */
  delayMinutes?: number;
  reason?: string | null;
  by: string;
}

export interface CallNowInput {
  id: string;
  reason?: string | null;
  by: string;
}

/**
 * A Scheduled callback gets a new due time, recorded as a Rescheduled event {dueAt, by, reason}.
 * Refused: a callback being dialled (illegal_transition), a held place in a queue (conflict: it
 * has no time to move), a time at or after its deadline (invalid_request).
 */
export async function rescheduleCallback(ctx: ServiceContext, input: RescheduleInput): Promise<Callback> {
  const id = requiredText(input.id, 'id');
  const now = ctx.clock.now();
  const when = timing(input, now, null);
  const reason = optionalText(input.reason, 'reason', 500);
  const by = requiredText(input.by, 'by', 100);
  let dueAt: number;
  if ('dueAt' in when) dueAt = when.dueAt;
  else {
    const rule = ctx.callbacks.ruleOf(await ctx.callbacks.get(id));
    const opening = initialDueAt(now, when.delayMinutes, rule);
    if (opening === null) throw new InvalidRequestError(`the calling window of transition "${rule.name}" never opens`);
    dueAt = opening;
  }
  return ctx.callbacks.reschedule(id, dueAt, by, { reason });
}

/**
 * "Call now": due at once, whatever the calling window says (a person asked for it now). The
 * Rescheduled event carries callNow: true, so the history tells it from an ordinary reschedule.
 */
export async function callNow(ctx: ServiceContext, input: CallNowInput): Promise<Callback> {
  const id = requiredText(input.id, 'id');
  const reason = optionalText(input.reason, 'reason', 500);
  const by = requiredText(input.by, 'by', 100);
  return ctx.callbacks.reschedule(id, ctx.clock.now(), by, { reason, callNow: true });
}
