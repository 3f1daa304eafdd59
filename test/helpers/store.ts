import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { NewCallback } from '../../src/domain/store';
import { randomUUID } from 'node:crypto';

export function openTestStore(dir: string, name = 'callbackd.db'): SqliteStore {
  return SqliteStore.open(path.join(dir, name));
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
    pbx: 'default',
    ...fields,
  };
}
