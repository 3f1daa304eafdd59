import { ConflictError, NotFoundError } from '../domain/errors';
import { nextStatus } from '../domain/lifecycle';
import type { CallbackChange, NewCallback, NewEvent } from '../domain/store';
import { type Callback, type Status, TERMINAL_STATUSES } from '../domain/types';

/**
 * What a change does to a callback, computed the same way for every backend: a backend reads the
 * row (under its write lock), asks `applyChange`, and writes what comes back. The lifecycle table
 * decides the status here, once, not in each backend's SQL.
 */

/** The fields a change may set; anything else in `set` (even smuggled past the types) is ignored. */
const SETTABLE = [
  'dueAt',
  'expiresAt',
  'number',
  'form',
  'note',
  'queuePosition',
  'claimOwner',
  'claimUntil',
  'attempts',
  'shifted',
] as const satisfies readonly (keyof NonNullable<CallbackChange['set']>)[];

export interface AppliedChange {
  next: Callback;
  /** The change's own events, then its StatusChanged event when the status moved. */
  events: NewEvent[];
}

/** The callback a creation inserts: Scheduled, no attempts, unclaimed, version 1. */
export function freshCallback(callback: NewCallback): Callback {
  return {
    id: callback.id,
    number: callback.number,
    queue: callback.queue,
    status: 'Scheduled',
    mechanism: callback.mechanism,
    transition: callback.transition,
    dueAt: callback.dueAt,
    expiresAt: callback.expiresAt,
    createdAt: callback.createdAt,
    updatedAt: callback.createdAt,
    attempts: 0,
    originCallId: callback.originCallId,
    shifted: callback.shifted,
    form: callback.form,
    note: callback.note,
    queuePosition: callback.queuePosition,
    claimOwner: null,
    claimUntil: null,
    version: 1,
    pbx: callback.pbx,
  };
}

/** Checks the change against the callback as it stands and returns the callback it leads to. */
export function applyChange(current: Callback | null, change: CallbackChange): AppliedChange {
  if (!current) throw new NotFoundError(`callback ${change.callbackId}`);
  if (current.status !== change.from) throw new ConflictError(`callback ${current.id} is ${current.status}, not ${change.from}`);
  if (change.version !== undefined && current.version !== change.version) {
    throw new ConflictError(`callback ${current.id} is at version ${current.version}, not ${change.version}`);
  }
  if (change.startAttempt && change.startAttempt.callbackId !== current.id) {
    throw new Error(`attempt ${change.startAttempt.id} belongs to ${change.startAttempt.callbackId}, not ${current.id}`);
  }
  const to = targetStatus(change);
  const next: Callback = { ...current, status: to, version: current.version + 1, updatedAt: change.at };
  for (const key of SETTABLE) {
    const value = change.set?.[key];
    if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  }
  if (TERMINAL_STATUSES.has(to)) {
    // A finished callback can never be claimed or dialled again, whatever the caller left set.
    next.dueAt = null;
    next.claimOwner = null;
    next.claimUntil = null;
  }
  const events = [...(change.events ?? [])];
  if (to !== current.status) events.push({ type: 'StatusChanged', data: { from: current.status, to, event: change.event } });
  return { next, events };
}

/** Where the change leads: the lifecycle table decides, and a caller's `to` must agree with it. */
function targetStatus(change: CallbackChange): Status {
  if (change.event === undefined) {
    if (change.to !== undefined && change.to !== change.from) {
      throw new Error(`callback ${change.callbackId}: a status change needs its lifecycle event`);
    }
    return change.from;
  }
  const to = nextStatus(change.from, change.event);
  if (change.to !== undefined && change.to !== to) {
    throw new Error(`callback ${change.callbackId}: "${change.event}" leads from ${change.from} to ${to}, not ${change.to}`);
  }
  return to;
}

/** A merge must change the pending callback it was given. */
export function checkMerge(existing: Callback, change: CallbackChange): void {
  if (change.callbackId !== existing.id) throw new Error(`a merge must change the pending callback ${existing.id}, not ${change.callbackId}`);
}

/**
 * Whether a write gives a scheduler something to do: a callback became claimable (created due,
 * made due, its claim given back) or was settled (its placeholder, if any, must go).
 */
export function announcesWork(before: Callback | null, after: Callback): boolean {
  const claimable = (c: Callback) => c.status === 'Scheduled' && c.dueAt !== null && c.claimOwner === null;
  if (claimable(after)) return before === null || !claimable(before) || before.dueAt !== after.dueAt;
  return before !== null && before.status !== after.status && TERMINAL_STATUSES.has(after.status);
}
