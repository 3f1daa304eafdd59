// The details of one callback, in a drawer over the side column: its facts, its actions, its
// attempts, its events in order and its form.

import { enc, get } from './api.js';
import { $, debounce, h, replace, showError } from './dom.js';
import { MECHANISM_LABEL, STATUS_HINT, fullTime, relativeTime, shortTime, statusBadge } from './format.js';
import { attemptsTable, eventEntries, formTable, ordered, timeline } from './timeline.js';
import * as actions from './actions.js';

export function detailDrawer({ root, onOpenHistory, onChanged }) {
  const body = $('[data-role=body]', root);
  const title = $('[data-role=title]', root);
  const error = $('.error', root);
  let shownId = null;

  async function open(cb) {
    shownId = cb.id;
    root.hidden = false;
    document.body.classList.add('drawer-open');
    if (cb.number) title.textContent = cb.number;
    showError(error, '');
    try {
      const detail = await get(`/callbacks/${enc(cb.id)}`);
      if (shownId !== cb.id) return;
      render(detail);
    } catch (err) {
      if (shownId === cb.id) showError(error, err.message);
    }
  }

  function close() {
    shownId = null;
    root.hidden = true;
    document.body.classList.remove('drawer-open');
    replace(body);
  }

  const time = (iso) => (iso ? h('span', { title: fullTime(iso) }, `${shortTime(iso)} · ${relativeTime(iso)}`) : '–');

  function render(detail) {
    const cb = detail.callback ?? detail;
    const attempts = detail.attempts ?? detail.attemptHistory ?? [];
    const byId = new Map(attempts.map((a) => [a.id, a]));
    title.textContent = cb.number;
    const act = (run) => async () => {
      const changed = await run(cb);
      if (changed?.id) {
        onChanged(changed);
        open(changed);
      }
    };
    const scheduled = cb.status === 'Scheduled';
    const held = scheduled && !cb.dueAt;
    replace(body,
      h('div', { class: 'detail-status' }, statusBadge(h, cb.status), h('span', { class: 'muted' }, STATUS_HINT[cb.status] ?? '')),
      scheduled ? h('div', { class: 'detail-actions' },
        h('button', { type: 'button', class: 'btn', disabled: held, onclick: act(actions.callNow) }, 'Call now'),
        h('button', { type: 'button', class: 'btn', disabled: held, onclick: act(actions.reschedule) }, 'Reschedule'),
        h('button', { type: 'button', class: 'btn quiet-danger', onclick: act(actions.cancel) }, 'Cancel…')) : null,
      h('dl', { class: 'kv' },
        h('dt', {}, 'Id'), h('dd', { class: 'mono small' }, cb.id),
        h('dt', {}, 'Queue'), h('dd', {}, cb.queue),
        h('dt', {}, 'Due'), h('dd', {}, held ? `holding place ${cb.queuePosition ?? 1} in the queue` : time(cb.dueAt)),
        h('dt', {}, 'Expires'), h('dd', {}, time(cb.expiresAt)),
        h('dt', {}, 'Mechanism'), h('dd', {}, MECHANISM_LABEL[cb.mechanism] ?? cb.mechanism, cb.shifted ? h('span', { class: 'tag', title: 'Created with the Shifted reference: Neglected applies' }, 'shifted') : null),
        h('dt', {}, 'Transition'), h('dd', {}, cb.transition),
        h('dt', {}, 'Attempts'), h('dd', {}, String(cb.attempts)),
        h('dt', {}, 'Origin call'), h('dd', {}, cb.originCallId
          ? h('a', { href: '#', class: 'mono small', onclick: (e) => { e.preventDefault(); onOpenHistory(cb.originCallId); } }, cb.originCallId)
          : h('span', { class: 'faint' }, 'none')),
        h('dt', {}, 'Note'), h('dd', {}, cb.note ?? h('span', { class: 'faint' }, '–')),
        h('dt', {}, 'Created'), h('dd', {}, time(cb.createdAt))),
      h('div', { class: 'detail-links' },
        h('button', { type: 'button', class: 'btn small', 'data-action': 'history', onclick: () => onOpenHistory(cb.originCallId ?? firstOutbound(attempts) ?? cb.id) , disabled: !(cb.originCallId || firstOutbound(attempts)), title: cb.originCallId || firstOutbound(attempts) ? 'The history of the call it came from' : 'No call to show yet' }, 'Open call history')),
      h('h3', {}, 'Attempts'), attemptsTable(attempts),
      h('h3', {}, 'Events'), timeline(ordered(eventEntries(detail.events ?? [], byId))),
      h('h3', {}, 'Form'), formTable(detail.form ?? cb.form));
  }

  const firstOutbound = (attempts) => attempts.flatMap((a) => a.outboundCallIds ?? [a.placeholderRef, a.customerRef].filter(Boolean))[0] ?? null;

  const reload = debounce(() => shownId && open({ id: shownId }), 150);
  $('[data-role=close]', root).addEventListener('click', close);

  return {
    open,
    close,
    get isOpen() {
      return shownId !== null;
    },
    touch(id) {
      if (id === shownId) reload();
    },
  };
}
