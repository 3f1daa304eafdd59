import type { Attempt, CallEvent, CallRecord, Callback, DialMode, EventType, Form, Mechanism, Outcome, Status } from '../domain/types';

/** Columns as SQLite returns them; the objects the domain sees are built only here. */
export interface CallbackRow {
  id: string;
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
  shifted: number;
  form: string;
  note: string | null;
  queue_position: number | null;
  claim_owner: string | null;
  claim_until: number | null;
  version: number;
  pbx: string;
}

export interface AttemptRow {
  id: string;
  callback_id: string;
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
  counted: number;
  pbx: string;
}

export interface EventRow {
  id: number;
  type: string;
  at: number;
  callback_id: string | null;
  call_id: string | null;
  data: string;
}

export interface CallRow {
  id: string;
  number: string | null;
  queue: string | null;
  entered_at: number;
  ended_at: number | null;
  result: string;
  position: number | null;
  wait_seconds: number | null;
  form: string;
  lost_decision: string | null;
  /** Absent from rows written for upserts: the reason is only ever set by decideLostCall. */
  lost_reason?: string | null;
  pbx: string;
}

export const CALLBACK_COLUMNS =
  'id, number, queue, status, mechanism, transition, due_at, expires_at, created_at, updated_at, attempts, ' +
  'origin_call_id, shifted, form, note, queue_position, claim_owner, claim_until, version, pbx';

export const CALLBACK_VALUES = CALLBACK_COLUMNS.split(', ')
  .map((column) => `@${column}`)
  .join(', ');

function parseObject<T>(json: string): T {
  return JSON.parse(json) as T;
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
    shifted: row.shifted === 1,
    form: parseObject<Form>(row.form),
    note: row.note,
    queuePosition: row.queue_position,
    claimOwner: row.claim_owner,
    claimUntil: row.claim_until,
    version: row.version,
    pbx: row.pbx,
  };
}

/** Named parameters for writing a whole callback row (see CALLBACK_VALUES). */
export function callbackParams(callback: Callback): CallbackRow {
  return {
    id: callback.id,
    number: callback.number,
    queue: callback.queue,
    status: callback.status,
    mechanism: callback.mechanism,
    transition: callback.transition,
    due_at: callback.dueAt,
    expires_at: callback.expiresAt,
    created_at: callback.createdAt,
    updated_at: callback.updatedAt,
    attempts: callback.attempts,
    origin_call_id: callback.originCallId,
    shifted: callback.shifted ? 1 : 0,
    form: JSON.stringify(callback.form ?? {}),
    note: callback.note,
    queue_position: callback.queuePosition,
    claim_owner: callback.claimOwner,
    claim_until: callback.claimUntil,
    version: callback.version,
    pbx: callback.pbx,
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
    counted: row.counted === 1,
  };
}

export function toEvent(row: EventRow): CallEvent {
  return {
    id: row.id,
    at: row.at,
    type: row.type as EventType,
    callbackId: row.callback_id,
    callId: row.call_id,
    data: parseObject<Record<string, unknown>>(row.data),
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
    form: parseObject<Form>(row.form),
    lostDecision: row.lost_decision ?? null,
    lostReason: (row.lost_reason ?? null) as CallRecord['lostReason'],
    pbx: row.pbx,
  };
}

export function callParams(call: CallRecord): CallRow {
  return {
    id: call.id,
    number: call.number,
    queue: call.queue,
    entered_at: call.enteredAt,
    ended_at: call.endedAt,
    result: call.result,
    position: call.position,
    wait_seconds: call.waitSeconds,
    form: JSON.stringify(call.form ?? {}),
    lost_decision: call.lostDecision ?? null,
    lost_reason: call.lostReason ?? null,
    pbx: call.pbx,
  };
}
