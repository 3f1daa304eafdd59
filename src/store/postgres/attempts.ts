import { ConflictError } from '../../domain/errors';
import type { AttemptFilter, CallbackChange } from '../../domain/store';
import { TERMINAL_STATUSES, type Attempt } from '../../domain/types';
import { asConflict, type Pipelined, type Queryable } from './connection';
import { type AttemptRow, toAttempt } from './rows';

/**
 * Attempts: the writes a change makes (inside its transaction, with its callback row locked) and
 * the ownership daemons sharing one PBX hand over through leases.
 */

const notOpen = (id: string, callbackId: string) => new ConflictError(`attempt ${id} of callback ${callbackId} is not open`);

/**
 * The attempt part of a change, in SQLite's order: withdraw, start, update, end. A start can only
 * fail by raising, so it is sent (pipelined, answered with the rest of the transaction); the others
 * must have changed exactly one open attempt, which only their answer tells.
 */
export async function writeAttemptChange(tx: Pipelined, change: CallbackChange, callbackId: string, pbx: string): Promise<void> {
  const { startAttempt, updateAttempt, endAttempt, withdrawAttempt } = change;
  const { client } = tx;
  if (withdrawAttempt) {
    const dropped = await tx.ask(client.query('DELETE FROM attempts WHERE id = $1 AND callback_id = $2 AND ended_at IS NULL', [withdrawAttempt, callbackId]));
    if (dropped.rowCount !== 1) throw notOpen(withdrawAttempt, callbackId);
  }
  if (startAttempt) {
    const inserted = client.query(
      `INSERT INTO attempts (id, callback_id, pbx, seq, mode, started_at, placeholder_ref, customer_ref, owner, lease_until, counted)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        startAttempt.id,
        callbackId,
        pbx,
        startAttempt.seq,
        startAttempt.mode,
        startAttempt.startedAt,
        startAttempt.placeholderRef,
        startAttempt.customerRef,
        startAttempt.owner ?? null,
        startAttempt.leaseUntil ?? null,
        startAttempt.counted ?? true,
      ],
    );
    tx.send(
      inserted.catch((err: unknown) => {
        // The same attempt (id, or number for this callback) twice: it must not be dialled twice.
        throw asConflict(err, `attempt ${startAttempt.id} (#${startAttempt.seq}) of callback ${callbackId} already started`);
      }),
    );
  }
  if (updateAttempt) {
    // A reference left undefined keeps its value; null clears it.
    const { id, placeholderRef, customerRef } = updateAttempt;
    const updated = await tx.ask(
      client.query(
        `UPDATE attempts
            SET placeholder_ref = CASE WHEN $3 THEN $4 ELSE placeholder_ref END,
                customer_ref = CASE WHEN $5 THEN $6 ELSE customer_ref END
          WHERE id = $1 AND callback_id = $2 AND ended_at IS NULL`,
        [id, callbackId, placeholderRef !== undefined, placeholderRef ?? null, customerRef !== undefined, customerRef ?? null],
      ),
    );
    if (updated.rowCount !== 1) throw notOpen(id, callbackId);
  }
  if (endAttempt) {
    // Only an open attempt can end, and only once: a second end is a duplicate report, not news.
    const ended = await tx.ask(
      client.query('UPDATE attempts SET ended_at = $3, outcome = $4, detail = $5 WHERE id = $1 AND callback_id = $2 AND ended_at IS NULL', [
        endAttempt.id,
        callbackId,
        change.at,
        endAttempt.outcome,
        endAttempt.detail ?? null,
      ]),
    );
    if (ended.rowCount !== 1) throw notOpen(endAttempt.id, callbackId);
  }
}

export async function getAttempt(db: Queryable, id: string): Promise<Attempt | null> {
  const row = (await db.query<AttemptRow>('SELECT * FROM attempts WHERE id = $1', [id])).rows[0];
  return row ? toAttempt(row) : null;
}

/** Each side of the OR has its own partial index (migration 002); the latest started wins should two share a channel. */
export async function attemptByChannel(db: Queryable, channelId: string): Promise<Attempt | null> {
  const row = (
    await db.query<AttemptRow>('SELECT * FROM attempts WHERE customer_ref = $1 OR placeholder_ref = $1 ORDER BY started_at DESC, id DESC LIMIT 1', [channelId])
  ).rows[0];
  return row ? toAttempt(row) : null;
}

export async function attemptsOf(db: Queryable, callbackId: string): Promise<Attempt[]> {
  return (await db.query<AttemptRow>('SELECT * FROM attempts WHERE callback_id = $1 ORDER BY seq', [callbackId])).rows.map(toAttempt);
}

export async function openAttempts(db: Queryable, filter: AttemptFilter = {}): Promise<Attempt[]> {
  const result = await db.query<AttemptRow>(
    `SELECT * FROM attempts AS a
      WHERE ended_at IS NULL AND ($1::text IS NULL OR pbx = $1) AND ($2::text IS NULL OR owner = $2)
        AND (NOT $3 OR EXISTS (SELECT 1 FROM callbacks c WHERE c.id = a.callback_id AND c.status = ANY($4::text[])))
      ORDER BY started_at, id`,
    [filter.pbx ?? null, filter.owner ?? null, filter.settled === true, [...TERMINAL_STATUSES]],
  );
  return result.rows.map(toAttempt);
}

/**
 * One UPDATE takes this daemon's own attempts and those whose owner's lease lapsed. Two daemons
 * adopting at once queue on the row locks, and the second re-reads each row after the first
 * committed: its owner is then the first daemon with a fresh lease, so the row no longer matches.
 */
export async function adoptAttempts(db: Queryable, owner: string, pbx: string, now: number, leaseMs: number): Promise<Attempt[]> {
  const result = await db.query<AttemptRow>(
    `UPDATE attempts SET owner = $1, lease_until = $4
      WHERE ended_at IS NULL AND pbx = $2 AND (owner = $1 OR owner IS NULL OR lease_until <= $3)
      RETURNING *`,
    [owner, pbx, now, now + leaseMs],
  );
  return result.rows.map(toAttempt).sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function renewAttemptLeases(db: Queryable, owner: string, until: number): Promise<number> {
  const result = await db.query('UPDATE attempts SET lease_until = $2 WHERE owner = $1 AND ended_at IS NULL', [owner, until]);
  return result.rowCount ?? 0;
}
