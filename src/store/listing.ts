import type { Statement } from 'better-sqlite3';
import type { ListFilter, Page, StatusMechanismCount } from '../domain/store';
import type { Callback, Status } from '../domain/types';
import { PENDING } from './commits';
import type { Db } from './database';
import { AROUND_SQL } from './around';
import { type CallbackRow, toCallback } from './rows';
import { decodeCursor, encodeCursor } from './cursor';

/** countPending, asked before every IVR offer: both are counted in callbacks_pending (queue first). */
export const COUNT_PENDING_SQL = `SELECT count(*) AS n FROM callbacks WHERE queue = ? AND ${PENDING}`;
export const COUNT_PENDING_ON_SQL = `SELECT count(*) AS n FROM callbacks WHERE queue = ? AND pbx = ? AND ${PENDING}`;


type Params = { status?: string; number?: string; queue?: string; mechanism?: string; created_at?: number; id?: string; limit: number };

/**
 * Reading callbacks for people and for the engine's checks: pages newest first (one statement per
 * combination of filters, so each can use its own index), counts, and lookups by number, call or
 * held place.
 */
export class Listing {
  private readonly statements = new Map<string, Statement<Params, CallbackRow>>();
  private readonly pendingCount: Statement<[string], { n: number }>;
  private readonly pendingCountOn: Statement<[string, string], { n: number }>;
  private readonly statusCounts: Statement<[], { status: Status; n: number }>;
  private readonly statusMechanismCounts: Statement<[], StatusMechanismCount>;
  private readonly shiftedScheduled: Statement<[string], CallbackRow>;
  private readonly ofCall: Statement<{ call: string }, CallbackRow>;
  private readonly heldWithout: Statement<{ pbx: string }, CallbackRow>;
  private readonly createdForNumber: Statement<{ number: string; pbx: string; since: number }, { n: number }>;
  private readonly createdForQueue: Statement<{ queue: string; pbx: string; since: number }, { n: number }>;
  private readonly around: Statement<{ pbx: string; from: number; to: number; day_before: number }, CallbackRow>;

  constructor(private readonly db: Db) {
    this.pendingCount = db.prepare(COUNT_PENDING_SQL);
    this.pendingCountOn = db.prepare(COUNT_PENDING_ON_SQL);
    this.statusCounts = db.prepare('SELECT status, count(*) AS n FROM callbacks GROUP BY status');
    this.statusMechanismCounts = db.prepare('SELECT status, mechanism, count(*) AS count FROM callbacks GROUP BY status, mechanism ORDER BY status, mechanism');
    this.shiftedScheduled = db.prepare("SELECT * FROM callbacks WHERE number = ? AND status = 'Scheduled' AND shifted = 1 ORDER BY created_at, id");
    // A call's callbacks are the ones it caused plus any its events link to (a merged request, a LostCall).
    this.ofCall = db.prepare(`
      SELECT * FROM callbacks
       WHERE origin_call_id = @call
          OR id IN (SELECT callback_id FROM events WHERE call_id = @call AND callback_id IS NOT NULL)
       ORDER BY created_at, id`);
    this.heldWithout = db.prepare(`
      SELECT * FROM callbacks AS c INDEXED BY callbacks_held
       WHERE pbx = @pbx AND status = 'Scheduled' AND due_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.callback_id = c.id AND a.ended_at IS NULL)
       ORDER BY created_at, id`);
    // A range of callbacks_number_created / callbacks_queue_created: the daily caps ask before each creation.
    this.createdForNumber = db.prepare('SELECT count(*) AS n FROM callbacks WHERE number = @number AND created_at >= @since AND pbx = @pbx');
    this.createdForQueue = db.prepare('SELECT count(*) AS n FROM callbacks WHERE queue = @queue AND created_at >= @since AND pbx = @pbx');
    this.around = db.prepare(AROUND_SQL.replace(/\$1/g, '@pbx').replace(/\$2/g, '@from').replace(/\$3/g, '@to').replace(/\$4/g, '@day_before'));
  }

  countCreatedSince(scope: { number: string } | { queue: string }, pbx: string, since: number): number {
    const row = 'number' in scope ? this.createdForNumber.get({ number: scope.number, pbx, since }) : this.createdForQueue.get({ queue: scope.queue, pbx, since });
    return row?.n ?? 0;
  }

  callbacksAround(pbx: string, from: number, to: number, dayBefore: number): Callback[] {
    return this.around.all({ pbx, from, to, day_before: dayBefore }).map(toCallback);
  }

  countPending(queue: string, pbx?: string): number {
    return (pbx === undefined ? this.pendingCount.get(queue) : this.pendingCountOn.get(queue, pbx))?.n ?? 0;
  }

  countByStatus(): Partial<Record<Status, number>> {
    const counts: Partial<Record<Status, number>> = {};
    for (const row of this.statusCounts.all()) counts[row.status] = row.n;
    return counts;
  }

  countByStatusAndMechanism(): StatusMechanismCount[] {
    return this.statusMechanismCounts.all();
  }

  scheduledShiftedFor(number: string): Callback[] {
    return this.shiftedScheduled.all(number).map(toCallback);
  }

  callbacksOfCall(callId: string): Callback[] {
    return this.ofCall.all({ call: callId }).map(toCallback);
  }

  heldPlacesWithoutPlaceholder(pbx: string): Callback[] {
    return this.heldWithout.all({ pbx }).map(toCallback);
  }

  list(filter: ListFilter): Page<Callback> {
    const limit = Math.max(1, Math.trunc(filter.limit));
    const params: Params = { limit: limit + 1 };
    if (filter.status !== undefined) params.status = filter.status;
    if (filter.number !== undefined) params.number = filter.number;
    if (filter.queue !== undefined) params.queue = filter.queue;
    if (filter.mechanism !== undefined) params.mechanism = filter.mechanism;
    if (filter.cursor !== undefined) {
      const position = decodeCursor(filter.cursor);
      params.created_at = position.createdAt;
      params.id = position.id;
    }
    const rows = this.statement(params).all(params);
    const items = rows.slice(0, limit).map(toCallback);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor(last) : null;
    return { items, nextCursor };
  }

  private statement(params: Params): Statement<Params, CallbackRow> {
    const conditions: string[] = [];
    if (params.status !== undefined) conditions.push('status = @status');
    if (params.number !== undefined) conditions.push('number = @number');
    if (params.queue !== undefined) conditions.push('queue = @queue');
    // No index of its own: few mechanisms, so it narrows a walk another filter's index makes.
    if (params.mechanism !== undefined) conditions.push('mechanism = @mechanism');
    if (params.created_at !== undefined) conditions.push('(created_at, id) < (@created_at, @id)');
    const key = conditions.join(' AND ');
    let statement = this.statements.get(key);
    if (!statement) {
      const where = conditions.length > 0 ? `WHERE ${key}` : '';
      statement = this.db.prepare(`SELECT * FROM callbacks ${where} ORDER BY created_at DESC, id DESC LIMIT @limit`);
      this.statements.set(key, statement);
    }
    return statement;
  }
}
