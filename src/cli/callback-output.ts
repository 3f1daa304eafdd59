import type { Attempt, CallEvent, Callback } from '../domain/types';
import { isoTime, table, when } from './table';

/** What the callback commands print: the JSON shapes (stable keys) and the text for people. */

/*
 * JSON shapes (keys stable; every time is ISO 8601 with the local offset, or null):
 *   callback: id, status, number, queue, mechanism, transition, dueAt, expiresAt, createdAt,
 *             updatedAt, attempts (how many were made: a number), queuePosition, originCallId,
 *             shifted, note, form, claimOwner, claimUntil, version
 *   list:     { items: callback[], nextCursor: string | null }
 *   show:     callback + attemptHistory: attempt[] + events: event[]
 *   create:   callback + merged: boolean;   cancel, reschedule, call-now: callback
 *   attempt:  id, seq, mode, startedAt, endedAt, outcome, detail, placeholderRef, customerRef
 *   event:    id, at, type, callId, data (a Rescheduled event's data.dueAt is ISO too)
 *   error (stderr): { error: { code, message } }
 */
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

export function eventJson(e: CallEvent): Record<string, unknown> {
  const data = typeof e.data.dueAt === 'number' ? { ...e.data, dueAt: isoTime(e.data.dueAt) } : e.data;
  return { id: e.id, at: isoTime(e.at), type: e.type, callId: e.callId, data };
}

export function callbackRows(items: readonly Callback[]): string[][] {
  return items.map((c) => [c.id, c.status, c.number, c.queue, c.dueAt === null && c.status === 'Scheduled' ? 'in queue' : when(c.dueAt), String(c.attempts), c.mechanism, when(c.createdAt)]);
}

export function describe(c: Callback, attempts: readonly Attempt[], events: readonly CallEvent[]): string {
  const fields: [string, string][] = [
    ['id', c.id],
    ['status', c.status],
    ['number', c.number],
    ['queue', c.queue],
    ['due', c.dueAt === null && c.status === 'Scheduled' ? `holding place ${c.queuePosition ?? 1} in the queue` : when(c.dueAt)],
    ['expires', when(c.expiresAt)],
    ['mechanism', c.mechanism],
    ['transition', c.transition],
    ['attempts', String(c.attempts)],
    ['origin call', c.originCallId ?? '-'],
    ['shifted', c.shifted ? 'yes' : 'no'],
    ['note', c.note ?? '-'],
    ['form', Object.keys(c.form).length ? Object.entries(c.form).map(([k, v]) => `${k}=${v}`).join(', ') : '-'],
    ['created', when(c.createdAt)],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  return [
    fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'),
    '',
    'Attempts',
    attempts.length ? table(['#', 'mode', 'started', 'ended', 'outcome', 'detail'], attempts.map((a) => [String(a.seq), a.mode, when(a.startedAt), when(a.endedAt), a.outcome ?? (a.endedAt ? '-' : 'under way'), a.detail ?? ''])) : '(none)',
    '',
    'Events',
    table(['#', 'at', 'event', 'call', 'data'], events.map((e) => [String(e.id), when(e.at), e.type, e.callId ?? '', JSON.stringify(eventJson(e).data)])),
  ].join('\n');
}
