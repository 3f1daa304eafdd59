// A history as a timeline: what happened to a call and its callbacks, in order, in words.

import { h } from './dom.js';
import { OUTCOME_LABEL, dayLabel, duration, fullTime, shortId, shortTime, timeWithSeconds } from './format.js';

/** Who writes "by" for what the daemon decided itself. */
const AUTOMATIC = new Set([undefined, 'pbx', 'ivr', 'daemon']);

const STATUS_TONE = { Completed: 'good', Failed: 'bad', Cancelled: 'grey', Neglected: 'violet', Expired: 'brown', Dialing: 'amber', Scheduled: 'blue' };

/** What a caller who called again chose when they heard their pending callback offered. */
const CALLED_AGAIN = { keep: 'kept the callback (1)', cancel: 'cancelled the callback (2)', stay: 'stayed in the queue (3)', timeout: 'pressed nothing: stayed in the queue', hangup: 'hung up during the offer' };

/** What one event says: {title, detail, tone}. `attempts` (by id) adds the outbound call ids. */
export function describe(event, attempts = new Map()) {
  const d = event.data ?? {};
  const by = d.by ? ` by ${d.by}` : '';
  switch (event.type) {
    case 'CallBack':
      return { title: 'Caller chose a callback', detail: `in the IVR of ${d.sourceQueue ?? 'the queue'}${d.shifted ? ' · shifted' : ''}`, tone: 'blue' };
    case 'LostCall':
      return { title: 'LostCall recorded', detail: `${d.via === 'grid' ? `from the grid of lost calls${by}` : AUTOMATIC.has(d.by) ? 'automatically, for the abandoned call' : by.trim()} · shifted: Neglected applies`, tone: 'blue' };
    case 'Created':
      return { title: `Callback created (${d.mechanism ?? 'manual'})`, detail: [d.via ? `from the ${d.via}` : null, d.by ? `by ${d.by}` : null].filter(Boolean).join(' '), tone: 'blue' };
    case 'Merged':
      return { title: 'Request merged into this pending callback', detail: `${d.mechanism ?? ''}${by}`, tone: 'blue' };
    case 'StatusChanged':
      return { title: `${d.from} → ${d.to}`, detail: d.event ? `on ${d.event}` : '', tone: STATUS_TONE[d.to] ?? 'grey' };
    case 'AttemptStarted': {
      const a = attempts.get(d.attemptId);
      const ids = a ? outboundIds(a) : [];
      return { title: `Attempt ${d.seq ?? a?.seq ?? ''} started`, detail: d.mode ?? a?.mode ?? '', ids, tone: 'amber' };
    }
    case 'AttemptEnded': {
      const outcome = d.outcome ?? attempts.get(d.attemptId)?.outcome;
      return { title: `Attempt ${d.seq ?? ''} ended: ${OUTCOME_LABEL[outcome] ?? outcome ?? 'no outcome'}`, detail: attempts.get(d.attemptId)?.detail ?? '', tone: outcome === 'answered' ? 'good' : 'bad' };
    }
    case 'Neglected':
      return { title: 'Neglected', detail: `the caller got through and was served on call ${d.servedCallId ?? event.callId ?? '?'}`, tone: 'violet' };
    case 'Rescheduled':
      return d.callNow
        ? { title: 'Call now', detail: [by.trim(), d.reason].filter(Boolean).join(': '), tone: 'blue' }
        : { title: `Rescheduled to ${shortTime(d.dueAt)}`, detail: [by.trim(), d.reason].filter(Boolean).join(': '), tone: 'blue' };
    case 'NumberChanged':
      return { title: 'Number changed', detail: `${d.from} → ${d.to}`, tone: 'grey' };
    case 'NumberConfirmed':
      return { title: 'Number confirmed', detail: d.number ?? '', tone: 'grey' };
    case 'CallerCalledAgain':
      return { title: 'Caller called again', detail: `${CALLED_AGAIN[d.choice] ?? d.choice}${d.cancelled === false ? ' (too late: already being dialled or settled)' : ''} · call ${d.callId ?? event.callId ?? '?'}`, tone: d.choice === 'cancel' ? 'grey' : 'blue' };
    case 'Note':
      if (d.cancelledBy) return { title: `Cancelled by ${d.cancelledBy}`, detail: d.reason ?? '', tone: 'grey' };
      if (d.withdrawn) return { title: 'Attempt withdrawn', detail: String(d.withdrawn), tone: 'grey' };
      if (d.requeuedAt !== undefined) return { title: 'Placeholder put back in the queue', detail: `at position ${d.requeuedAt}`, tone: 'grey' };
      return { title: 'Note', detail: d.stage ?? d.reason ?? JSON.stringify(d), tone: 'grey' };
    default:
      return { title: event.type, detail: JSON.stringify(d), tone: 'grey' };
  }
}

