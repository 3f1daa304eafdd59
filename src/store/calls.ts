import type { Statement } from 'better-sqlite3';
import type { CallFilter, Page } from '../domain/store';
import type { CallRecord } from '../domain/types';
import { decodeCursor, encodeCursor } from './cursor';
import type { Db } from './database';
import { type CallRow, callParams, toCall } from './rows';

type PageParams = { result?: string; queue?: string; entered_at?: number; id?: string; limit: number };

/**
 * One page of the grid of calls, newest first. Each combination of filters is its own statement
 * so each finds its own index (migration 005): by result, by queue, or by time alone.
 */
export function callsPageSql(filters: { result?: boolean; queue?: boolean; after?: boolean }): string {
  const conditions: string[] = [];
  if (filters.result) conditions.push('result = @result');
  if (filters.queue) conditions.push('queue = @queue');
  if (filters.after) conditions.push('(entered_at, id) < (@entered_at, @id)');
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return `SELECT * FROM calls ${where} ORDER BY entered_at DESC, id DESC LIMIT @limit`;
}

/** Calls as the PBX reported them, kept for history and exclusion. Each belongs to the PBX it was on. */
export class Calls {
  private readonly upsert: Statement<CallRow>;
  private readonly byId: Statement<[string], CallRow>;
  private readonly waitingAll: Statement<{ pbx: string }, CallRow>;
  private readonly waitingIn: Statement<{ pbx: string; queue: string }, CallRow>;
  private readonly decide: Statement<[string, string, string]>;
  private readonly undecided: Statement<{ pbx: string; limit: number }, CallRow>;
  private readonly lostFirst: Statement<{ pbx: string; from: number; to: number; limit: number }, CallRow>;
  private readonly lostAfter: Statement<{ pbx: string; from: number; to: number; ended_at: number; id: string; limit: number }, CallRow>;
  private readonly pages = new Map<string, Statement<PageParams, CallRow>>();

  constructor(private readonly db: Db) {
    // Reports arrive in pieces (entered, then ended); the latest report is the whole truth.
    this.upsert = db.prepare(`
      INSERT INTO calls (id, number, queue, entered_at, ended_at, result, position, wait_seconds, form, lost_decision, lost_reason, pbx)
      VALUES (@id, @number, @queue, @entered_at, @ended_at, @result, @position, @wait_seconds, @form, @lost_decision, @lost_reason, @pbx)
      ON CONFLICT (id) DO UPDATE SET
        number = excluded.number, queue = excluded.queue, entered_at = excluded.entered_at,
        ended_at = excluded.ended_at, result = excluded.result, position = excluded.position,
        wait_seconds = excluded.wait_seconds, form = excluded.form, pbx = excluded.pbx,
        lost_decision = COALESCE(excluded.lost_decision, calls.lost_decision),
        lost_reason = COALESCE(excluded.lost_reason, calls.lost_reason)`);
    this.decide = db.prepare('UPDATE calls SET lost_decision = ?, lost_reason = ? WHERE id = ? AND lost_decision IS NULL');
    this.undecided = db.prepare(`
      SELECT * FROM calls
       WHERE pbx = @pbx AND result = 'abandoned' AND lost_decision IS NULL
       ORDER BY ended_at LIMIT @limit`);
    this.byId = db.prepare('SELECT * FROM calls WHERE id = ?');
    const lost = "SELECT * FROM calls WHERE pbx = @pbx AND result = 'abandoned' AND ended_at >= @from AND ended_at < @to";
    this.lostFirst = db.prepare(`${lost} ORDER BY ended_at, id LIMIT @limit`);
    this.lostAfter = db.prepare(`${lost} AND (ended_at, id) > (@ended_at, @id) ORDER BY ended_at, id LIMIT @limit`);
    this.waitingAll = db.prepare("SELECT * FROM calls WHERE pbx = @pbx AND result = 'waiting' ORDER BY entered_at, id");
    this.waitingIn = db.prepare("SELECT * FROM calls WHERE pbx = @pbx AND result = 'waiting' AND queue = @queue ORDER BY entered_at, id");
  }

  upsertCall(call: CallRecord): void {
    this.upsert.run(callParams(call));
  }

  getCall(id: string): CallRecord | null {
    const row = this.byId.get(id);
    return row ? toCall(row) : null;
  }

  /** False when the call was decided already (or is not recorded): the first decision stands. */
  decideLostCall(id: string, text: string, reason: string): boolean {
    return this.decide.run(text, reason, id).changes === 1;
  }

  undecidedLostCalls(pbx: string, limit: number): CallRecord[] {
    return this.undecided.all({ pbx, limit }).map(toCall);
  }

  lostCallsBetween(pbx: string, from: number, to: number, after: { endedAt: number; id: string } | null, limit: number): CallRecord[] {
    const rows = after === null ? this.lostFirst.all({ pbx, from, to, limit }) : this.lostAfter.all({ pbx, from, to, ended_at: after.endedAt, id: after.id, limit });
    return rows.map(toCall);
  }

  waitingCalls(pbx: string, queue?: string): CallRecord[] {
    const rows = queue === undefined ? this.waitingAll.all({ pbx }) : this.waitingIn.all({ pbx, queue });
    return rows.map(toCall);
  }

  /** The cursor is the last row's (enteredAt, id), in the same opaque form as the callbacks' list. */
  listCalls(filter: CallFilter): Page<CallRecord> {
    const limit = Math.max(1, Math.trunc(filter.limit));
    const params: PageParams = { limit: limit + 1 };
    if (filter.result !== undefined) params.result = filter.result;
    if (filter.queue !== undefined) params.queue = filter.queue;
    if (filter.cursor !== undefined) {
      const position = decodeCursor(filter.cursor);
      params.entered_at = position.createdAt;
      params.id = position.id;
    }
    const shape = { result: params.result !== undefined, queue: params.queue !== undefined, after: params.id !== undefined };
    const key = JSON.stringify(shape);
    let statement = this.pages.get(key);
    if (!statement) {
      statement = this.db.prepare<PageParams, CallRow>(callsPageSql(shape));
      this.pages.set(key, statement);
    }
    const rows = statement.all(params);
    const items = rows.slice(0, limit).map(toCall);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.enteredAt, id: last.id }) : null };
  }
}
