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

/** Connections kept open however long the pool idles: a claim, the attempt it starts and a lookup beside them, without a connect (milliseconds) first. */
const WARM_CONNECTIONS = 3;

/**
 * `pipeline`: a client sends each statement at once, without waiting for the answer to the one
 * before (PostgreSQL answers in order). Code that awaits each statement behaves as before; a
 * transaction that sends several before waiting pays one round trip for them (see Pipelined).
 * pg refuses in this mode only what keeps a portal open (cursors, `rows`), which the store never uses.
 */
export function createPool(url: string, poolSize: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    min: Math.min(WARM_CONNECTIONS, poolSize),
    pipeline: true,
    types: STORE_TYPES,
    keepAlive: true,
    application_name: 'callbackd',
  });
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
    await client.query(BEGIN);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken = await rollback(client);
    throw err;
  } finally {
    client.release(broken);
  }
}

const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';

/** The error of a ROLLBACK that failed (the client must then be destroyed, not reused). Outside a transaction ROLLBACK only warns. */
async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/**
 * Wait for statements already sent on one client, every one of them (so no failure goes
 * unobserved), and throw the first failure in the order they were sent: a later statement of the
 * same transaction only failed because that one aborted it.
 */
export async function inOrder(sent: readonly Promise<unknown>[]): Promise<void> {
  const answers = await Promise.allSettled(sent);
  const failed = answers.find((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * One statement in its own READ COMMITTED transaction, in one round trip: BEGIN, the statement and
 * COMMIT go out together. Should the statement fail, the COMMIT behind it ends the aborted
 * transaction (as a ROLLBACK) and the statement's error is thrown. Meant for a statement that does
 * its whole work itself (a function such as claim_next_due): nothing is decided between the three.
 * BEGIN fails in practice only with its connection, and then what follows it fails too; were it
 * to fail alone, the statement would run and commit as a transaction of its own while its caller
 * gets BEGIN's error (for a claim: the callback stays claimed until its lease runs out).
 */
export async function inOneTrip<R extends pg.QueryResultRow>(pool: pg.Pool, statement: pg.QueryConfig): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const begun = client.query(BEGIN);
    const answer = client.query<R>(statement);
    await inOrder([begun, answer, client.query('COMMIT')]);
    return await answer;
  } catch (err) {
    broken = await rollback(client);
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * The statements of one transaction, pipelined. A write that can only fail by raising is sent
 * (`send`) and nobody waits for it; a statement whose answer decides what comes next is asked
 * (`ask`). PostgreSQL answers in order, so once an asked statement is answered every earlier one
 * is too: an earlier failure is thrown in its place (it is the cause), and an asked statement that
 * succeeded behind a failed BEGIN is refused all the same.
 *
 * BEGIN goes out with the first statement, so nothing that writes may be sent before a first
 * `ask` was answered (`send` refuses): had BEGIN failed, the write would commit on its own.
 */
export class Pipelined {
  private readonly answers: Promise<{ error: unknown } | null>[] = [];
  private begun = false;

  constructor(readonly client: pg.PoolClient) {
    this.track(client.query(BEGIN));
  }

  send(statement: Promise<unknown>): void {
    if (!this.begun) throw new Error('a write was sent before the transaction was known to have begun (ask something first)');
    this.track(statement);
  }

  async ask<T>(statement: Promise<T>): Promise<T> {
    let answer: T;
    try {
      answer = await statement;
    } catch (err) {
      await this.sentSoFar();
      throw err;
    }
    await this.sentSoFar();
    this.begun = true;
    return answer;
  }

  /** Wait for every statement sent so far; throws the first failure among them. */
  async sentSoFar(): Promise<void> {
    for (const answer of await Promise.all(this.answers)) if (answer) throw answer.error;
  }

  /** A handler from the start: a failure is kept for `sentSoFar`, never left unhandled meanwhile. */
  private track(statement: Promise<unknown>): void {
    this.answers.push(statement.then(
      () => null,
      (error: unknown) => ({ error }),
    ));
  }
}

/**
 * Run `work` in one pipelined transaction (see Pipelined): BEGIN goes out with its first
 * statement and COMMIT right behind its last, so a change that asks once and then only writes
 * takes two round trips. ROLLBACK on any error; a client whose ROLLBACK failed is destroyed.
 */
export async function inPipelinedTransaction<T>(pool: pg.Pool, work: (tx: Pipelined) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const tx = new Pipelined(client);
    const result = await work(tx);
    const committed = client.query('COMMIT');
    await inOrder([tx.sentSoFar(), committed]);
    return result;
  } catch (err) {
    // Queued behind whatever is still in flight, so once it answers the client is idle again.
    broken = await rollback(client);
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
