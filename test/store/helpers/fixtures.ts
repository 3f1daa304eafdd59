import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallbackChange, CallbackStore, ClaimRequest, NewCallback } from '../../../src/domain/store';
import type { Attempt, CallRecord, Callback } from '../../../src/domain/types';

export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
export const LEASE = 30_000;

/** A fresh directory per test; removed by `cleanup`. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-store-'));
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

let serial = 0;

/** A new callback due at T0 on the PBX 'default', unique number unless given. */
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
    pbx: 'default',
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

export function refuseMerge(): never {
  throw new Error('numbers are unique here');
}

export async function create(store: CallbackStore, overrides: Partial<NewCallback> = {}): Promise<Callback> {
  return (await store.createOrMerge(newCallback(overrides), [{ type: 'Created' }], mergeKeeping(T0))).callback;
}

/** A claim with room to spare unless limits are given. */
export function claimRequest(owner: string, now: number, fields: Partial<ClaimRequest> = {}): ClaimRequest {
  return { owner, pbx: 'default', now, leaseMs: LEASE, maxConcurrent: 1000, queueLimits: {}, ...fields };
}

export async function claim(store: CallbackStore, owner: string, now: number, fields: Partial<ClaimRequest> = {}): Promise<Callback | null> {
  return (await store.claimNextDue(claimRequest(owner, now, fields))).callback;
}

export type NewAttempt = Omit<Attempt, 'endedAt' | 'outcome' | 'detail'>;

export function newAttempt(callback: Callback, fields: Partial<NewAttempt> = {}): NewAttempt {
  return {
    id: randomUUID(),
    callbackId: callback.id,
    seq: callback.attempts + 1,
    mode: 'customer-first',
    startedAt: T0,
    placeholderRef: null,
    customerRef: null,
    owner: 'daemon-a',
    leaseUntil: T0 + LEASE,
    counted: true,
    ...fields,
  };
}

/** Dial a Scheduled callback: it becomes Dialing with an open attempt (the dialer's commit). */
export async function dial(store: CallbackStore, callback: Callback, fields: Partial<NewAttempt> = {}, at = T0): Promise<NewAttempt> {
  const attempt = newAttempt(callback, { startedAt: at, ...fields });
  const change: CallbackChange = {
    callbackId: callback.id,
    at,
    from: 'Scheduled',
    event: 'dial',
    set: { attempts: attempt.seq, dueAt: null, claimOwner: null, claimUntil: null },
    startAttempt: attempt,
    events: [{ type: 'AttemptStarted', data: { attemptId: attempt.id } }],
  };
  await store.commit(change);
  return attempt;
}

/** A caller holding a place in a queue (delay 0): Scheduled, not due, with an open attempt that takes no slot. */
export async function holdPlace(store: CallbackStore, overrides: Partial<NewCallback> = {}, owner = 'daemon-a'): Promise<{ callback: Callback; attempt: NewAttempt }> {
  const callback = await create(store, { dueAt: null, queuePosition: 3, ...overrides });
  const attempt = newAttempt(callback, { mode: 'agent-first', placeholderRef: `ph-${callback.id}`, counted: false, owner });
  const held = await store.commit({ callbackId: callback.id, at: T0, from: 'Scheduled', set: { attempts: 1 }, startAttempt: attempt });
  return { callback: held, attempt };
}

export function waitingCall(fields: Partial<CallRecord> = {}): CallRecord {
  return {
    id: randomUUID(),
    number: '+33155500077',
    queue: 'support',
    enteredAt: T0,
    endedAt: null,
    result: 'waiting',
    position: 1,
    waitSeconds: null,
    form: {},
    lostDecision: null,
    lostReason: null,
    pbx: 'default',
    ...fields,
  };
}