/** entries: [{at, title, detail, tone, tag}] → an ordered list. */
export function timeline(entries, now = Date.now()) {
  if (!entries.length) return h('p', { class: 'faint' }, 'Nothing recorded yet.');
  return h('ol', { class: 'timeline' }, entries.map((e) =>
    h('li', { class: `t-${e.tone}`, 'data-type': e.type ?? null },
      h('time', { datetime: e.at, title: fullTime(e.at) }, timeWithSeconds(e.at), h('span', { class: 'day' }, dayLabel(e.at, now))),
      h('div', { class: 'what' },
        h('div', { class: 'title' }, e.title, e.tag ? h('span', { class: 'tag', title: e.tagTitle ?? '' }, e.tag) : null),
        e.detail ? h('div', { class: 'detail' }, e.detail) : null,
        e.ids?.length ? h('div', { class: 'ids' }, h('span', { class: 'faint' }, 'outbound '), e.ids.map((id) => h('code', { class: 'call-id', title: id }, id))) : null))));
}

export function eventEntries(events, attempts, tagOf = () => null) {
  return events.map((event) => ({ ...describe(event, attempts), at: event.at, type: event.type, id: event.id, ...tagOf(event) }));
}

/** The call itself: it entered the queue, it ended (how, after how long). */
export function callEntries(call) {
  if (!call) return [];
  const entered = { at: call.enteredAt, title: `Call entered queue ${call.queue ?? '–'}`, detail: `from ${call.number ?? 'an anonymous number'}${call.position ? ` · position ${call.position}` : ''}`, tone: 'call', type: 'call', id: -2 };
  if (!call.endedAt) return [entered];
  const how = { abandoned: 'Caller hung up in the queue (abandoned)', served: 'Served by an agent', callback: 'Left the queue for a callback', left: 'Left the queue', waiting: 'Waiting' }[call.result] ?? call.result;
  return [entered, { at: call.endedAt, title: how, detail: `after ${duration(call.waitSeconds)}`, tone: call.result === 'abandoned' ? 'bad' : call.result === 'served' ? 'good' : 'call', type: 'call', id: -1 }];
}

/** In time order; on the same instant, the call's own steps first, then events in the order they were written. */
export function ordered(entries) {
  return [...entries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id - b.id);
}

export function formTable(form) {
  const entries = Object.entries(form ?? {});
  if (!entries.length) return h('p', { class: 'faint' }, 'No form values.');
  return h('dl', { class: 'kv form' }, entries.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function attemptsTable(attempts) {
  if (!attempts.length) return h('p', { class: 'faint' }, 'No attempt yet.');
  return h('table', { class: 'mini' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Started'), h('th', {}, 'Mode'), h('th', {}, 'Outcome'), h('th', {}, 'Outbound call ids'))),
    h('tbody', {}, attempts.map((a) => h('tr', { 'data-attempt': a.id },
      h('td', { class: 'tabular' }, String(a.seq)),
      h('td', { title: fullTime(a.startedAt) }, timeWithSeconds(a.startedAt)),
      h('td', {}, a.mode),
      h('td', {}, a.outcome ? h('span', { class: `outcome ${a.outcome === 'answered' ? 'good' : 'bad'}`, title: a.detail ?? '' }, OUTCOME_LABEL[a.outcome] ?? a.outcome) : a.endedAt ? '–' : h('span', { class: 'outcome live' }, 'under way')),
      h('td', { class: 'ids' }, outboundIds(a).map((id) => h('code', { class: 'call-id', title: id }, id)))))));
}

const outboundIds = (a) => a.outboundCallIds ?? [a.placeholderRef, a.customerRef].filter(Boolean);

export const tagFor = (callbacks) => (event) => callbacks.length > 1 && event.callbackId ? { tag: shortId(event.callbackId), tagTitle: `callback ${event.callbackId}` } : null;
