import type { HeldSeat, JoinResult, Seat } from '../../domain/store';
import type { Queryable } from './connection';

/**
 * The daemons sharing this database, one seat per owner (a daemon's stable identity). Any number
 * of owners may sit at once; a second live daemon with an owner already seated is refused, and a
 * seat whose daemon is gone (stale heartbeat, or a dead process on the joiner's own host) is taken
 * over. The seat is how a claim or attempt of a dead daemon is told from one of a busy daemon.
 */

interface SeatRow {
  owner: string;
  host: string;
  pid: number;
  pbx: string;
  heartbeat_at: number;
}

/** Which daemon (of several incarnations of one owner) a heartbeat or leave is from. */
export interface Incarnation {
  host: string;
  pid: number;
}

function toSeat(row: SeatRow): HeldSeat {
  return { owner: row.owner, host: row.host, pid: row.pid, pbx: row.pbx, heartbeatAt: row.heartbeat_at };
}

const COLUMNS = 'owner, host, pid, pbx, heartbeat_at';

/**
 * Inside the caller's transaction. The seat row is read FOR UPDATE; when there is none, two
 * joiners of one owner can still race, so the insert does nothing on conflict and the loser looks
 * again (and finds the winner, live).
 */
export async function join(client: Queryable, seat: Seat, now: number, staleMs: number, alive: (held: Seat) => boolean): Promise<JoinResult> {
  for (let round = 0; round < 2; round++) {
    const row = (await client.query<SeatRow>(`SELECT ${COLUMNS} FROM daemons WHERE owner = $1 FOR UPDATE`, [seat.owner])).rows[0];
    if (row) {
      const held = toSeat(row);
      const stale = now - row.heartbeat_at > staleMs;
      const dead = row.host === seat.host && !alive(held);
      if (!stale && !dead) return { ok: false, holder: held };
      await client.query('UPDATE daemons SET host = $2, pid = $3, pbx = $4, started_at = $5, heartbeat_at = $5 WHERE owner = $1', [seat.owner, seat.host, seat.pid, seat.pbx, now]);
      return { ok: true };
    }
    const inserted = await client.query(
      'INSERT INTO daemons (owner, host, pid, pbx, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (owner) DO NOTHING',
      [seat.owner, seat.host, seat.pid, seat.pbx, now],
    );
    if (inserted.rowCount === 1) return { ok: true };
  }
  throw new Error(`the seat of ${seat.owner} kept changing while joining`);
}

/**
 * False when the seat is gone or another incarnation took it over (this daemon was thought dead).
 * `self` is known when this store joined the seat; without it any holder of the owner renews.
 */
export async function heartbeat(db: Queryable, owner: string, now: number, self?: Incarnation): Promise<boolean> {
  const result = await db.query(
    'UPDATE daemons SET heartbeat_at = $2 WHERE owner = $1 AND ($3::text IS NULL OR (host = $3 AND pid = $4))',
    [owner, now, self?.host ?? null, self?.pid ?? null],
  );
  return result.rowCount === 1;
}

/** An old incarnation leaving late must not unseat the one that replaced it. */
export async function leave(db: Queryable, owner: string, self?: Incarnation): Promise<void> {
  await db.query('DELETE FROM daemons WHERE owner = $1 AND ($2::text IS NULL OR (host = $2 AND pid = $3))', [owner, self?.host ?? null, self?.pid ?? null]);
}

export async function seats(db: Queryable): Promise<HeldSeat[]> {
  return (await db.query<SeatRow>(`SELECT ${COLUMNS} FROM daemons ORDER BY started_at, owner`)).rows.map(toSeat);
}
