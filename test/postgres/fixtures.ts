import { randomUUID } from 'node:crypto';
import type { CallbackChange, NewCallback } from '../../src/domain/store';
import type { Attempt, Callback } from '../../src/domain/types';
import { PostgresStore } from '../../src/store/postgres/postgres-store';
import { freshPostgresDatabase } from '../helpers/postgres';

export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

let serial = 0;

export function newCallback(fields: Partial<NewCallback> = {}): NewCallback {
  serial += 1;
  return {
    id: randomUUID(),
    number: `+4206010${String(serial).padStart(5, '0')}`,
    queue: 'support',
    mechanism: 'manual',
    transition: 'support',
    dueAt: T0,
    expiresAt: null,
    createdAt: T0,
    originCallId: null,
    shifted: false,
    form: {},
    note: null,
    queuePosition: null,
    pbx: 'pbx-a',
    ...fields,
  };
}

export function mergeKeeping(at: number): (existing: Callback) => CallbackChange {
  return (existing) => ({ callbackId: existing.id, at, from: existing.status, event: 'merge', events: [{ type: 'Merged' }] });
}

export function newAttempt(callback: Callback, fields: Partial<Omit<Attempt, 'endedAt' | 'outcome' | 'detail'>> = {}) {
  return {
    id: randomUUID(),
    callbackId: callback.id,
    seq: callback.attempts + 1,
    mode: 'customer-first' as const,
    startedAt: T0,
    placeholderRef: null,
    customerRef: null,
    owner: 'daemon-a',
    leaseUntil: T0 + 30_000,
    counted: true,
    ...fields,
  };
}

/**
 * A fresh database and `n` stores on it, each with its own pool: as many daemons would have.
 * `close` ends them all and drops the database.
 */
export async function storesOnOneDatabase(n: number): Promise<{ url: string; stores: PostgresStore[]; close(): Promise<void> }> {
  const database = await freshPostgresDatabase();
  const stores: PostgresStore[] = [];
  for (let i = 0; i < n; i++) stores.push(await PostgresStore.open(database.url));
  return {
    url: database.url,
    stores,
    async close() {
      await Promise.all(stores.map((store) => store.close()));
      await database.drop();
    },
  };
}

/** Resolves once `condition` holds, checked after every `wake` (and at once); rejects naming `what` after `timeoutMs`. */
export function whenTrue(what: string, condition: () => boolean, wake: (check: () => void) => void, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const check = () => {
      if (!condition()) return;
      clearTimeout(timer);
      resolve();
    };
    wake(check);
    check();
  });
}

/** Polls an asynchronous condition (state in another connection or process). */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
