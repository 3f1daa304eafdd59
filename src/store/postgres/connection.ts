import pg from 'pg';
import { ConflictError } from '../../domain/errors';

export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

/**
 * BIGINT (epoch ms, counts, event ids) as JS numbers. pg leaves int8 a string because it can
 * exceed 2^53; ours never do (epoch ms stays safe for 285,000 years). Set per pool and client,
 * never on the global pg.types, so another pg user in the same process is left alone.
 */
export const STORE_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The URL with its password replaced, for logs and `location`. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL the WHATWG parser takes (pg accepts a few more): mask what looks like a password.
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

export function createPool(url: string, poolSize: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: STORE_TYPES, keepAlive: true, application_name: 'callbackd' });
  // An idle client whose connection dies (server restart, pg_terminate_backend) is dropped by the
  // pool; without a listener the 'error' it emits would crash the process.
  pool.on('error', () => {});
  return pool;
}

/**
 * Run `work` in one transaction on one pooled client: BEGIN … COMMIT, ROLLBACK on any error.
 * A client whose ROLLBACK failed is destroyed rather than handed to the next caller. READ
 * COMMITTED whatever the database's default: the writes rely on each statement seeing what other
 * transactions committed before it (a creator that lost the race finds the winner's row).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** PostgreSQL's unique_violation, optionally of one named constraint or index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const { code, constraint: name } = err as { code?: unknown; constraint?: unknown };
  return code === '23505' && (constraint === undefined || name === constraint);
}

/** A unique or primary key refusal means someone else got there first: a conflict, not a crash. */
export function asConflict(err: unknown, message: string): unknown {
  return isUniqueViolation(err) ? new ConflictError(message) : err;
}

/** Notifications that work may have arrived go on this channel; the payload names the PBX. */
export const WORK_CHANNEL = 'callbackd_work';

export async function notifyWork(db: Queryable, pbx: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [WORK_CHANNEL, pbx]);
}
