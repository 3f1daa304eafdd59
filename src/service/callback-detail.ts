import { NotFoundError } from '../domain/errors';
import type { Attempt, CallEvent, Callback, Form } from '../domain/types';
import type { ServiceContext } from './context';
import { requiredText } from './input';

/** An attempt with the ids of the outbound calls it made on the PBX (placeholder, then customer). */
export interface AttemptView extends Attempt {
  outboundCallIds: string[];
}

/** One callback as GET /api/v1/callbacks/{id} and `callbackd show` give it. */
export interface CallbackDetail {
  callback: Callback;
  /** In the order they were made. */
  attempts: AttemptView[];
  /** In the order they were written. */
  events: CallEvent[];
  /** What the IVR collected (and what people added), for the agent. */
  form: Form;
}

export function attemptView(attempt: Attempt): AttemptView {
  const outboundCallIds = [attempt.placeholderRef, attempt.customerRef].filter((ref): ref is string => ref !== null);
  return { ...attempt, outboundCallIds };
}

export async function detailOf(ctx: ServiceContext, callback: Callback): Promise<CallbackDetail> {
  const [attempts, events] = await Promise.all([ctx.store.attemptsOf(callback.id), ctx.store.eventsOf(callback.id)]);
  return { callback, attempts: attempts.map(attemptView), events, form: callback.form };
}

export async function showCallback(ctx: ServiceContext, id: unknown): Promise<CallbackDetail> {
  const key = requiredText(id, 'id');
  const callback = await ctx.store.get(key);
  if (!callback) throw new NotFoundError(`callback ${key}`);
  return detailOf(ctx, callback);
}
