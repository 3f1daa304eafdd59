import { ConflictError } from '../../domain/errors';
import type { CallbackChange, CreateResult, NewCallback, NewEvent, RequestKey } from '../../domain/store';
import type { Callback } from '../../domain/types';
import { announcesWork, applyChange, checkMerge, freshCallback } from '../change';
import { writeAttemptChange } from './attempts';
import { asConflict, isUniqueViolation, notifyWork, type Pipelined } from './connection';
import { type EventLine, eventLines, sendEvents } from './events';
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

/** Nothing returned: the row it leaves is the one written (see asWritten), and nobody waits for it. */
const REWRITE_SQL = `UPDATE callbacks SET ${ASSIGNMENTS} WHERE id = $1`;

const LOCK_PENDING_SQL = `SELECT * FROM callbacks WHERE pbx = $1 AND queue = $2 AND number = $3 AND ${PENDING} FOR UPDATE`;

const LOCK_BY_ID_SQL = 'SELECT * FROM callbacks WHERE id = $1 FOR UPDATE';

/** A creation that met a concurrent creator is tried again this many times in all, then refused. */
const CREATE_ROUNDS = 2;

/**
 * Creating and changing callbacks inside one pipelined transaction (the caller opened it, see
 * Pipelined). Every check reads its row FOR UPDATE first, so the check and the write it guards
 * cannot be split by another daemon; those reads are asked (their answer decides), the writes are
 * sent and answered with the COMMIT. History lines and work notifications are collected and sent
 * by `finish`, last, so the events' order lock is the last lock the transaction takes. A change
 * that only writes once its row is locked (an attempt start) takes two round trips: BEGIN with the
 * lock, then the writes with the COMMIT.
 */
export class Commits {
  private readonly lines: EventLine[] = [];
  private readonly announce = new Set<string>();

  constructor(private readonly tx: Pipelined) {}

  /** With a request key, the key is locked, looked for and kept in the same transaction as the creation (see CallbackStore). */
  async createOrMerge(callback: NewCallback, events: readonly NewEvent[], merge: (existing: Callback) => CallbackChange, requestKey?: RequestKey): Promise<CreateResult> {
    if (!requestKey) return this.createOrMergeOnce(callback, events, merge);
    const { client } = this.tx;
    await this.tx.ask(lockRequestKey(client, requestKey.key));
    const kept = await this.tx.ask(findRequestKey(client, requestKey.key));
    if (kept) return repeatOf(kept, requestKey);
    const result = await this.createOrMergeOnce(callback, events, merge);
    this.tx.send(keepRequestKey(client, requestKey, result, callback.createdAt));
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
    const row = (await this.tx.ask(this.tx.client.query<CallbackRow>(LOCK_BY_ID_SQL, [change.callbackId]))).rows[0];
    return this.apply(row ? toCallback(row) : null, change);
  }

  /** Send the collected history lines and notifications (PostgreSQL delivers those at COMMIT), the transaction's last writes. */
  finish(): void {
    for (const pbx of this.announce) this.tx.send(notifyWork(this.tx.client, pbx));
    sendEvents(this.tx, this.lines);
  }

  private async lockPending(callback: NewCallback): Promise<Callback | null> {
    const row = (await this.tx.ask(this.tx.client.query<CallbackRow>(LOCK_PENDING_SQL, [callback.pbx, callback.queue, callback.number]))).rows[0];
    return row ? toCallback(row) : null;
  }

  private async insert(fresh: Callback): Promise<Callback | null> {
    try {
      const row = (await this.tx.ask(this.tx.client.query<CallbackRow>(INSERT_SQL, callbackValues(fresh)))).rows[0];
      return row ? toCallback(row) : null;
    } catch (err) {
      throw asConflict(err, `callback ${fresh.id} already exists`);
    }
  }

  /**
   * `current` is locked (or null: NotFoundError from applyChange). The rewrite is sent, not waited
   * for: it can only fail by raising (a second pending callback for the number and queue), and that
   * failure ends the transaction before anything is committed.
   */
  private async apply(current: Callback | null, change: CallbackChange): Promise<Callback> {
    const { next, events } = applyChange(current, change);
    const before = current as Callback;
    const rewritten = this.tx.client.query(REWRITE_SQL, callbackValues(next));
    this.tx.send(
      rewritten.catch((err: unknown) => {
        if (isUniqueViolation(err, 'callbacks_pending')) {
          throw new ConflictError(`callback ${before.id}: another is already pending for ${next.number} in ${next.queue}`);
        }
        throw err;
      }),
    );
    await writeAttemptChange(this.tx, change, before.id, before.pbx);
    this.lines.push(...eventLines(change.at, events, before.id));
    if (announcesWork(before, next)) this.announce.add(next.pbx);
    return asWritten(next);
  }
}

/**
 * The callback as the row holds it once `next` is written (what `RETURNING *` read back): every
 * column as given, the form as its JSON text parses (callbackValues writes it as JSON.stringify does).
 */
function asWritten(next: Callback): Callback {
  return { ...next, form: JSON.parse(JSON.stringify(next.form ?? {})) as Callback['form'] };
}
