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

  constructor(db: Db) {
    // Reports arrive in pieces (entered, then ended); the latest report is the whole truth.
    this.upsert = db.prepare(`
      INSERT INTO calls (id, number, queue, entered_at, ended_at, result, position, wait_seconds, form)
      VALUES (@id, @number, @queue, @entered_at, @ended_at, @result, @position, @wait_seconds, @form)
      ON CONFLICT (id) DO UPDATE SET
        number = excluded.number, queue = excluded.queue, entered_at = excluded.entered_at,
        ended_at = excluded.ended_at, result = excluded.result, position = excluded.position,
        wait_seconds = excluded.wait_seconds, form = excluded.form`);
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

  waitingCalls(queue?: string): CallRecord[] {
    const rows = queue === undefined ? this.waitingAll.all() : this.waitingIn.all(queue);
    return rows.map(toCall);
  }
}
