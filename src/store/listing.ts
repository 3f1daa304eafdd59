import type { Statement } from 'better-sqlite3';
import { InvalidRequestError } from '../domain/errors';
import type { ListFilter, Page } from '../domain/store';
import type { Callback } from '../domain/types';
import type { Db } from './database';
import { type CallbackRow, toCallback } from './rows';

interface Position {
  createdAt: number;
  id: string;
}

/** The cursor is the last row's (createdAt, id): stable under inserts, unlike an offset. */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && typeof value[1] === 'string') {
      return { createdAt: value[0] as number, id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError('invalid cursor');
}

type Params = { status?: string; number?: string; queue?: string; created_at?: number; id?: string; limit: number };

/** Newest first. One statement per combination of filters, so each can use its own index. */
export class Listing {
  private readonly statements = new Map<string, Statement<Params, CallbackRow>>();

  constructor(private readonly db: Db) {}

  list(filter: ListFilter): Page<Callback> {
    const limit = Math.max(1, Math.trunc(filter.limit));
    const params: Params = { limit: limit + 1 };
    if (filter.status !== undefined) params.status = filter.status;
    if (filter.number !== undefined) params.number = filter.number;
    if (filter.queue !== undefined) params.queue = filter.queue;
    if (filter.cursor !== undefined) {
      const position = decodeCursor(filter.cursor);
      params.created_at = position.createdAt;
      params.id = position.id;
    }
    const rows = this.statement(params).all(params);
    const items = rows.slice(0, limit).map(toCallback);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor(last) : null;
    return { items, nextCursor };
  }

  private statement(params: Params): Statement<Params, CallbackRow> {
    const conditions: string[] = [];
    if (params.status !== undefined) conditions.push('status = @status');
    if (params.number !== undefined) conditions.push('number = @number');
    if (params.queue !== undefined) conditions.push('queue = @queue');
    if (params.created_at !== undefined) conditions.push('(created_at, id) < (@created_at, @id)');
    const key = conditions.join(' AND ');
    let statement = this.statements.get(key);
    if (!statement) {
      const where = conditions.length > 0 ? `WHERE ${key}` : '';
      statement = this.db.prepare(`SELECT * FROM callbacks ${where} ORDER BY created_at DESC, id DESC LIMIT @limit`);
      this.statements.set(key, statement);
    }
    return statement;
  }
}
