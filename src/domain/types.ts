/** The words of the product: statuses, mechanisms, outcomes, and the records built from them. */

export const STATUSES = ['Scheduled', 'Dialing', 'Completed', 'Failed', 'Neglected', 'Cancelled', 'Expired'] as const;
export type Status = (typeof STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<Status> = new Set(['Completed', 'Failed', 'Neglected', 'Cancelled', 'Expired']);

/** How a callback was born (PRODUCT section 1). */
export const MECHANISMS = ['IvrCallBack', 'LostShift', 'manual', 'script'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

export const OUTCOMES = [
  'answered',
  'busy',
  'no_answer',
  'congestion',
  'rejected',
  'invalid_number',
  'failed',
  'agent_unanswered',
  'not_confirmed',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type DialMode = 'agent-first' | 'customer-first';

/** Variables the IVR collected (CB_FORM_* / cb_form_*), keyed without the prefix. */
export type Form = Record<string, string>;

export interface Callback {
  id: string;
  /** E.164. */
  number: string;
  /** Queue that handles the callback (the transition's target queue). */
  queue: string;
  status: Status;
  mechanism: Mechanism;
  /** Name of the transition (rule) that governs retries, window and dialling. */
  transition: string;
  /** Epoch ms when it should be attempted next; null while not claimable (waiting in a queue, or terminal). */
  dueAt: number | null;
  /** Epoch ms after which it expires unless done; null = never. */
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  attempts: number;
  /** The call that caused it (IVR call, lost call, or the conversation a follow-up was made from). */
  originCallId: string | null;
  /** True when created with a CallBack or LostCall event carrying the Shifted reference (subject to Neglected). */
  shifted: boolean;
  form: Form;
  note: string | null;
  /** Position in the queue to take (delay-0 virtual queuing); null = the head. */
  queuePosition: number | null;
  /** Claim held by a dialer (owner id and lease end, epoch ms). */
  claimOwner: string | null;
  claimUntil: number | null;
  /** Incremented on every persisted change; used for optimistic checks. */
  version: number;
  /** The PBX that dials it (a daemon's pbxName): daemons of other PBXs never touch it. */
  pbx: string;
}

export interface Attempt {
  id: string;
  callbackId: string;
  /** 1-based attempt number for the callback. */
  seq: number;
  mode: DialMode;
  startedAt: number;
  endedAt: number | null;
  outcome: Outcome | null;
  /** PBX references chosen before dialling (placeholder and customer channel ids), so a restart can find them. */
  placeholderRef: string | null;
  customerRef: string | null;
  detail: string | null;
  /** The daemon that answers for it, and until when (it renews the lease while the call is up); another daemon takes it over once the lease lapsed. */
  owner: string | null;
  leaseUntil: number | null;
  /** Takes a concurrency slot (scheduled attempts do; places held for callers who chose delay 0 do not). */
  counted: boolean;
}

export const EVENT_TYPES = [
  'CallBack',
  'LostCall',
  'Created',
  'Merged',
  'StatusChanged',
  'AttemptStarted',
  'AttemptEnded',
  'Neglected',
  'Rescheduled',
  'NumberChanged',
  'NumberConfirmed',
  'Note',
  /** An abandoned call was judged: whether it became a LostShift callback, and why (data: reason, detail, transition). */
  'LostCallDecided',
  /** The caller called again while the callback was pending and heard it offered (data: callId, choice keep|cancel|stay|timeout|hangup). */
  'CallerCalledAgain',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One line of call history. `data` carries the event's specifics (for example the Shifted reference). */
export interface CallEvent {
  id: number;
  at: number;
  type: EventType;
  callbackId: string | null;
  callId: string | null;
  data: Record<string, unknown>;
}

/**
 * Why an abandoned call did or did not become a LostShift callback. Two mean it did (shifted,
 * merged); every other is a skip the supervisor can act on.
 */
export const LOST_REASONS = [
  'shifted',
  'merged',
  'no_transition',
  'too_short',
  'anonymous',
  'internal',
  'invalid_number',
  'number_not_allowed',
  'already_pending',
  'max_pending',
  'number_daily_limit',
  'queue_daily_limit',
  'window_never_opens',
  'script_skip',
  'error',
] as const;
export type LostReason = (typeof LOST_REASONS)[number];

/** A call as the PBX reported it (used for history and exclusion). */
export interface CallRecord {
  id: string;
  number: string | null;
  queue: string | null;
  enteredAt: number;
  endedAt: number | null;
  /** 'waiting' while in the queue; then how it ended. */
  result: 'waiting' | 'served' | 'abandoned' | 'callback' | 'left';
  position: number | null;
  waitSeconds: number | null;
  form: Form;
  /** Abandoned calls: why it did or did not become a LostShift callback, in words; null = not decided yet. */
  lostDecision?: string | null;
  /** The same as a stable code (LOST_REASONS), for grids, filters and metrics. */
  lostReason?: LostReason | null;
  /** The PBX the call was on. */
  pbx: string;
}
