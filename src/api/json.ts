import type { CallbackDetail } from '../service/callback-detail';
import type { CallHistory } from '../service/call-history';
import type { CreatedCallback } from '../service/create-callback';
import type { CallGridRow, CallbackGridRow } from '../service/lists';
import { attemptViewJson, callJson, callbackJson, eventLineJson, isoTime } from '../service/json';

/** The API's composite answers, built from the shapes every front end shares (src/service/json.ts). */

export function detailJson(d: CallbackDetail): Record<string, unknown> {
  return { callback: callbackJson(d.callback), attempts: d.attempts.map(attemptViewJson), events: d.events.map(eventLineJson), form: d.form };
}

export function callbackRowJson(row: CallbackGridRow): Record<string, unknown> {
  return { ...callbackJson(row.callback), lastOutcome: row.lastOutcome };
}

export function createdJson(c: CreatedCallback): Record<string, unknown> {
  return { callback: callbackJson(c.callback), merged: c.merged, movedFrom: isoTime(c.movedFrom) };
}

export function callRowJson(row: CallGridRow): Record<string, unknown> {
  return { call: callJson(row.call), waitedSeconds: row.waitedSeconds, callbacks: row.callbacks.map(callbackJson), whyNot: row.whyNot };
}

export function historyJson(h: CallHistory): Record<string, unknown> {
  return {
    callId: h.callId,
    call: h.call ? callJson(h.call) : null,
    attempt: h.attempt ? attemptViewJson(h.attempt) : null,
    callbacks: h.callbacks.map(detailJson),
    events: h.events.map(eventLineJson),
  };
}
