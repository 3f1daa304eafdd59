// The history of a call: the call, every callback it led to, their attempts and events in order,
// and the form. Opened from a row, or by typing a call id or an outbound call id.

import { enc, get } from './api.js';
import { $, debounce, h, replace, showError } from './dom.js';
import { MECHANISM_LABEL, duration, fullTime, relativeTime, shortId, shortTime, statusBadge } from './format.js';
import { attemptsTable, callEntries, eventEntries, formTable, ordered, tagFor, timeline } from './timeline.js';

export function historyView({ root, onOpenCallback }) {
  const form = $('form.lookup', root);
  const error = $('.error', root);
  const content = $('[data-role=content]', root);
  let shown = null;
  let current = null;

  async function open(id) {
    form.id.value = id;
    shown = id;
    showError(error, '');
    root.classList.add('loading');
    try {
      const history = await get(`/calls/${enc(id)}/history`);
      if (shown !== id) return;
      current = history;
      render(history);
    } catch (err) {
      if (shown !== id) return;
      current = null;
      replace(content);
      showError(error, err.message);
    } finally {
      root.classList.remove('loading');
    }
  }

  function render(history) {
    const { call, callbacks, attempt } = history;
    const attempts = new Map(callbacks.flatMap((c) => c.attempts).map((a) => [a.id, a]));
    const entries = ordered([...callEntries(call), ...eventEntries(history.events, attempts, tagFor(callbacks))]);
    const forms = { ...(call?.form ?? {}) };
    for (const c of callbacks) Object.assign(forms, c.form ?? c.callback.form ?? {});
    replace(content,
      h('div', { class: 'history-head card' },
        h('div', { class: 'history-title' },
          h('h2', {}, history.callId ? `Call ${history.callId}` : `Callback ${shortId(callbacks[0]?.callback.id)}`),
          call ? h('span', { class: `result r-${call.result}` }, call.result) : h('span', { class: 'faint' }, history.callId ? 'the call itself was not recorded' : 'made by hand, from no call')),
        attempt ? h('p', { class: 'note' }, 'Outbound call ', h('code', {}, shown), ` is attempt ${attempt.seq} of callback ${shortId(callbackOfAttempt(callbacks, attempt.id))}`, history.callId ? '; shown with the call it came from.' : '.') : null,
        call ? h('dl', { class: 'kv inline' },
          h('dt', {}, 'Number'), h('dd', { class: 'num' }, call.number ?? 'anonymous'),
          h('dt', {}, 'Queue'), h('dd', {}, call.queue ?? '–'),
          h('dt', {}, 'Entered'), h('dd', { title: fullTime(call.enteredAt) }, `${shortTime(call.enteredAt)} (${relativeTime(call.enteredAt)})`),
          h('dt', {}, 'Waited'), h('dd', {}, duration(call.waitSeconds)),
          h('dt', {}, 'Callbacks'), h('dd', {}, String(callbacks.length))) : null),
      h('div', { class: 'history-body' },
        h('section', { class: 'card' }, h('h3', {}, 'Timeline'), timeline(entries)),
        h('div', { class: 'history-side' },
          callbacks.map((d) => callbackCard(d)),
          h('section', { class: 'card' }, h('h3', {}, 'Form'), formTable(forms)))));
  }

  const callbackOfAttempt = (callbacks, id) => callbacks.find((d) => d.attempts.some((a) => a.id === id))?.callback.id;

  function callbackCard(detail) {
    const cb = detail.callback;
    return h('section', { class: 'card callback-card', 'data-callback': cb.id },
      h('h3', {}, statusBadge(h, cb.status), ' ',
        h('a', { href: '#', title: `callback ${cb.id}`, onclick: (e) => { e.preventDefault(); onOpenCallback(cb); } }, `Callback ${shortId(cb.id)}`)),
      h('dl', { class: 'kv' },
        h('dt', {}, 'Number'), h('dd', { class: 'num' }, cb.number),
        h('dt', {}, 'Queue'), h('dd', {}, cb.queue),
        h('dt', {}, 'Mechanism'), h('dd', {}, MECHANISM_LABEL[cb.mechanism] ?? cb.mechanism, cb.shifted ? h('span', { class: 'tag', title: 'Created with the Shifted reference: Neglected applies' }, 'shifted') : null),
        cb.note ? [h('dt', {}, 'Note'), h('dd', {}, cb.note)] : null),
      h('h4', {}, 'Attempts'), attemptsTable(detail.attempts));
  }

  /** An event arrived: if it concerns what is shown, read the history again. */
  const reload = debounce(() => shown && open(shown), 200);
  function touch(event) {
    if (!current || root.hidden) return;
    const ids = new Set(current.callbacks.map((c) => c.callback.id));
    if ((event.callId && event.callId === current.callId) || (event.callbackId && ids.has(event.callbackId))) reload();
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = form.id.value.trim();
    if (id) open(id);
    else showError(error, 'Type a call id (the PBX\'s channel id) or an outbound call id of an attempt.');
  });

  return { open, touch, focus: () => form.id.focus() };
}
