import type { Statement } from 'better-sqlite3';
import { ConflictError, NotFoundError } from '../domain/errors';
import { nextStatus } from '../domain/lifecycle';
import type { CallbackChange, NewCallback, NewEvent } from '../domain/store';
import { type Callback, type Status, TERMINAL_STATUSES } from '../domain/types';
import type { Db } from './database';
import type { History } from './history';
import { CALLBACK_COLUMNS, CALLBACK_VALUES, type CallbackRow, callbackParams, toCallback } from './rows';

export const PENDING = "status IN ('Scheduled','Dialing')";

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

/** A unique or primary key refusal means someone else got there first: a conflict, not a crash. */
function asConflict(err: unknown, message: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new ConflictError(message);
  return err;
}

export type CreateResult = { callback: Callback; merged: boolean };

/**
 * Creating and changing callbacks. Every method here expects to run inside a transaction that
 * holds the write lock (SqliteStore opens it), so a check and the write it guards cannot be split.
 */
export class Commits {
  private readonly byId: Statement<[string], CallbackRow>;
  private readonly pending: Statement<[string, string], CallbackRow>;
  private readonly insert: Statement<CallbackRow, CallbackRow>;
  private readonly rewrite: Statement<CallbackRow, CallbackRow>;

  constructor(
    db: Db,
    private readonly history: History,
  ) {
    this.byId = db.prepare('SELECT * FROM callbacks WHERE id = ?');
    this.pending = db.prepare(`SELECT * FROM callbacks WHERE number = ? AND queue = ? AND ${PENDING}`);
    this.insert = db.prepare(`INSERT INTO callbacks (${CALLBACK_COLUMNS}) VALUES (${CALLBACK_VALUES}) RETURNING *`);
    const assignments = CALLBACK_COLUMNS.split(', ')
      .filter((column) => column !== 'id')
      .map((column) => `${column} = @${column}`)
      .join(', ');
    this.rewrite = db.prepare(`UPDATE callbacks SET ${assignments} WHERE id = @id RETURNING *`);
  }

  get(id: string): Callback | null {
    const row = this.byId.get(id);
    return row ? toCallback(row) : null;
  }

  pendingFor(number: string, queue: string): Callback | null {
    const row = this.pending.get(number, queue);
    return row ? toCallback(row) : null;
  }

  createOrMerge(callback: NewCallback, events: NewEvent[], merge: (existing: Callback) => CallbackChange): CreateResult {
    const existing = this.pendingFor(callback.number, callback.queue);
    if (existing) {
      const change = merge(existing);
      if (change.callbackId !== existing.id) {
        throw new Error(`a merge must change the pending callback ${existing.id}, not ${change.callbackId}`);
      }
      return { callback: this.commit(change), merged: true };
    }
    const fresh: Callback = {
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
    };
    let row: CallbackRow | undefined;
    try {
      row = this.insert.get(callbackParams(fresh));
    } catch (err) {
      throw asConflict(err, `callback ${callback.id} already exists`);
    }
    this.history.appendEvents(callback.createdAt, events, callback.id);
    return { callback: toCallback(row as CallbackRow), merged: false };
  }

  commit(change: CallbackChange): Callback {
    const current = this.get(change.callbackId);
    if (!current) throw new NotFoundError(`callback ${change.callbackId}`);
    if (current.status !== change.from) {
      throw new ConflictError(`callback ${current.id} is ${current.status}, not ${change.from}`);
    }
    if (change.version !== undefined && current.version !== change.version) {
      throw new ConflictError(`callback ${current.id} is at version ${current.version}, not ${change.version}`);
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
    let saved: CallbackRow | undefined;
    try {
      saved = this.rewrite.get(callbackParams(next));
    } catch (err) {
      throw asConflict(err, `callback ${current.id}: another is already pending for ${next.number} in ${next.queue}`);
    }
    this.writeAttempt(change, current.id);
    this.history.appendEvents(change.at, change.events ?? [], current.id);
    if (to !== current.status) {
      const statusChanged = { type: 'StatusChanged' as const, data: { from: current.status, to, event: change.event } };
      this.history.appendEvents(change.at, [statusChanged], current.id);
    }
    return toCallback(saved as CallbackRow);
  }

  private writeAttempt(change: CallbackChange, callbackId: string): void {
    const { startAttempt, updateAttempt, endAttempt, withdrawAttempt } = change;
    if (withdrawAttempt) this.history.withdrawAttempt(callbackId, withdrawAttempt);
    if (startAttempt) {
      if (startAttempt.callbackId !== callbackId) {
        throw new Error(`attempt ${startAttempt.id} belongs to ${startAttempt.callbackId}, not ${callbackId}`);
      }
      try {
        this.history.startAttempt(startAttempt);
      } catch (err) {
        // The same attempt (id, or number for this callback) twice: it must not be dialled twice.
        throw asConflict(err, `attempt ${startAttempt.id} (#${startAttempt.seq}) of callback ${callbackId} already started`);
      }
    }
    if (updateAttempt) {
      const { id, ...refs } = updateAttempt;
      this.history.updateAttempt(callbackId, id, refs);
    }
    if (endAttempt) this.history.endAttempt(callbackId, endAttempt.id, change.at, endAttempt.outcome, endAttempt.detail ?? null);
  }
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
