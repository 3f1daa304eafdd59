import type { Statement } from 'better-sqlite3';
import type { TriggerClaim, TriggerRun, TriggerRunEnd } from '../domain/store';
import type { Db } from './database';

interface RunRow {
  name: string;
  slot_at: number;
  owner: string;
  started_at: number;
  ended_at: number | null;
  outcome: string | null;
  detail: string | null;
}

export function toTriggerRun(row: RunRow): TriggerRun {
  return {
    name: row.name,
    slotAt: Number(row.slot_at),
    owner: row.owner,
    startedAt: Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    outcome: row.outcome as TriggerRun['outcome'],
    detail: row.detail,
  };
}

/** Trigger cursors and interval runs in SQLite (migration 010). */
export class Triggers {
  private readonly cursor: Statement<[string], { last_event_id: number }>;
  private readonly setCursorStmt: Statement<{ name: string; id: number }>;
  private readonly claim: Statement<{ name: string; slot_at: number; owner: string; started_at: number }>;
  private readonly slot: Statement<{ name: string; slot_at: number }, { n: number }>;
  private readonly live: Statement<{ name: string; stale_before: number }, { n: number }>;
  private readonly claimTx: (name: string, slotAt: number, owner: string, at: number, staleBefore: number) => TriggerClaim;
  private readonly finish: Statement<{ name: string; slot_at: number; ended_at: number; outcome: string; detail: string | null }>;
  private readonly runsOf: Statement<{ name: string; limit: number }, RunRow>;
  private readonly runsAll: Statement<{ limit: number }, RunRow>;

  constructor(db: Db) {
    this.cursor = db.prepare('SELECT last_event_id FROM trigger_cursors WHERE name = ?');
    // A cursor only moves forward: two readers racing leave the furthest.
    this.setCursorStmt = db.prepare(`
      INSERT INTO trigger_cursors (name, last_event_id) VALUES (@name, @id)
      ON CONFLICT (name) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id)`);
    this.claim = db.prepare('INSERT INTO trigger_runs (name, slot_at, owner, started_at) VALUES (@name, @slot_at, @owner, @started_at) ON CONFLICT DO NOTHING');
    this.slot = db.prepare('SELECT count(*) AS n FROM trigger_runs WHERE name = @name AND slot_at = @slot_at');
    this.live = db.prepare('SELECT count(*) AS n FROM trigger_runs WHERE name = @name AND ended_at IS NULL AND started_at > @stale_before');
    // One writer at a time (IMMEDIATE): the check and the claim cannot be split by another process.
    const claimTx = db.transaction((name: string, slotAt: number, owner: string, at: number, staleBefore: number): TriggerClaim => {
      if ((this.slot.get({ name, slot_at: slotAt })?.n ?? 0) > 0) return 'taken';
      if ((this.live.get({ name, stale_before: staleBefore })?.n ?? 0) > 0) return 'running';
      this.claim.run({ name, slot_at: slotAt, owner, started_at: at });
      return 'claimed';
    });
    this.claimTx = (...args) => claimTx.immediate(...args);
    this.finish = db.prepare('UPDATE trigger_runs SET ended_at = @ended_at, outcome = @outcome, detail = @detail WHERE name = @name AND slot_at = @slot_at AND ended_at IS NULL');
    this.runsOf = db.prepare('SELECT * FROM trigger_runs WHERE name = @name ORDER BY started_at DESC, slot_at DESC LIMIT @limit');
    this.runsAll = db.prepare('SELECT * FROM trigger_runs ORDER BY started_at DESC, slot_at DESC LIMIT @limit');
  }

  triggerCursor(name: string): number | null {
    return this.cursor.get(name)?.last_event_id ?? null;
  }

  setTriggerCursor(name: string, id: number): void {
    this.setCursorStmt.run({ name, id });
  }

  claimTriggerRun(name: string, slotAt: number, owner: string, at: number, staleBefore: number): TriggerClaim {
    return this.claimTx(name, slotAt, owner, at, staleBefore);
  }

  finishTriggerRun(name: string, slotAt: number, end: TriggerRunEnd, at: number): void {
    this.finish.run({ name, slot_at: slotAt, ended_at: at, outcome: end.outcome, detail: end.detail ?? null });
  }

  triggerRuns(name: string | null, limit: number): TriggerRun[] {
    const rows = name === null ? this.runsAll.all({ limit }) : this.runsOf.all({ name, limit });
    return rows.map(toTriggerRun);
  }
}
