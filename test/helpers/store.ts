import path from 'node:path';
import { migrate, openDatabase } from '../../src/store/database';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { NewCallback } from '../../src/domain/store';
import { randomUUID } from 'node:crypto';

export function openTestStore(dir: string, name = 'callbackd.db'): SqliteStore {
  const db = openDatabase(path.join(dir, name));
  migrate(db);
  return new SqliteStore(db);
}

export function newCallback(fields: Partial<NewCallback> = {}): NewCallback {
  return {
    id: randomUUID(),
    number: `+42060${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
    queue: 'support',
    mechanism: 'manual',
    transition: 'support',
    dueAt: 0,
    expiresAt: null,
    createdAt: 0,
    originCallId: null,
    shifted: false,
    form: {},
    note: null,
    queuePosition: null,
    ...fields,
  };
}
