// The grid of lost calls: abandoned calls, how long they waited, whether they became a callback
// and if not why, with a "call back" button per row.

import { get } from './api.js';
import { $, debounce, h, replace, showError } from './dom.js';
import { duration, fullTime, relativeTime, shortId, shortTime, statusBadge } from './format.js';
import { callBackLostCall } from './actions.js';
import { cursorPager } from './pager.js';

const LIMIT = 50;

export function lostCallsGrid({ root, onOpenHistory, onOpenCallback, onCreated }) {
  const form = $('form.filters', root);
  const body = $('tbody', root);
  const error = $('.error', root);
  const empty = $('.empty', root);
  const pager = cursorPager(root, { limit: LIMIT, load });
  let nextCursor = null;
  let rows = [];
  let loading = 0;
  let loaded = false;

  async function load() {
    const mine = ++loading;
    root.classList.add('loading');
    try {
      const answer = await get('/calls', { result: 'abandoned', queue: form.queue.value.trim(), limit: LIMIT, cursor: pager.cursor });
      if (mine !== loading) return;
      rows = answer.items;
      nextCursor = answer.nextCursor ?? null;
      loaded = true;
      showError(error, '');
      render();
    } catch (err) {
      if (mine === loading) showError(error, err.message);
    } finally {
      if (mine === loading) root.classList.remove('loading');
    }
  }

  function render() {
    replace(body, rows.map(rowOf));
    empty.hidden = rows.length > 0;
    pager.loaded(rows.length, nextCursor);
  }

  function becameCell(row) {
    if (row.callbacks.length) {
      return h('div', { class: 'became' }, row.callbacks.map((cb) =>
        h('button', { type: 'button', class: 'chip', title: `callback ${cb.id}`, onclick: (ev) => { ev.stopPropagation(); onOpenCallback(cb); } },
          statusBadge(h, cb.status), h('span', { class: 'faint' }, ` ${cb.mechanism === 'LostShift' ? 'automatic' : cb.mechanism} · ${shortId(cb.id)}`))));
    }
    const reason = row.call.lostReason ? h('code', { class: 'reason faint', title: 'the reason as data: callbackd_lost_calls_total{reason}, the call history' }, ` ${row.call.lostReason}`) : '';
    return h('span', { class: 'whynot', title: 'Why it did not become a callback' }, h('span', { class: 'no' }, 'No callback'), row.whyNot ? ` — ${row.whyNot}` : '', reason);
  }

  function rowOf(row) {
    const { call } = row;
    const lostAt = call.endedAt ?? call.enteredAt;
    const open = row.callbacks.some((cb) => cb.status === 'Scheduled' || cb.status === 'Dialing');
    return h('tr', { 'data-call': call.id, tabindex: '-1', title: `call ${call.id}: click for its history`, onclick: () => onOpenHistory(call.id) },
      h('td', { title: fullTime(lostAt) }, h('span', { class: 'rel' }, relativeTime(lostAt)), h('span', { class: 'abs' }, shortTime(lostAt))),
      h('td', { class: 'num' }, call.number ?? h('span', { class: 'faint' }, 'anonymous'), h('span', { class: 'id', title: call.id }, shortId(call.id))),
      h('td', {}, call.queue ?? '–'),
      h('td', { class: 'right tabular' }, duration(row.waitedSeconds)),
      h('td', {}, becameCell(row)),
      h('td', { class: 'actions' },
        h('button', {
          type: 'button',
          class: `btn small ${open ? '' : 'primary-outline'}`,
          'data-action': 'call-back',
          disabled: call.number ? null : true,
          title: call.number ? (open ? 'A callback is already pending: a new request is merged into it' : 'Create a callback for this caller') : 'Anonymous caller: no number to call back',
          onclick: async (ev) => {
            ev.stopPropagation();
            const created = await callBackLostCall(row);
            if (created) {
              onCreated?.(created);
              load();
            }
          },
        }, 'Call back')));
  }

  /** Something happened to a call: the grid is read again (if it was ever shown). */
  const touch = debounce(() => {
    if (loaded) load();
  }, 400);

  form.addEventListener('input', debounce(() => {
    pager.reset();
    load();
  }, 300));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load();
  });
  $('[data-role=refresh]', root).addEventListener('click', load);
  setInterval(() => {
    if (loaded && !root.hidden) load();
  }, 30_000);

  return { load, touch, get loaded() { return loaded; } };
}
