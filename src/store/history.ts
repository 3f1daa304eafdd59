import type { Statement } from 'better-sqlite3';
import { ConflictError } from '../domain/errors';
import type { AttemptFilter, NewEvent } from '../domain/store';
import { TERMINAL_STATUSES, type Attempt, type CallEvent, type Outcome } from '../domain/types';
import type { Db } from './database';
import { type AttemptRow, type EventRow, toAttempt, toEvent } from './rows';

/** The terminal statuses, spelled for SQL (constants of the domain, not input). */
const SETTLED = [...TERMINAL_STATUSES].map((status) => `'${status}'`).join(',');

interface EventParams {
  type: string;
  at: number;
  callback_id: string | null;
  call_id: string | null;
  data: string;
}

/**
 * One statement finds and takes them: it holds the write lock from its first read, so two daemons
 * adopting at once never both get an attempt. A live lease of another owner is left alone.
 */
export const ADOPT_ATTEMPTS_SQL = `
UPDATE attempts INDEXED BY attempts_open_pbx SET owner = @owner, lease_until = @until
 WHERE ended_at IS NULL AND pbx = @pbx AND (owner = @owner OR owner IS NULL OR lease_until <= @now)
RETURNING *`;

/** Two seeks, one per channel index (migration 005); the latest started wins should two share a channel. */
export const ATTEMPT_BY_CHANNEL_SQL = `
SELECT * FROM attempts WHERE customer_ref = @channel
UNION ALL
SELECT * FROM attempts WHERE placeholder_ref = @channel
ORDER BY started_at DESC, id DESC LIMIT 1`;

/** Events and attempts: what happened to callbacks and calls. Writers here expect to run inside the caller's transaction. */
export class History {
  private readonly insertEvent: Statement<EventParams>;
  private readonly byCallback: Statement<[string], EventRow>;
  private readonly byCall: Statement<[string], EventRow>;
  private readonly after: Statement<[number, number], EventRow>;
  private readonly newest: Statement<[], { id: number }>;
  private readonly insertAttempt: Statement<AttemptRow>;
  private readonly endOpenAttempt: Statement<{ id: string; callback_id: string; ended_at: number; outcome: string; detail: string | null }>;
  private readonly setRefs: Statement<{ id: string; callback_id: string; placeholder_ref: string | null; customer_ref: string | null }>;
  private readonly attempt: Statement<[string], AttemptRow>;
  private readonly byChannel: Statement<{ channel: string }, AttemptRow>;
  private readonly attemptsByCallback: Statement<[string], AttemptRow>;
  private readonly open: Statement<{ pbx: string | null; owner: string | null; settled: number }, AttemptRow>;
  private readonly adopt: Statement<{ owner: string; pbx: string; now: number; until: number }, AttemptRow>;
  private readonly renew: Statement<{ owner: string; until: number }>;
  private readonly dropOpenAttempt: Statement<{ id: string; callback_id: string }>;

  constructor(db: Db) {
    this.insertEvent = db.prepare(
      'INSERT INTO events (type, at, callback_id, call_id, data) VALUES (@type, @at, @callback_id, @call_id, @data)',
    );
    this.byCallback = db.prepare('SELECT * FROM events WHERE callback_id = ? ORDER BY id');
    this.byCall = db.prepare('SELECT * FROM events WHERE call_id = ? ORDER BY id');
    this.after = db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?');
    this.newest = db.prepare('SELECT id FROM events ORDER BY id DESC LIMIT 1');
    this.insertAttempt = db.prepare(`
      INSERT INTO attempts (id, callback_id, seq, mode, started_at, ended_at, outcome, placeholder_ref, customer_ref, detail, owner, lease_until, counted, pbx)
      VALUES (@id, @callback_id, @seq, @mode, @started_at, @ended_at, @outcome, @placeholder_ref, @customer_ref, @detail, @owner, @lease_until, @counted, @pbx)`);
    // Only an open attempt can end, and only once: a second end is a duplicate report, not news.
    this.endOpenAttempt = db.prepare(`
      UPDATE attempts SET ended_at = @ended_at, outcome = @outcome, detail = @detail
       WHERE id = @id AND callback_id = @callback_id AND ended_at IS NULL`);
    this.setRefs = db.prepare(`
      UPDATE attempts SET placeholder_ref = @placeholder_ref, customer_ref = @customer_ref
       WHERE id = @id AND callback_id = @callback_id AND ended_at IS NULL`);
    this.attempt = db.prepare('SELECT * FROM attempts WHERE id = ?');
    this.byChannel = db.prepare(ATTEMPT_BY_CHANNEL_SQL);
    this.attemptsByCallback = db.prepare('SELECT * FROM attempts WHERE callback_id = ? ORDER BY seq');
    this.open = db.prepare(`
      SELECT * FROM attempts AS a
       WHERE ended_at IS NULL AND (@pbx IS NULL OR pbx = @pbx) AND (@owner IS NULL OR owner = @owner)
         AND (@settled = 0 OR EXISTS (SELECT 1 FROM callbacks c WHERE c.id = a.callback_id AND c.status IN (${SETTLED})))
       ORDER BY started_at, id`);
    this.adopt = db.prepare(ADOPT_ATTEMPTS_SQL);
    this.renew = db.prepare('UPDATE attempts SET lease_until = @until WHERE ended_at IS NULL AND owner = @owner');
    this.dropOpenAttempt = db.prepare('DELETE FROM attempts WHERE id = @id AND callback_id = @callback_id AND ended_at IS NULL');
  }

