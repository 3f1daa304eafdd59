import type { Statement } from 'better-sqlite3';
import { IdempotencyMismatchError } from '../domain/errors';
import type { CreateResult, KeptRequest, RequestKey } from '../domain/store';
import type { Callback } from '../domain/types';
import type { Db } from './database';

interface RequestKeyRow {
  key: string;
  fingerprint: string;
  callback_id: string;
  merged: number;
  callback: string;
  memo: string;
  created_at: number;
}

function toKept(row: RequestKeyRow): KeptRequest {
  return {
    key: row.key,
    fingerprint: row.fingerprint,
    callback: JSON.parse(row.callback) as Callback,
    merged: row.merged === 1,
    memo: JSON.parse(row.memo) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

/** The first request's result for a kept key, or the refusal of a key reused for another request. */
export function repeatOf(kept: KeptRequest, asked: RequestKey): CreateResult {
  if (kept.fingerprint !== asked.fingerprint) throw new IdempotencyMismatchError();
  return { callback: kept.callback, merged: kept.merged, repeated: kept };
}

/**
 * Idempotency keys of creating requests. `find` and `keep` run inside the creation's IMMEDIATE
 * transaction (Commits.createOrMerge), so a key is looked for and kept under the write lock:
 * two requests with one key cannot both miss it.
 */
export class RequestKeys {
  private readonly byKey: Statement<[string], RequestKeyRow>;
  private readonly insert: Statement<RequestKeyRow>;
  private readonly forget: Statement<[number]>;

  constructor(db: Db) {
    this.byKey = db.prepare('SELECT * FROM request_keys WHERE key = ?');
    this.insert = db.prepare(`
      INSERT INTO request_keys (key, fingerprint, callback_id, merged, callback, memo, created_at)
      VALUES (@key, @fingerprint, @callback_id, @merged, @callback, @memo, @created_at)`);
    this.forget = db.prepare('DELETE FROM request_keys WHERE created_at < ?');
  }

  forgetBefore(before: number): number {
    return this.forget.run(before).changes;
  }

  find(key: string): KeptRequest | null {
    const row = this.byKey.get(key);
    return row ? toKept(row) : null;
  }

  keep(asked: RequestKey, result: CreateResult, at: number): void {
    this.insert.run({
      key: asked.key,
      fingerprint: asked.fingerprint,
      callback_id: result.callback.id,
      merged: result.merged ? 1 : 0,
      callback: JSON.stringify(result.callback),
      memo: JSON.stringify(asked.memo ?? {}),
      created_at: at,
    });
  }
}
