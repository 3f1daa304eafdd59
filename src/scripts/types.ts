/**
 * The contract between callbackd and a decision script: what the script is given (ScriptContext),
 * what it may answer (ScriptVerdict), and what the daemon takes from that answer once checked
 * (CheckedVerdict). config/scripts/README.md documents the same for administrators.
 *
 * Everything in a context is plain JSON (strings, numbers, booleans, null, arrays, objects): it
 * crosses a thread boundary. Times are ISO 8601 strings in UTC.
 */

export { validateVerdict, VERDICT_LIMITS } from './verdict';

/** What made the daemon ask: a lost call, an IVR booking, a status trigger, a scheduled trigger. */
export type ScriptTrigger = 'LostShift' | 'IvrCallBack' | 'status' | 'interval';

/** The call the decision is about, as the PBX reported it. */
export interface ScriptCall {
  id: string;
  /** The caller's number as the PBX gave it (not normalised); null when withheld. */
  number: string | null;
  /** The queue the call was in; null when it never reached one. */
  queue: string | null;
  enteredAt: string;
  endedAt: string | null;
  waitSeconds: number | null;
  position: number | null;
  result: 'waiting' | 'served' | 'abandoned' | 'callback' | 'left';
  form: Record<string, string>;
}

/** A callback as a script sees it: a pending one for the number, or the one a status trigger is about. */
export interface ScriptCallbackView {
  id: string;
  /** E.164. */
  number: string;
  queue: string;
  status: string;
  /** When it is next attempted; null while waiting in a queue or done. */
  dueAt: string | null;
  mechanism: string;
}

/** What the embedded rules would do, had no script been named. */
export type ScriptProposal =
  | { action: 'create'; queue: string; number: string; dueAt: string }
  | { action: 'skip'; reason: string; detail?: string };

/** The facts of one decision: the context without its two services, as the daemon hands it to the runner. */
export interface ScriptInput {
  trigger: ScriptTrigger;
  /** The transition the decision is made under, when one applies. */
  transition: string | null;
  /** The call; null for triggers that are not about a call (interval, most status triggers). */
  call: ScriptCall | null;
  /** The callback a status trigger is about; null otherwise. */
  callback: ScriptCallbackView | null;
  /** What the IVR collected (CB_FORM_* without the prefix); for a lost call, the call's form. */
  form: Record<string, string>;
  /** The callbacks pending for the caller's number, every queue. */
  pending: ScriptCallbackView[];
  proposal: ScriptProposal;
  /** The daemon's time (its injected clock), not the worker's: decide "now" from this, never from Date.now(). */
  now: string;
}

/** Lines a script writes go to the daemon's log, tagged with the script and the call. */
export interface ScriptLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Read access to the contact tables, answered by the daemon. */
export interface ScriptContacts {
  /** The row keyed `key` in `table`, or null when there is none; rejects when the daemon cannot answer. */
  lookup(table: string, key: string): Promise<Record<string, string> | null>;
}

/** What `decide(ctx)` is called with. */
export interface ScriptContext extends ScriptInput {
  log: ScriptLog;
  contacts: ScriptContacts;
}

/**
 * Make a callback. Every field left out keeps what the proposal says (or the transition's
 * default when the proposal was a skip). `dueAt` and `delayMinutes` exclude each other.
 */
export interface ScriptCreate {
  action: 'create';
  /** Another number to call; checked against the transition's number rules like any other. */
  number?: string;
  queue?: string;
  /** An ISO 8601 time with a zone (Z or ±hh:mm), or epoch milliseconds. */
  dueAt?: string | number;
  /** Minutes from now (the daemon's clock); 0: at once. */
  delayMinutes?: number;
  /** 0 (lowest) to 9 (highest). */
  priority?: number;
  /** Merged into the callback's form (string values only). */
  form?: Record<string, string>;
}

/** Make no callback; the reason is kept with the call and shown to supervisors. */
export interface ScriptSkip {
  action: 'skip';
  reason: string;
}

/** Do what the embedded rules would do (returning nothing means the same). */
export interface ScriptDefault {
  action: 'default';
}

export type ScriptVerdict = ScriptCreate | ScriptSkip | ScriptDefault;

/** The signature of a script's export. */
export type DecideFunction = (ctx: ScriptContext) => ScriptVerdict | undefined | Promise<ScriptVerdict | undefined>;

/** A verdict after validateVerdict: the shape is sound and dueAt is epoch milliseconds. */
export type CheckedVerdict = (Omit<ScriptCreate, 'dueAt'> & { dueAt?: number }) | ScriptSkip | ScriptDefault;

export type VerdictCheck = { ok: true; verdict: CheckedVerdict } | { ok: false; problem: string };

/**
 * Why the embedded decision was used instead of the script's: it threw (or rejected), answered
 * something that is not a verdict, ran past the time limit, ran out of memory, or could not be
 * loaded. `closed`: the runner was closed before the script answered (not counted).
 */
export const FALLBACK_KINDS = ['threw', 'invalid', 'timeout', 'memory', 'load'] as const;
export type FallbackKind = (typeof FALLBACK_KINDS)[number];

export type ScriptOutcome =
  | { outcome: 'verdict'; verdict: CheckedVerdict }
  | { outcome: 'fallback'; kind: FallbackKind | 'closed'; detail: string };

/** How the daemon answers a script's contacts.lookup. */
export type ContactLookup = (table: string, key: string) => Promise<Record<string, string> | null>;
