import type { CreateResult, KeptRequest, RequestKey } from '../../domain/store';
import type { Callback } from '../../domain/types';
import type { Queryable } from './connection';

interface RequestKeyRow {
  key: string;
  fingerprint: string;
  merged: boolean;
  callback: Callback;
  memo: Record<string, unknown>;
  created_at: number;
}

function toKept(row: RequestKeyRow): KeptRequest {
  return { key: row.key, fingerprint: row.fingerprint, callback: row.callback, merged: row.merged, memo: row.memo, createdAt: row.created_at };
}

/** Namespaces the advisory locks of request keys among the database's other advisory locks. */
const REQUEST_KEY_LOCKS = 'callbackd.request_keys';

/**
 * Two daemons given one key at once queue here until the first commits, so the second finds the
 * key kept and repeats its result instead of creating a second callback. Taken first in the
 * creation's transaction, before any row lock (and the events' order lock comes last): no cycle.
 * Keys that hash alike only wait for each other.
 */
export async function lockRequestKey(client: Queryable, key: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [REQUEST_KEY_LOCKS, key]);
}

export async function findRequestKey(db: Queryable, key: string): Promise<KeptRequest | null> {
  const row = (await db.query<RequestKeyRow>('SELECT key, fingerprint, merged, callback, memo, created_at FROM request_keys WHERE key = $1', [key])).rows[0];
  return row ? toKept(row) : null;
}

export async function keepRequestKey(client: Queryable, asked: RequestKey, result: CreateResult, at: number): Promise<void> {
  await client.query(
    `INSERT INTO request_keys (key, fingerprint, callback_id, merged, callback, memo, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)`,
    [asked.key, asked.fingerprint, result.callback.id, result.merged, JSON.stringify(result.callback), JSON.stringify(asked.memo ?? {}), at],
  );
}

export async function forgetRequestKeys(db: Queryable, before: number): Promise<number> {
  return (await db.query('DELETE FROM request_keys WHERE created_at < $1', [before])).rowCount ?? 0;
}
