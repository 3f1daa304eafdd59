import { ConflictError } from '../../domain/errors';
import type { CallbackChange, CreateResult, NewCallback, NewEvent, RequestKey } from '../../domain/store';
import type { Callback } from '../../domain/types';
import { announcesWork, applyChange, checkMerge, freshCallback } from '../change';
import { writeAttemptChange } from './attempts';
import { asConflict, isUniqueViolation, notifyWork, type Queryable } from './connection';
import { type EventLine, eventLines, writeEvents } from './events';
import { repeatOf } from '../request-keys';
import { findRequestKey, keepRequestKey, lockRequestKey } from './request-keys';
import { CALLBACK_COLUMNS, type CallbackRow, callbackValues, toCallback } from './rows';

const PENDING = "status IN ('Scheduled','Dialing')";

const COLUMNS = CALLBACK_COLUMNS.join(', ');
const PLACES = CALLBACK_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
const ASSIGNMENTS = CALLBACK_COLUMNS.map((column, i) => `${column} = $${i + 1}`)
  .filter((_, i) => CALLBACK_COLUMNS[i] !== 'id')
  .join(', ');

/**
 * The pending index is the arbiter: a creator that finds nothing pending but meets a pending row
 * a concurrent creator committed meanwhile gets no row back (not an aborted transaction), and
 * merges into that one. Any other unique refusal (a duplicate id) still raises.
 */
const INSERT_SQL = `
INSERT INTO callbacks (${COLUMNS}) VALUES (${PLACES})
ON CONFLICT (pbx, queue, number) WHERE ${PENDING} DO NOTHING
RETURNING *`;

const REWRITE_SQL = `UPDATE callbacks SET ${ASSIGNMENTS} WHERE id = $1 RETURNING *`;

const LOCK_PENDING_SQL = `SELECT * FROM callbacks WHERE pbx = $1 AND queue = $2 AND number = $3 AND ${PENDING} FOR UPDATE`;

const LOCK_BY_ID_SQL = 'SELECT * FROM callbacks WHERE id = $1 FOR UPDATE';

/** A creation that met a concurrent creator is tried again this many times in all, then refused. */
const CREATE_ROUNDS = 2;

/**
 * Creating and changing callbacks inside one transaction (the caller opened it on `client`).
 * Every check reads its row FOR UPDATE first, so the check and the write it guards cannot be
 * split by another daemon. History lines and work notifications are collected and written by
 * `finish`, last, so the events' order lock is the last lock the transaction takes.
 */
export class Commits {
  private readonly lines: EventLine[] = [];
  private readonly announce = new Set<string>();

  constructor(private readonly client: Queryable) {}

  /** With a request key, the key is locked, looked for and kept in the same transaction as the creation (see CallbackStore). */
  async createOrMerge(callback: NewCallback, events: readonly NewEvent[], merge: (existing: Callback) => CallbackChange, requestKey?: RequestKey): Promise<CreateResult> {
    if (!requestKey) return this.createOrMergeOnce(callback, events, merge);
    await lockRequestKey(this.client, requestKey.key);
    const kept = await findRequestKey(this.client, requestKey.key);
    if (kept) return repeatOf(kept, requestKey);
    const result = await this.createOrMergeOnce(callback, events, merge);
    await keepRequestKey(this.client, requestKey, result, callback.createdAt);
    return result;
  }

  private async createOrMergeOnce(callback: NewCallback, events: readonly NewEvent[], merge: (existing: Callback) => CallbackChange): Promise<CreateResult> {
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      const existing = await this.lockPending(callback);
      if (existing) {
        const change = merge(existing);
        checkMerge(existing, change);
        return { callback: await this.apply(existing, change), merged: true };
      }
      const created = await this.insert(freshCallback(callback));
      if (created) {
        this.lines.push(...eventLines(callback.createdAt, events, created.id));
        if (announcesWork(null, created)) this.announce.add(created.pbx);
        return { callback: created, merged: false };
      }
      // A concurrent creator's pending callback stood in the way: the next round merges into it.
    }
    throw new ConflictError(`the pending callback for ${callback.number} in ${callback.queue} kept changing while this one was created`);
  }

  async commit(change: CallbackChange): Promise<Callback> {
    const row = (await this.client.query<CallbackRow>(LOCK_BY_ID_SQL, [change.callbackId])).rows[0];
    return this.apply(row ? toCallback(row) : null, change);
  }

  /** Write the collected history lines and queue the notifications (PostgreSQL delivers them at COMMIT). */
  async finish(): Promise<void> {
    for (const pbx of this.announce) await notifyWork(this.client, pbx);
    await writeEvents(this.client, this.lines);
  }

  private async lockPending(callback: NewCallback): Promise<Callback | null> {
    const row = (await this.client.query<CallbackRow>(LOCK_PENDING_SQL, [callback.pbx, callback.queue, callback.number])).rows[0];
    return row ? toCallback(row) : null;
  }

  private async insert(fresh: Callback): Promise<Callback | null> {
    try {
      const row = (await this.client.query<CallbackRow>(INSERT_SQL, callbackValues(fresh))).rows[0];
      return row ? toCallback(row) : null;
    } catch (err) {
      throw asConflict(err, `callback ${fresh.id} already exists`);
    }
  }

  /** `current` is locked (or null: NotFoundError from applyChange). */
  private async apply(current: Callback | null, change: CallbackChange): Promise<Callback> {
    const { next, events } = applyChange(current, change);
    const before = current as Callback;
    let saved: Callback;
    try {
      saved = toCallback((await this.client.query<CallbackRow>(REWRITE_SQL, callbackValues(next))).rows[0] as CallbackRow);
    } catch (err) {
      if (isUniqueViolation(err, 'callbacks_pending')) {
        throw new ConflictError(`callback ${before.id}: another is already pending for ${next.number} in ${next.queue}`);
      }
      throw err;
    }
    await writeAttemptChange(this.client, change, before.id, before.pbx);
    this.lines.push(...eventLines(change.at, events, before.id));
    if (announcesWork(before, saved)) this.announce.add(saved.pbx);
    return saved;
  }
}
