import type { Attempt, CallEvent, CallRecord, Callback } from '../domain/types';
import type { AttemptView } from './callback-detail';

/*
 * The JSON shapes every front end prints or answers (the CLI's --json, the HTTP API). Keys are
 * stable; every time is ISO 8601 with the local offset, or null:
 *   callback: id, status, number, queue, mechanism, transition, dueAt, expiresAt, createdAt,
 *             updatedAt, attempts (how many were made: a number), queuePosition, originCallId,
 *             shifted, note, form, claimOwner, claimUntil, version
 *   attempt:  id, seq, mode, startedAt, endedAt, outcome, detail, placeholderRef, customerRef
 *   event:    id, at, type, callId, data (a Rescheduled event's data.dueAt is ISO too)
 *   call:     id, number, queue, result, enteredAt, endedAt, position, waitSeconds, form, lostDecision, lostReason, pbx
 */

/**
 * ISO 8601 in the local time zone with its offset, to the second (2026-11-24T10:16:03+01:00):
 * the one time format of the command line and the API. Null for none.
 */
export function isoTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return null;
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const tz = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${tz}`;
}

export function callbackJson(c: Callback): Record<string, unknown> {
  return {
    id: c.id,
    status: c.status,
    number: c.number,
    queue: c.queue,
    mechanism: c.mechanism,
    transition: c.transition,
    dueAt: isoTime(c.dueAt),
    expiresAt: isoTime(c.expiresAt),
    createdAt: isoTime(c.createdAt),
    updatedAt: isoTime(c.updatedAt),
    attempts: c.attempts,
    queuePosition: c.queuePosition,
    originCallId: c.originCallId,
    shifted: c.shifted,
    note: c.note,
    form: c.form,
    claimOwner: c.claimOwner,
    claimUntil: isoTime(c.claimUntil),
    version: c.version,
  };
}

export function attemptJson(a: Attempt): Record<string, unknown> {
  return {
    id: a.id,
    seq: a.seq,
    mode: a.mode,
    startedAt: isoTime(a.startedAt),
    endedAt: isoTime(a.endedAt),
    outcome: a.outcome,
    detail: a.detail,
    placeholderRef: a.placeholderRef,
    customerRef: a.customerRef,
  };
}

/** An attempt with the ids of the outbound calls it made (the relation of calls, outward). */
export function attemptViewJson(a: AttemptView): Record<string, unknown> {
  return { ...attemptJson(a), outboundCallIds: a.outboundCallIds };
}

export function eventJson(e: CallEvent): Record<string, unknown> {
  const data = typeof e.data.dueAt === 'number' ? { ...e.data, dueAt: isoTime(e.data.dueAt) } : e.data;
  return { id: e.id, at: isoTime(e.at), type: e.type, callId: e.callId, data };
}

/** A line of the event log on its own (the API's events and stream): the event and the callback it is about. */
export function eventLineJson(e: CallEvent): Record<string, unknown> {
  const { id, at, type, callId, data } = eventJson(e);
  return { id, at, type, callbackId: e.callbackId, callId, data };
}

export function callJson(c: CallRecord): Record<string, unknown> {
  return {
    id: c.id,
    number: c.number,
    queue: c.queue,
    result: c.result,
    enteredAt: isoTime(c.enteredAt),
    endedAt: isoTime(c.endedAt),
    position: c.position,
    waitSeconds: c.waitSeconds,
    form: c.form,
    lostDecision: c.lostDecision ?? null,
    lostReason: c.lostReason ?? null,
    pbx: c.pbx,
  };
}
