import { randomUUID } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { CallbackChange, NewCallback } from '../../../src/domain/store';
import type { Callback } from '../../../src/domain/types';
import { SqliteStore } from '../../../src/store/sqlite-store';

export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

/** A fresh directory per test; removed by `cleanup`. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-store-'));
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function openStore(dir: string, name = 'callbackd.db'): SqliteStore {
  return SqliteStore.open(path.join(dir, name));
}

let serial = 0;

/** A new callback due now, unique number unless given. */
export function newCallback(overrides: Partial<NewCallback> = {}): NewCallback {
  serial += 1;
  return {
    id: randomUUID(),
    number: `+3315550${String(serial).padStart(5, '0')}`,
    queue: 'support',
    mechanism: 'LostShift',
    transition: 'support-default',
    dueAt: T0,
    expiresAt: null,
    createdAt: T0,
    originCallId: null,
    shifted: false,
    form: {},
    note: null,
    queuePosition: null,
    ...overrides,
  };
}

/** The merge most callers want: keep the pending one, record the request. */
export function mergeKeeping(at: number): (existing: Callback) => CallbackChange {
  return (existing) => ({
    callbackId: existing.id,
    at,
    from: existing.status,
    events: [{ type: 'Merged', data: { note: 'second request' } }],
  });
}

export function create(store: SqliteStore, overrides: Partial<NewCallback> = {}): Callback {
  return store.createOrMerge(newCallback(overrides), [{ type: 'Created' }], mergeKeeping(T0)).callback;
}
