import type { CallRecord, Callback, Form } from '../domain/types';
import type { ScriptCall, ScriptCallbackView, ScriptInput, ScriptProposal, ScriptTrigger } from './types';

/** The daemon's records as a script sees them: plain JSON, times as ISO strings. */

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function callView(call: CallRecord): ScriptCall {
  return {
    id: call.id,
    number: call.number,
    queue: call.queue,
    enteredAt: iso(call.enteredAt),
    endedAt: call.endedAt === null ? null : iso(call.endedAt),
    waitSeconds: call.waitSeconds,
    position: call.position,
    result: call.result,
    form: { ...call.form },
  };
}

export function callbackView(callback: Callback): ScriptCallbackView {
  return {
    id: callback.id,
    number: callback.number,
    queue: callback.queue,
    status: callback.status,
    dueAt: callback.dueAt === null ? null : iso(callback.dueAt),
    mechanism: callback.mechanism,
  };
}

/** The embedded decision, in the shape of a lost-call judgement or an IVR booking (dueAt in epoch ms). */
export type EmbeddedDecision =
  | { action: 'create'; queue: string; number: string; dueAt: number }
  | { action: 'skip'; reason: string; detail?: string };

export function proposalView(decision: EmbeddedDecision): ScriptProposal {
  if (decision.action === 'create') return { action: 'create', queue: decision.queue, number: decision.number, dueAt: iso(decision.dueAt) };
  return decision.detail === undefined ? { action: 'skip', reason: decision.reason } : { action: 'skip', reason: decision.reason, detail: decision.detail };
}

export interface InputParts {
  trigger: ScriptTrigger;
  transition?: string | null;
  call?: CallRecord | null;
  callback?: Callback | null;
  /** Default: the call's form, else the callback's, else empty. */
  form?: Form;
  pending?: readonly Callback[];
  proposal: EmbeddedDecision;
  /** The injected clock's time, epoch ms. */
  now: number;
}

/** A script's input from the daemon's own records. */
export function scriptInput(parts: InputParts): ScriptInput {
  const form = parts.form ?? parts.call?.form ?? parts.callback?.form ?? {};
  return {
    trigger: parts.trigger,
    transition: parts.transition ?? null,
    call: parts.call ? callView(parts.call) : null,
    callback: parts.callback ? callbackView(parts.callback) : null,
    form: { ...form },
    pending: (parts.pending ?? []).map(callbackView),
    proposal: proposalView(parts.proposal),
    now: iso(parts.now),
  };
}
