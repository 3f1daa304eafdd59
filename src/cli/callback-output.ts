import type { Attempt, CallEvent, Callback } from '../domain/types';
import { eventJson } from '../service/json';
import { table, when } from './table';

/** What the callback commands print: the JSON shapes (stable keys) and the text for people. */

/*
 * JSON shapes (keys stable; see src/service/json.ts for the callback, attempt and event):
 *   list:     { items: callback[], nextCursor: string | null }
 *   show:     callback + attemptHistory: attempt[] + events: event[]
 *   create:   callback + merged: boolean;   cancel, reschedule, call-now: callback
 *   error (stderr): { error: { code, message } }
 */
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
