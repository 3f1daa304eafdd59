import type { Attempt, CallEvent, CallRecord, Callback, DialMode, EventType, Form, Mechanism, Outcome, Status } from '../../domain/types';

/**
 * Columns as PostgreSQL returns them through this store's pool: BIGINT already a number (the
 * pool's type parser), BOOLEAN a boolean, JSON an object. The objects the domain sees are built
 * only here.
 */
export interface CallbackRow {
  id: string;
  pbx: string;
  number: string;
  queue: string;
  status: string;
  mechanism: string;
  transition: string;
  due_at: number | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  attempts: number;
  origin_call_id: string | null;
  shifted: boolean;
  form: Form;
  note: string | null;
  queue_position: number | null;
  claim_owner: string | null;
  claim_until: number | null;
  version: number;
}

export interface AttemptRow {
  id: string;
  callback_id: string;
  pbx: string;
  seq: number;
  mode: string;
  started_at: number;
  ended_at: number | null;
  outcome: string | null;
  placeholder_ref: string | null;
  customer_ref: string | null;
  detail: string | null;
  owner: string | null;
  lease_until: number | null;
  counted: boolean;
}

export interface EventRow {
  id: number;
  type: string;
  at: number;
  callback_id: string | null;
  call_id: string | null;
  data: Record<string, unknown>;
}

export interface CallRow {
  id: string;
  pbx: string;
  number: string | null;
  queue: string | null;
  entered_at: number;
  ended_at: number | null;
  result: string;
  position: number | null;
  wait_seconds: number | null;
  form: Form;
  lost_decision: string | null;
  /** Absent from rows written for upserts: the reason is only ever set by decideLostCall. */
  lost_reason?: string | null;
}

/** Every column of a callback, in the order `callbackValues` gives them ($1 … $20). */
export const CALLBACK_COLUMNS = [
  'id',
  'pbx',
  'number',
  'queue',
  'status',
  'mechanism',
  'transition',
  'due_at',
  'expires_at',
  'created_at',
  'updated_at',
  'attempts',
  'origin_call_id',
  'shifted',
  'form',
  'note',
  'queue_position',
  'claim_owner',
  'claim_until',
  'version',
] as const;

/** Parameters for writing a whole callback row; form goes as JSON text so an object is never taken for an array literal. */
export function callbackValues(callback: Callback): unknown[] {
  return [
    callback.id,
    callback.pbx,
    callback.number,
    callback.queue,
    callback.status,
    callback.mechanism,
    callback.transition,
    callback.dueAt,
    callback.expiresAt,
    callback.createdAt,
    callback.updatedAt,
    callback.attempts,
    callback.originCallId,
    callback.shifted,
    JSON.stringify(callback.form ?? {}),
    callback.note,
    callback.queuePosition,
    callback.claimOwner,
    callback.claimUntil,
    callback.version,
  ];
}

export function toCallback(row: CallbackRow): Callback {
  return {
    id: row.id,
    number: row.number,
    queue: row.queue,
    status: row.status as Status,
    mechanism: row.mechanism as Mechanism,
    transition: row.transition,
    dueAt: row.due_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    attempts: row.attempts,
    originCallId: row.origin_call_id,
    shifted: row.shifted,
    form: row.form,
    note: row.note,
    queuePosition: row.queue_position,
    claimOwner: row.claim_owner,
    claimUntil: row.claim_until,
    version: row.version,
    pbx: row.pbx,
  };
}

export function toAttempt(row: AttemptRow): Attempt {
  return {
    id: row.id,
    callbackId: row.callback_id,
    seq: row.seq,
    mode: row.mode as DialMode,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome as Outcome | null,
    placeholderRef: row.placeholder_ref,
    customerRef: row.customer_ref,
    detail: row.detail,
    owner: row.owner,
    leaseUntil: row.lease_until,
    counted: row.counted,
  };
}

export function toEvent(row: EventRow): CallEvent {
  return {
    id: row.id,
    at: row.at,
    type: row.type as EventType,
    callbackId: row.callback_id,
    callId: row.call_id,
    data: row.data,
  };
}

export function toCall(row: CallRow): CallRecord {
  return {
    id: row.id,
    number: row.number,
    queue: row.queue,
    enteredAt: row.entered_at,
    endedAt: row.ended_at,
    result: row.result as CallRecord['result'],
    position: row.position,
    waitSeconds: row.wait_seconds,
    form: row.form,
    lostDecision: row.lost_decision ?? null,
    lostReason: (row.lost_reason ?? null) as CallRecord['lostReason'],
    pbx: row.pbx,
  };
}
