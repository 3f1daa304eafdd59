import type { Statement } from 'better-sqlite3';
import type { CallRecord } from '../domain/types';
import type { Db } from './database';
import { type CallRow, callParams, toCall } from './rows';

/** Calls as the PBX reported them, kept for history and exclusion. */
export class Calls {
  private readonly upsert: Statement<CallRow>;
  private readonly byId: Statement<[string], CallRow>;
  private readonly waitingAll: Statement<[], CallRow>;
  private readonly waitingIn: Statement<[string], CallRow>;
  private readonly decide: Statement<[string, string]>;
  private readonly undecided: Statement<[number], CallRow>;

  constructor(db: Db) {
    // Reports arrive in pieces (entered, then ended); the latest report is the whole truth.
    this.upsert = db.prepare(`
      INSERT INTO calls (id, number, queue, entered_at, ended_at, result, position, wait_seconds, form, lost_decision)
      VALUES (@id, @number, @queue, @entered_at, @ended_at, @result, @position, @wait_seconds, @form, @lost_decision)
      ON CONFLICT (id) DO UPDATE SET
        number = excluded.number, queue = excluded.queue, entered_at = excluded.entered_at,
        ended_at = excluded.ended_at, result = excluded.result, position = excluded.position,
        wait_seconds = excluded.wait_seconds, form = excluded.form,
        lost_decision = COALESCE(excluded.lost_decision, calls.lost_decision)`);
    this.decide = db.prepare('UPDATE calls SET lost_decision = ? WHERE id = ?');
    this.undecided = db.prepare("SELECT * FROM calls WHERE result = 'abandoned' AND lost_decision IS NULL ORDER BY ended_at LIMIT ?");
    this.byId = db.prepare('SELECT * FROM calls WHERE id = ?');
    this.waitingAll = db.prepare("SELECT * FROM calls WHERE result = 'waiting' ORDER BY entered_at, id");
    this.waitingIn = db.prepare("SELECT * FROM calls WHERE result = 'waiting' AND queue = ? ORDER BY entered_at, id");
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

  undecidedLostCalls(limit: number): CallRecord[] {
    return this.undecided.all(limit).map(toCall);
  }

  waitingCalls(queue?: string): CallRecord[] {
    const rows = queue === undefined ? this.waitingAll.all() : this.waitingIn.all(queue);
    return rows.map(toCall);
  }
}
