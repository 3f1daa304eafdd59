import type { LifecycleEvent } from './lifecycle';
import type { Attempt, CallEvent, CallRecord, Callback, EventType, Form, Outcome, Status } from './types';

/** A history line to write; id and time are filled in by the store (time from the change's `at`). */
export interface NewEvent {
  type: EventType;
  callbackId?: string | null;
  callId?: string | null;
  data?: Record<string, unknown>;
}

export type NewCallback = Omit<Callback, 'status' | 'updatedAt' | 'attempts' | 'claimOwner' | 'claimUntil' | 'version'>;

/**
 * One change to one callback: its new status (when `event` is given), field updates, attempt start
 * or end, and history lines. The store writes all of it in one transaction, and only if the
 * callback still has status `from` (and `version`, when given); otherwise ConflictError.
 * A status change adds its own StatusChanged event ({from, to, event}).
 */
export interface CallbackChange {
  callbackId: string;
  at: number;
  from: Status;
  /** Lifecycle event and the status it leads to (the caller computed `to` with nextStatus). */
  event?: LifecycleEvent;
  to?: Status;
  version?: number;
  set?: Partial<
    Pick<Callback, 'dueAt' | 'expiresAt' | 'number' | 'form' | 'note' | 'queuePosition' | 'claimOwner' | 'claimUntil' | 'attempts' | 'shifted'>
  >;
  startAttempt?: Omit<Attempt, 'endedAt' | 'outcome' | 'detail'>;
  endAttempt?: { id: string; outcome: Outcome; detail?: string | null };
  /** Set references on an open attempt (for example the customer channel id before dialling). */
  updateAttempt?: { id: string; placeholderRef?: string | null; customerRef?: string | null };
  /** An open attempt the PBX never received (it was not connected): removed, as if never started. */
  withdrawAttempt?: string;
  events?: NewEvent[];
}

export interface ListFilter {
  status?: Status;
  number?: string;
  queue?: string;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Everything the engine needs from storage. The SQLite store implements it; nothing else does I/O. */
export interface CallbackStore {
  /**
   * Insert `callback` as Scheduled with its events, unless a callback for the same number and
   * queue is already pending (Scheduled or Dialing): then nothing is inserted, `merge` is called
   * with the pending one, and its returned change is committed instead, in the same transaction.
   */
  createOrMerge(
    callback: NewCallback,
    events: NewEvent[],
    merge: (existing: Callback) => CallbackChange,
  ): { callback: Callback; merged: boolean };
  get(id: string): Callback | null;
  list(filter: ListFilter): Page<Callback>;
  /** The pending (Scheduled or Dialing) callback for this number and queue, if any. */
  pendingFor(number: string, queue: string): Callback | null;
  countPending(queue: string): number;
  /** Scheduled callbacks for `number` with shifted = true (Neglected candidates). */
  scheduledShiftedFor(number: string): Callback[];
  commit(change: CallbackChange): Callback;

  /**
   * Claim the earliest due (dueAt <= now), unclaimed, Scheduled callback whose queue is not in
   * `skipQueues`: set claimOwner = owner and claimUntil = now + leaseMs. Exactly one claimer wins.
   */
  claimNextDue(owner: string, now: number, leaseMs: number, skipQueues?: readonly string[]): Callback | null;
  /** Drop a claim without other changes (for example when the PBX is down). */
  releaseClaim(id: string, owner: string): void;
  /** Free claims whose lease ended (their owner crashed or stalled). Returns how many. */
  releaseExpiredClaims(now: number): number;
  /** Free every claim not held by `owner` (a restarted daemon recovering its predecessor's work). */
  releaseClaimsNotOwnedBy(owner: string): number;
  /** Earliest dueAt among unclaimed Scheduled callbacks (of queues not in `skipQueues`), or null. */
  nextDueAt(skipQueues?: readonly string[]): number | null;
  /** Scheduled callbacks whose expiresAt <= now. */
  dueForExpiry(now: number, limit: number): Callback[];

  openAttempts(): Attempt[];
  /** Scheduled callbacks holding a caller's place (no due time) with no open attempt: their placeholder is missing. */
  heldPlacesWithoutPlaceholder(): Callback[];
  attemptsOf(callbackId: string): Attempt[];
  getAttempt(id: string): Attempt | null;
  eventsOf(callbackId: string): CallEvent[];
  eventsAfter(afterId: number, limit: number): CallEvent[];

  upsertCall(call: CallRecord): void;
  getCall(id: string): CallRecord | null;
  waitingCalls(queue?: string): CallRecord[];
  /** Record why an abandoned call did or did not become a LostShift callback. */
  decideLostCall(id: string, decision: string): void;
  /** Abandoned calls whose LostShift decision was never recorded (the daemon died in between). */
  undecidedLostCalls(limit: number): CallRecord[];
  callbacksOfCall(callId: string): Callback[];
  eventsOfCall(callId: string): CallEvent[];
  appendEvents(at: number, events: NewEvent[]): void;

  close(): void;
}

export type { Form };