  /** `callbackId` fills in events that leave theirs undefined (null stays null). */
  appendEvents(at: number, events: readonly NewEvent[], callbackId: string | null = null): void {
    for (const event of events) {
      this.insertEvent.run({
        type: event.type,
        at,
        callback_id: event.callbackId === undefined ? callbackId : event.callbackId,
        call_id: event.callId ?? null,
        data: JSON.stringify(event.data ?? {}),
      });
    }
  }

  eventsOf(callbackId: string): CallEvent[] {
    return this.byCallback.all(callbackId).map(toEvent);
  }

  eventsOfCall(callId: string): CallEvent[] {
    return this.byCall.all(callId).map(toEvent);
  }

  eventsAfter(afterId: number, limit: number): CallEvent[] {
    return this.after.all(afterId, limit).map(toEvent);
  }

  lastEventId(): number {
    return this.newest.get()?.id ?? 0;
  }

  /** `pbx` is the callback's: an attempt is dialled on the PBX of its callback. */
  startAttempt(attempt: Omit<Attempt, 'endedAt' | 'outcome' | 'detail'>, pbx: string): void {
    this.insertAttempt.run({
      id: attempt.id,
      callback_id: attempt.callbackId,
      seq: attempt.seq,
      mode: attempt.mode,
      started_at: attempt.startedAt,
      ended_at: null,
      outcome: null,
      placeholder_ref: attempt.placeholderRef,
      customer_ref: attempt.customerRef,
      detail: null,
      owner: attempt.owner,
      lease_until: attempt.leaseUntil,
      counted: attempt.counted ? 1 : 0,
      pbx,
    });
  }

  endAttempt(callbackId: string, id: string, at: number, outcome: Outcome, detail: string | null): void {
    const result = this.endOpenAttempt.run({ id, callback_id: callbackId, ended_at: at, outcome, detail });
    if (result.changes !== 1) throw new ConflictError(`attempt ${id} of callback ${callbackId} is not open`);
  }

  withdrawAttempt(callbackId: string, id: string): void {
    const result = this.dropOpenAttempt.run({ id, callback_id: callbackId });
    if (result.changes !== 1) throw new ConflictError(`attempt ${id} of callback ${callbackId} is not open`);
  }

  updateAttempt(callbackId: string, id: string, refs: { placeholderRef?: string | null; customerRef?: string | null }): void {
    const current = this.attempt.get(id);
    if (!current || current.callback_id !== callbackId || current.ended_at !== null) {
      throw new ConflictError(`attempt ${id} of callback ${callbackId} is not open`);
    }
    this.setRefs.run({
      id,
      callback_id: callbackId,
      placeholder_ref: refs.placeholderRef === undefined ? current.placeholder_ref : refs.placeholderRef,
      customer_ref: refs.customerRef === undefined ? current.customer_ref : refs.customerRef,
    });
  }

  getAttempt(id: string): Attempt | null {
    const row = this.attempt.get(id);
    return row ? toAttempt(row) : null;
  }

  attemptByChannel(channelId: string): Attempt | null {
    const row = this.byChannel.get({ channel: channelId });
    return row ? toAttempt(row) : null;
  }

  attemptsOf(callbackId: string): Attempt[] {
    return this.attemptsByCallback.all(callbackId).map(toAttempt);
  }

  openAttempts(filter: AttemptFilter = {}): Attempt[] {
    return this.open.all({ pbx: filter.pbx ?? null, owner: filter.owner ?? null, settled: filter.settled ? 1 : 0 }).map(toAttempt);
  }

  adoptAttempts(owner: string, pbx: string, now: number, leaseMs: number): Attempt[] {
    const rows = this.adopt.all({ owner, pbx, now, until: now + leaseMs });
    return rows.sort((a, b) => a.started_at - b.started_at || (a.id < b.id ? -1 : 1)).map(toAttempt);
  }

  renewAttemptLeases(owner: string, until: number): number {
    return this.renew.run({ owner, until }).changes;
  }
}
