// The grid of callbacks: filters, paging by cursor, live rows, a button per row.

import { enc, get } from './api.js';
import { $, debounce, h, replace, showError } from './dom.js';
import { BAD_OUTCOMES, MECHANISM_LABEL, OUTCOME_LABEL, fullTime, relativeTime, shortId, shortTime, statusBadge } from './format.js';
import * as actions from './actions.js';
import { cursorPager } from './pager.js';

const LIMIT = 50;
/** What a settled row says in place of a due time. */
const ENDED = { Completed: 'done', Failed: 'failed', Neglected: 'dropped', Cancelled: 'cancelled', Expired: 'expired' };
const FRESH_MS = 4000;

export function callbacksGrid({ root, onOpen, onChanged }) {
  const form = $('form.filters', root);
  const body = $('tbody', root);
  const error = $('.error', root);
  const empty = $('.empty', root);
  const pager = cursorPager(root, { limit: LIMIT, load });
  let rows = [];
  let nextCursor = null;
  let selected = null;
  let loading = 0;
  /** Last outcome per callback, by version: read from its detail when the list does not carry it. */
  const outcomes = new Map();
  const pendingDetails = new Set();

  const filters = () => {
    const f = Object.fromEntries(new FormData(form));
    return { status: f.status, queue: f.queue.trim(), number: f.number.trim(), mechanism: f.mechanism };
  };

  async function load() {
    const mine = ++loading;
    root.classList.add('loading');
    try {
      const answer = await get('/callbacks', { ...filters(), limit: LIMIT, cursor: pager.cursor });
      if (mine !== loading) return;
      rows = answer.items;
      nextCursor = answer.nextCursor ?? null;
      showError(error, '');
      render();
    } catch (err) {
      if (mine !== loading) return;
      showError(error, err.message);
    } finally {
      if (mine === loading) root.classList.remove('loading');
    }
  }

  const reload = () => {
    pager.reset();
    return load();
  };

  function render() {
    replace(body, rows.map(rowOf));
    empty.hidden = rows.length > 0;
    pager.loaded(rows.length, nextCursor);
    if (selected && !rows.some((r) => r.id === selected)) selected = null;
    markSelected();
  }

  function lastOutcome(cb) {
    if ('lastOutcome' in cb) return cb.lastOutcome;
    if (!cb.attempts) return null;
    const known = outcomes.get(cb.id);
    if (known && known.version === cb.version) return known.outcome;
    fetchOutcome(cb);
    return known?.outcome;
  }

  async function fetchOutcome(cb) {
    if (pendingDetails.has(cb.id)) return;
    pendingDetails.add(cb.id);
    try {
      const detail = await get(`/callbacks/${enc(cb.id)}`);
      learn(detail);
    } catch {
      // The cell stays empty; the detail panel shows the reason when opened.
    } finally {
      pendingDetails.delete(cb.id);
    }
  }

  /** Remembers the last outcome from a detail ({callback, attempts}) and redraws the row. */
  function learn(detail, flash = false) {
    const cb = detail.callback ?? detail;
    const attempts = detail.attempts ?? detail.attemptHistory ?? [];
    const ended = attempts.filter((a) => a.outcome);
    outcomes.set(cb.id, { version: cb.version, outcome: ended.length ? ended[ended.length - 1].outcome : attempts.length ? 'under way' : null });
    upsert(cb, flash);
  }

  function outcomeCell(cb) {
    const outcome = lastOutcome(cb);
    if (outcome === undefined) return h('span', { class: 'faint' }, '…');
    if (!outcome) return h('span', { class: 'faint' }, '–');
    if (outcome === 'under way') return h('span', { class: 'outcome live' }, 'under way');
    return h('span', { class: `outcome ${outcome === 'answered' ? 'good' : BAD_OUTCOMES.has(outcome) ? 'bad' : ''}` }, OUTCOME_LABEL[outcome] ?? outcome);
  }

  function dueCell(cb) {
    if (cb.status === 'Dialing') return h('span', { class: 'due live' }, 'dialling now');
    if (cb.status === 'Scheduled' && !cb.dueAt) return h('span', { class: 'due held', title: 'A placeholder keeps the caller\'s place; it is dialled when an agent takes it' }, `holding place ${cb.queuePosition ?? 1} in queue`);
    if (cb.status !== 'Scheduled') return h('span', { class: 'faint', title: `${ENDED[cb.status] ?? 'ended'} ${fullTime(cb.updatedAt)}` }, `${ENDED[cb.status] ?? 'ended'} ${relativeTime(cb.updatedAt)}`);
    const overdue = Date.parse(cb.dueAt) < Date.now() - 60_000;
    return h('span', { class: `due${overdue ? ' overdue' : ''}`, title: fullTime(cb.dueAt), 'data-due': cb.dueAt },
      h('span', { class: 'rel' }, relativeTime(cb.dueAt)), h('span', { class: 'abs' }, shortTime(cb.dueAt)));
  }

  function actionCell(cb) {
    if (cb.status !== 'Scheduled' && cb.status !== 'Dialing') return h('td', { class: 'actions' });
    const dialing = cb.status === 'Dialing';
    const held = cb.status === 'Scheduled' && !cb.dueAt;
    const button = (role, label, title, disabled, run, cls = '') =>
      h('button', { type: 'button', class: `btn small ${cls}`, 'data-action': role, title, disabled, onclick: (ev) => { ev.stopPropagation(); act(run, cb); } }, label);
    return h('td', { class: 'actions' },
      button('call-now', 'Call now', dialing ? 'Being dialled now' : held ? 'Holding a place in the queue: it is dialled when an agent takes it' : 'Due at once (C)', dialing || held, actions.callNow),
      button('reschedule', 'Reschedule', dialing ? 'Being dialled now' : held ? 'Holding a place in the queue: it has no time to move' : 'Give it another time (R)', dialing || held, actions.reschedule),
      button('cancel', 'Cancel', dialing ? 'It can be cancelled once this attempt ends' : 'Cancel it, with a reason (Del)', dialing, actions.cancel, 'quiet-danger'));
  }

  async function act(run, cb) {
    const changed = await run(cb);
    if (changed && changed.id) {
      upsert(changed, true);
      onChanged?.(changed);
    }
  }

  function rowOf(cb) {
    const stale = !matches(cb);
    return h('tr', {
      'data-id': cb.id,
      'data-status': cb.status,
      class: [stale ? 'stale' : '', cb._fresh ? 'fresh' : ''].join(' ').trim() || null,
      title: stale ? 'No longer matches the filters (stays until the grid is refreshed)' : null,
      tabindex: '-1',
      onclick: () => {
        select(cb.id);
        onOpen(cb);
      },
    },
      h('td', {}, statusBadge(h, cb.status)),
      h('td', { class: 'num' }, cb.number, h('span', { class: 'id', title: cb.id }, shortId(cb.id))),
      h('td', {}, cb.queue),
      h('td', {}, dueCell(cb)),
      h('td', { class: 'right tabular', title: `${cb.attempts} attempt(s) made` }, String(cb.attempts)),
      h('td', {}, h('span', { class: `mech m-${cb.mechanism.toLowerCase()}` }, MECHANISM_LABEL[cb.mechanism] ?? cb.mechanism)),
      h('td', {}, outcomeCell(cb)),
      actionCell(cb));
  }

  /** Whether a callback would be listed under the current filters (numbers: only as typed in E.164). */
  function matches(cb) {
    const f = filters();
    if (f.status && f.status !== cb.status) return false;
    if (f.mechanism && f.mechanism !== cb.mechanism) return false;
    if (f.queue && f.queue !== cb.queue) return false;
    if (f.number && f.number.replace(/[\s()-]/g, '') !== cb.number) return false;
    return true;
  }

  /** A callback as it is now: its row redrawn in place, or added on top of the first page when new and listed under the filters. */
  function upsert(cb, flash) {
    const at = rows.findIndex((r) => r.id === cb.id);
    if (at < 0 && !(pager.first && matches(cb))) return;
    if (at >= 0 && (rows[at].version ?? 0) > (cb.version ?? 0)) return;
    const next = { ...cb, _fresh: flash };
    if (at >= 0) rows[at] = next;
    else rows.unshift(next);
    const old = body.querySelector(`tr[data-id="${CSS.escape(cb.id)}"]`);
    const tr = rowOf(next);
    if (old) old.replaceWith(tr);
    else body.prepend(tr);
    empty.hidden = true;
    if (flash) setTimeout(() => {
      next._fresh = false;
      tr.classList.remove('fresh');
    }, FRESH_MS);
    markSelected();
  }

  /** An event named this callback: read it again (several events of one commit are read once). */
  const touched = new Set();
  const flush = debounce(async () => {
    const ids = [...touched];
    touched.clear();
    for (const id of ids) {
      try {
        learn(await get(`/callbacks/${enc(id)}`), true);
      } catch {
        // Gone or unreadable: the next refresh shows what is there.
      }
    }
  }, 120);
  function touch(id) {
    touched.add(id);
    flush();
  }

  function select(id) {
    selected = id;
    markSelected();
  }

  function markSelected() {
    for (const tr of body.rows) tr.classList.toggle('selected', tr.dataset.id === selected);
  }

  /** Keyboard: ↑/↓ move, Enter opens, C / R / Del act on the selected row. */
  function key(ev) {
    const index = rows.findIndex((r) => r.id === selected);
    if (ev.key === 'ArrowDown' || ev.key === 'j' || ev.key === 'ArrowUp' || ev.key === 'k') {
      if (!rows.length) return false;
      const down = ev.key === 'ArrowDown' || ev.key === 'j';
      const next = index < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, index + (down ? 1 : -1)));
      select(rows[next].id);
      body.rows[next]?.scrollIntoView({ block: 'nearest' });
      return true;
    }
    if (index < 0) return false;
    const cb = rows[index];
    const button = (action) => body.rows[index]?.querySelector(`[data-action=${action}]`);
    const map = { Enter: () => onOpen(cb), c: () => button('call-now')?.click(), r: () => button('reschedule')?.click(), Delete: () => button('cancel')?.click(), x: () => button('cancel')?.click() };
    const run = map[ev.key];
    if (!run) return false;
    run();
    return true;
  }

  const refilter = debounce(reload, 300);
  form.addEventListener('input', (ev) => (ev.target.tagName === 'SELECT' ? reload() : refilter()));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    reload();
  });
  form.addEventListener('reset', () => setTimeout(reload));
  $('[data-role=refresh]', root).addEventListener('click', load);

  /** Relative times move on without a reload. */
  setInterval(() => {
    for (const span of body.querySelectorAll('[data-due]')) $('.rel', span).textContent = relativeTime(span.dataset.due);
  }, 30_000);

  return { load, reload, touch, upsert, key, learn, focusFilter: () => form.number.focus() };
}
