import type { Statement, Transaction } from 'better-sqlite3';
import type { HeldSeat, JoinResult, Seat } from '../domain/store';
import type { Db } from './database';

interface LockRow {
  owner: string;
  host: string;
  pid: number;
  pbx: string;
  heartbeat_at: number;
}

function toSeat(row: LockRow): HeldSeat {
  return { owner: row.owner, host: row.host, pid: row.pid, pbx: row.pbx, heartbeatAt: row.heartbeat_at };
}

/**
 * The one-daemon-per-file lock: a SQLite file has one seat. Two daemons on one file would both
 * dial (a file has no way to tell them apart mid-claim as a server would). A holder on this host
 * whose process is gone (SIGKILL) is taken over at once; one on another host (a shared volume)
 * only once its heartbeat is stale.
 */
export class DaemonLock {
  private readonly read: Statement<[], LockRow>;
  private readonly write: Statement<LockRow>;
  private readonly renew: Statement<{ owner: string; at: number }>;
  private readonly drop: Statement<{ owner: string }>;
  private readonly joinTx: Transaction<(seat: Seat, now: number, staleMs: number, alive: (held: Seat) => boolean) => JoinResult>;

  constructor(db: Db) {
    this.read = db.prepare('SELECT owner, host, pid, pbx, heartbeat_at FROM daemon_lock WHERE id = 1');
    this.write = db.prepare(`
      INSERT INTO daemon_lock (id, owner, host, pid, pbx, heartbeat_at) VALUES (1, @owner, @host, @pid, @pbx, @heartbeat_at)
      ON CONFLICT (id) DO UPDATE SET
        owner = excluded.owner, host = excluded.host, pid = excluded.pid, pbx = excluded.pbx, heartbeat_at = excluded.heartbeat_at`);
    this.renew = db.prepare('UPDATE daemon_lock SET heartbeat_at = @at WHERE id = 1 AND owner = @owner');
    this.drop = db.prepare('DELETE FROM daemon_lock WHERE id = 1 AND owner = @owner');
    this.joinTx = db.transaction((seat, now, staleMs, alive) => {
      const row = this.read.get();
      // Even a holder with the joiner's owner is another daemon unless it is gone: an owner is the
      // same for every daemon started from one configuration, so it cannot tell two apart.
      if (row) {
        const stale = now - row.heartbeat_at > staleMs;
        const held = toSeat(row);
        const dead = row.host === seat.host && !alive(held);
        if (!stale && !dead) return { ok: false, holder: held };
      }
      this.write.run({ owner: seat.owner, host: seat.host, pid: seat.pid, pbx: seat.pbx, heartbeat_at: now });
      return { ok: true };
    });
  }

  /** `alive` tells whether a holder on this host still runs (asked only for holders on this host). */
  join(seat: Seat, now: number, staleMs: number, alive: (held: Seat) => boolean): JoinResult {
    return this.joinTx.immediate(seat, now, staleMs, alive);
  }

  /** False when another daemon took the lock over (this one was thought dead). */
  heartbeat(owner: string, now: number): boolean {
    return this.renew.run({ owner, at: now }).changes === 1;
  }

  leave(owner: string): void {
    this.drop.run({ owner });
  }

  seats(): HeldSeat[] {
    const row = this.read.get();
    return row ? [toSeat(row)] : [];
  }
}
