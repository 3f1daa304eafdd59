import type { Statement, Transaction } from 'better-sqlite3';
import type { Db } from './database';

export interface LockHolder {
  owner: string;
  host: string;
  pid: number;
}

export interface HeldLock extends LockHolder {
  heartbeatAt: number;
}

export type LockResult = { ok: true } | { ok: false; holder: HeldLock };

interface LockRow {
  owner: string;
  host: string;
  pid: number;
  heartbeat_at: number;
}

/**
 * The one-daemon-per-file lock. A holder on this host whose process is gone (SIGKILL) is taken
 * over at once; one on another host (a shared volume) only once its heartbeat is stale.
 */
export class DaemonLock {
  private readonly read: Statement<[], LockRow>;
  private readonly write: Statement<LockRow>;
  private readonly renew: Statement<{ owner: string; at: number }>;
  private readonly drop: Statement<{ owner: string }>;
  private readonly acquireTx: Transaction<(holder: LockHolder, now: number, staleMs: number, alive: (held: LockHolder) => boolean) => LockResult>;

  constructor(db: Db) {
    this.read = db.prepare('SELECT owner, host, pid, heartbeat_at FROM daemon_lock WHERE id = 1');
    this.write = db.prepare(`
      INSERT INTO daemon_lock (id, owner, host, pid, heartbeat_at) VALUES (1, @owner, @host, @pid, @heartbeat_at)
      ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at`);
    this.renew = db.prepare('UPDATE daemon_lock SET heartbeat_at = @at WHERE id = 1 AND owner = @owner');
    this.drop = db.prepare('DELETE FROM daemon_lock WHERE id = 1 AND owner = @owner');
    this.acquireTx = db.transaction((holder, now, staleMs, alive) => {
      const row = this.read.get();
      if (row && row.owner !== holder.owner) {
        const stale = now - row.heartbeat_at > staleMs;
        const dead = row.host === holder.host && !alive({ owner: row.owner, host: row.host, pid: row.pid });
        if (!stale && !dead) return { ok: false, holder: { owner: row.owner, host: row.host, pid: row.pid, heartbeatAt: row.heartbeat_at } };
      }
      this.write.run({ ...holder, heartbeat_at: now });
      return { ok: true };
    });
  }

  /** `alive` tells whether a holder on this host still runs (asked only for holders on this host). */
  acquire(holder: LockHolder, now: number, staleMs: number, alive: (held: LockHolder) => boolean): LockResult {
    return this.acquireTx.immediate(holder, now, staleMs, alive);
  }

  /** False when another daemon took the lock over (this one was thought dead). */
  heartbeat(owner: string, now: number): boolean {
    return this.renew.run({ owner, at: now }).changes === 1;
  }

  release(owner: string): void {
    this.drop.run({ owner });
  }
}
