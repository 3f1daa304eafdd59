// What a supervisor does to a callback or a lost call: each opens a dialog, posts, and hands the
// API's answer back (the grid shows it at once; the live stream confirms it).

import { enc, post } from './api.js';
import { h } from './dom.js';
import { duration, newKey, relativeTime, shortId, shortTime } from './format.js';
import { field, openDialog, whenChoice } from './dialogs.js';

const callbackOf = (answer) => answer?.callback ?? answer;

function reasonField(placeholder, required = false) {
  return field(required ? 'Reason' : 'Reason (optional)', h('textarea', { name: 'reason', rows: '2', maxlength: '500', placeholder, required }));
}

const who = (cb) => `${cb.number} · ${cb.queue} · ${shortId(cb.id)}`;

export function callNow(cb) {
  return openDialog({
    name: 'call-now',
    title: 'Call now',
    subtitle: `${who(cb)}: due at once, whatever the calling window says.`,
    fields: [reasonField('e.g. customer asked to be called right away')],
    confirm: 'Call now',
    submit: async (form) => callbackOf(await post(`/callbacks/${enc(cb.id)}/call-now`, { reason: form.reason.value.trim() || undefined })),
  });
}

export function reschedule(cb) {
  const when = whenChoice({ allowNow: false, minutes: 30 });
  return openDialog({
    name: 'reschedule',
    title: 'Reschedule',
    subtitle: `${who(cb)}: now due ${cb.dueAt ? `${relativeTime(cb.dueAt)} (${shortTime(cb.dueAt)})` : '–'}.`,
    fields: [when.node, reasonField('e.g. customer is in a meeting until 3 pm')],
    confirm: 'Reschedule',
    submit: async (form) => callbackOf(await post(`/callbacks/${enc(cb.id)}/reschedule`, { ...when.read(), reason: form.reason.value.trim() || undefined })),
  });
}

export function cancel(cb) {
  return openDialog({
    name: 'cancel',
    title: 'Cancel this callback?',
    subtitle: `${who(cb)}: it will not be dialled. The reason is kept in its history.`,
    fields: [reasonField('e.g. customer reached us by e-mail', true)],
    confirm: 'Cancel callback',
    danger: true,
    submit: async (form) => callbackOf(await post(`/callbacks/${enc(cb.id)}/cancel`, { reason: form.reason.value.trim() })),
  });
}

/** The button on a row of lost calls: a callback for that call, optionally with its LostCall event. */
export function callBackLostCall(row) {
  const { call } = row;
  const when = whenChoice({ allowNow: true, minutes: 15 });
  const key = newKey();
  return openDialog({
    name: 'lost-call',
    title: 'Call back this lost call',
    subtitle: `${call.number ?? 'anonymous'} · ${call.queue ?? '–'} · waited ${duration(row.waitedSeconds)}, ${relativeTime(call.endedAt ?? call.enteredAt)}`,
    fields: [
      when.node,
      field('Note (optional)', h('textarea', { name: 'note', rows: '2', maxlength: '2000', placeholder: 'for the agent who calls back' })),
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'lostCallEvent', checked: true }),
        h('span', {}, h('b', {}, 'Record the LostCall event'), ' (Neglected applies: should the caller get through and be served first, the callback is dropped)')),
    ],
    confirm: 'Create callback',
    submit: async (form) =>
      post(`/calls/${enc(call.id)}/callbacks`, { fromLostCall: true, ...when.read(), note: form.note.value.trim() || undefined, createLostCallEvent: form.lostCallEvent.checked }, key),
  });
}
