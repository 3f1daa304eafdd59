import type { Statement } from 'better-sqlite3';
import type { CallRecord } from '../domain/types';
import type { Db } from './database';
import { type CallRow, callParams, toCall } from './rows';

/** Calls as the PBX reported them, kept for history and exclusion. Each belongs to the PBX it was on. */
export class Calls {
  private readonly upsert: Statement<CallRow>;
  private readonly byId: Statement<[string], CallRow>;
  private readonly waitingAll: Statement<{ pbx: string }, CallRow>;
  private readonly waitingIn: Statement<{ pbx: string; queue: string }, CallRow>;
  private readonly decide: Statement<[string, string]>;
  private readonly undecided: Statement<{ pbx: string; limit: number }, CallRow>;

  constructor(db: Db) {
    // Reports arrive in pieces (entered, then ended); the latest report is the whole truth.
    this.upsert = db.prepare(`
      INSERT INTO calls (id, number, queue, entered_at, ended_at, result, position, wait_seconds, form, lost_decision, pbx)
      VALUES (@id, @number, @queue, @entered_at, @ended_at, @result, @position, @wait_seconds, @form, @lost_decision, @pbx)
      ON CONFLICT (id) DO UPDATE SET
        number = excluded.number, queue = excluded.queue, entered_at = excluded.entered_at,
        ended_at = excluded.ended_at, result = excluded.result, position = excluded.position,
        wait_seconds = excluded.wait_seconds, form = excluded.form, pbx = excluded.pbx,
        lost_decision = COALESCE(excluded.lost_decision, calls.lost_decision)`);
    this.decide = db.prepare('UPDATE calls SET lost_decision = ? WHERE id = ?');
    this.undecided = db.prepare(`
      SELECT * FROM calls
       WHERE pbx = @pbx AND result = 'abandoned' AND lost_decision IS NULL
       ORDER BY ended_at LIMIT @limit`);
    this.byId = db.prepare('SELECT * FROM calls WHERE id = ?');
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

  decideLostCall(id: string, decision: string): void {
    this.decide.run(decision, id);
  }

  undecidedLostCalls(pbx: string, limit: number): CallRecord[] {
    return this.undecided.all({ pbx, limit }).map(toCall);
  }

  waitingCalls(pbx: string, queue?: string): CallRecord[] {
    const rows = queue === undefined ? this.waitingAll.all({ pbx }) : this.waitingIn.all({ pbx, queue });
    return rows.map(toCall);
  }
}
