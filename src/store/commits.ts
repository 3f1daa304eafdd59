import type { Statement } from 'better-sqlite3';
import { ConflictError } from '../domain/errors';
import type { CallbackChange, CreateResult, NewCallback, NewEvent, RequestKey } from '../domain/store';
import type { Callback } from '../domain/types';
import { applyChange, checkMerge, freshCallback } from './change';
import type { Db } from './database';
import type { History } from './history';
import { RequestKeys, repeatOf } from './request-keys';
import { CALLBACK_COLUMNS, CALLBACK_VALUES, type CallbackRow, callbackParams, toCallback } from './rows';

export const PENDING = "status IN ('Scheduled','Dialing')";

/** A unique or primary key refusal means someone else got there first: a conflict, not a crash. */
function asConflict(err: unknown, message: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new ConflictError(message);
  return err;
}

/** What a write did, with the callback as it stood before (null: it was just created), so the store can tell whether it announces work. */
export interface Written<T> {
  result: T;
  before: Callback | null;
  after: Callback;
}

/**
 * Creating and changing callbacks. Every method here expects to run inside a transaction that
 * holds the write lock (SqliteStore opens it), so a check and the write it guards cannot be split.
 * What a change does is decided by change.ts, the same for every backend; this only reads and writes rows.
 */
export const PENDING_FOR_SQL = `
SELECT * FROM callbacks INDEXED BY callbacks_pending
 WHERE number = @number AND queue = @queue AND (@pbx IS NULL OR pbx = @pbx) AND ${PENDING}
 ORDER BY created_at, id LIMIT 1`;

export class Commits {
  private readonly byId: Statement<[string], CallbackRow>;
  private readonly pending: Statement<{ number: string; queue: string; pbx: string | null }, CallbackRow>;
  private readonly insert: Statement<CallbackRow, CallbackRow>;
  private readonly rewrite: Statement<CallbackRow, CallbackRow>;
  readonly requestKeys: RequestKeys;

  constructor(
    db: Db,
    private readonly history: History,
  ) {
    this.byId = db.prepare('SELECT * FROM callbacks WHERE id = ?');
    // Without a PBX (pendingFor) the oldest pending one of any PBX answers. The index is named:
    // left to itself the planner walks callbacks_queue_created (every callback the queue ever had,
    // 133 ms a create at a million) instead of seeking the few pending rows of the number.
    this.pending = db.prepare(PENDING_FOR_SQL);
    this.insert = db.prepare(`INSERT INTO callbacks (${CALLBACK_COLUMNS}) VALUES (${CALLBACK_VALUES}) RETURNING *`);
    const assignments = CALLBACK_COLUMNS.split(', ')
      .filter((column) => column !== 'id')
      .map((column) => `${column} = @${column}`)
      .join(', ');
    this.rewrite = db.prepare(`UPDATE callbacks SET ${assignments} WHERE id = @id RETURNING *`);
    this.requestKeys = new RequestKeys(db);
  }

  get(id: string): Callback | null {
    const row = this.byId.get(id);
    return row ? toCallback(row) : null;
  }

  pendingFor(number: string, queue: string, pbx: string | null = null): Callback | null {
    const row = this.pending.get({ number, queue, pbx });
    return row ? toCallback(row) : null;
  }

  /** With a request key, the key is looked for and kept in the same transaction as the creation (see CallbackStore). */
  createOrMerge(callback: NewCallback, events: NewEvent[], merge: (existing: Callback) => CallbackChange, requestKey?: RequestKey): Written<CreateResult> {
    const kept = requestKey ? this.requestKeys.find(requestKey.key) : null;
    if (kept && requestKey) {
      const result = repeatOf(kept, requestKey);
      // Nothing was written: nothing to announce.
      return { result, before: result.callback, after: result.callback };
    }
    const written = this.createOrMergeOnce(callback, events, merge);
    if (requestKey) this.requestKeys.keep(requestKey, written.result, callback.createdAt);
    return written;
  }

  /** Pending means pending on the same PBX: two PBXs may each hold a caller with the same number. */
  private createOrMergeOnce(callback: NewCallback, events: NewEvent[], merge: (existing: Callback) => CallbackChange): Written<CreateResult> {
    const existing = this.pendingFor(callback.number, callback.queue, callback.pbx);
    if (existing) {
      const change = merge(existing);
      checkMerge(existing, change);
      const written = this.commit(change);
      return { ...written, result: { callback: written.after, merged: true } };
    }
    let row: CallbackRow | undefined;
    try {
      row = this.insert.get(callbackParams(freshCallback(callback)));
    } catch (err) {
      throw asConflict(err, `callback ${callback.id} already exists`);
    }
    this.history.appendEvents(callback.createdAt, events, callback.id);
    const after = toCallback(row as CallbackRow);
    return { result: { callback: after, merged: false }, before: null, after };
  }

  commit(change: CallbackChange): Written<Callback> {
    const before = this.get(change.callbackId);
    const { next, events } = applyChange(before, change);
    let saved: CallbackRow | undefined;
    try {
      saved = this.rewrite.get(callbackParams(next));
    } catch (err) {
      throw asConflict(err, `callback ${next.id}: another is already pending for ${next.number} in ${next.queue}`);
    }
    this.writeAttempt(change, next);
    this.history.appendEvents(change.at, events, next.id);
    const after = toCallback(saved as CallbackRow);
    return { result: after, before, after };
  }

  private writeAttempt(change: CallbackChange, callback: Callback): void {
    const { startAttempt, updateAttempt, endAttempt, withdrawAttempt } = change;
    if (withdrawAttempt) this.history.withdrawAttempt(callback.id, withdrawAttempt);
    if (startAttempt) {
      try {
        this.history.startAttempt(startAttempt, callback.pbx);
      } catch (err) {
        // The same attempt (id, or number for this callback) twice: it must not be dialled twice.
        throw asConflict(err, `attempt ${startAttempt.id} (#${startAttempt.seq}) of callback ${callback.id} already started`);
      }
    }
    if (updateAttempt) {
      const { id, ...refs } = updateAttempt;
      this.history.updateAttempt(callback.id, id, refs);
    }
    if (endAttempt) this.history.endAttempt(callback.id, endAttempt.id, change.at, endAttempt.outcome, endAttempt.detail ?? null);
  }
}
