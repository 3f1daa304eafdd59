// The supervisor's page: wires the header, the grids, the form, the history and the live stream.

import { ApiError, authHeaders, dropToken, get, onUnauthorized, path, setToken, takeToken } from './api.js';
import { $, $$, debounce, h, replace, showError } from './dom.js';
import { STATUSES, STATUS_HINT, fullTime, shortId, timeWithSeconds } from './format.js';
import { follow } from './stream.js';
import { callbacksGrid } from './callbacks-grid.js';
import { lostCallsGrid } from './lost-calls.js';
import { newCallbackForm } from './new-callback.js';
import { historyView } from './history.js';
import { detailDrawer } from './detail.js';
import { describe } from './timeline.js';

const ACTIVITY_MAX = 60;
/** Events shown in the activity list on arrival, before the live ones. */
const ACTIVITY_BACKFILL = 25;

function signIn(message) {
  $('#app').hidden = true;
  const box = $('#signin');
  box.hidden = false;
  showError($('.error', box), message ?? '');
  $('input[name=token]', box).focus();
}

$('#signin form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = ev.target.token;
  const value = input.value.trim();
  if (!value) return;
  setToken(value);
  try {
    await get('/stats');
    input.value = '';
    $('#signin').hidden = true;
    start();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) showError($('#signin .error'), err.message);
  }
});

onUnauthorized((message) => {
  dropToken();
  stream?.stop();
  stream = null;
  signIn(`The daemon refused the token: ${message}`);
});

let stream = null;
let started = false;
let ui = null;

async function start() {
  $('#app').hidden = false;
  if (!started) {
    started = true;
    ui = build();
  }
  // The stream starts where the counts and the activity list end, so nothing falls in between.
  const last = await ui.refresh();
  stream?.stop();
  stream = follow(path('/events/stream', { after: last }), {
    onEvent: (event) => ui.event(event),
    onState: (state, detail) => ui.connection(state, detail),
    onUnauthorized: () => signIn('The daemon refused the token for the live stream.'),
  });
}

function build() {
  const drawer = detailDrawer({
    root: $('#drawer'),
    onOpenHistory: (id) => openHistory(id),
    onChanged: (cb) => {
      grid.upsert(cb, true);
      refreshStats();
    },
  });
  const grid = callbacksGrid({ root: $('#view-callbacks'), onOpen: (cb) => drawer.open(cb), onChanged: () => refreshStats() });
  const lost = lostCallsGrid({
    root: $('#view-lost'),
    onOpenHistory: (id) => openHistory(id),
    onOpenCallback: (cb) => drawer.open(cb),
    onCreated: (created) => {
      const cb = created.callback ?? created;
      grid.upsert(cb, true);
      refreshStats();
    },
  });
  const history = historyView({ root: $('#view-history'), onOpenCallback: (cb) => drawer.open(cb) });
  const form = newCallbackForm({
    root: $('#new-callback'),
    onOpen: (cb) => drawer.open(cb),
    onCreated: (cb) => {
      grid.upsert(cb, true);
      refreshStats();
    },
  });

  const tabs = { callbacks: $('#view-callbacks'), lost: $('#view-lost'), history: $('#view-history') };
  function show(name) {
    for (const [key, view] of Object.entries(tabs)) view.hidden = key !== name;
    for (const tab of $$('[role=tab]')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
    if (name === 'lost' && !lost.loaded) lost.load();
  }
  for (const tab of $$('[role=tab]')) tab.addEventListener('click', () => show(tab.dataset.tab));

  function openHistory(id) {
    drawer.close();
    show('history');
    history.open(id);
  }

  // Header: how many callbacks stand in each status, and whether the live stream is connected.
  const counts = $('#counts');
  replace(counts, STATUSES.map((s) =>
    h('button', { type: 'button', class: `count s-${s.toLowerCase()}`, 'data-status': s, title: `${s}: ${STATUS_HINT[s]}. Click to filter the grid.`, onclick: () => {
      const select = $('#view-callbacks select[name=status]');
      select.value = select.value === s ? '' : s;
      show('callbacks');
      grid.reload();
      markFilter();
    } }, h('span', { class: 'dot' }), h('span', { class: 'label' }, s), h('span', { class: 'n', 'data-count': s }, '–'))));
  const markFilter = () => {
    const current = $('#view-callbacks select[name=status]').value;
    for (const b of $$('.count', counts)) b.classList.toggle('on', b.dataset.status === current);
  };
  $('#view-callbacks select[name=status]').addEventListener('change', markFilter);

  /** Resolves with the id of the newest event (null when the counts could not be read). */
  async function refreshStatsNow() {
    try {
      const stats = await get('/stats');
      const by = stats.byStatus ?? {};
      for (const s of STATUSES) $(`[data-count=${s}]`, counts).textContent = String(by[s] ?? 0);
      $('#stats-error').hidden = true;
      return stats.lastEventId ?? null;
    } catch (err) {
      showError($('#stats-error'), `Counts: ${err.message}`);
      return null;
    }
  }

  /** The PBX connection, as /healthz tells it (no token needed); hidden when the daemon serves no /healthz. */
  const pbx = $('#pbx');
  async function refreshPbx() {
    try {
      const res = await fetch('/healthz', { headers: authHeaders({ Accept: 'application/json' }), cache: 'no-store' });
      if (res.status === 404) {
        pbx.hidden = true;
        return;
      }
      const health = await res.json();
      pbx.hidden = false;
      const state = health.pbx === 'connected' ? 'live' : health.pbx === 'none' ? 'none' : 'down';
      pbx.dataset.state = state;
      $('.label', pbx).textContent = state === 'live' ? 'PBX' : state === 'none' ? 'No PBX' : 'PBX down';
      pbx.title = health.reasons?.length ? health.reasons.join('; ') : health.pbx === 'connected' ? 'The daemon is connected to the PBX' : 'The daemon runs without a PBX (nothing is dialled)';
    } catch {
      pbx.hidden = false;
      pbx.dataset.state = 'down';
      $('.label', pbx).textContent = 'PBX ?';
      pbx.title = 'The daemon cannot be reached';
    }
  }

  /** The latest events, so the list is not empty on arrival. */
  async function backfill(last) {
    if (!last) return;
    try {
      const page = await get('/events', { after: Math.max(0, last - ACTIVITY_BACKFILL), limit: ACTIVITY_BACKFILL });
      for (const e of page.items) note(e);
    } catch {
      // The list fills as events arrive.
    }
  }
  const refreshStats = debounce(refreshStatsNow, 300);

  const conn = $('#conn');
  function connection(state, detail) {
    conn.dataset.state = state;
    const label = $('.label', conn);
    if (state === 'live') {
      label.textContent = 'Live';
      conn.title = 'Connected to the daemon: changes appear as they happen';
    } else if (state === 'connecting') {
      label.textContent = 'Connecting…';
      conn.title = 'Connecting to the daemon\'s event stream';
    } else {
      label.textContent = `Offline · retry in ${Math.max(1, Math.round(detail.retryInMs / 1000))} s`;
      conn.title = `The live stream is cut (${detail.reason}); reconnecting, nothing written meanwhile is lost`;
    }
    // After a cut the grids are read again: the stream replays what was missed, this makes sure rows are current.
    if (state === 'live' && wasDown) {
      grid.load();
      refreshStats();
    }
    wasDown = state === 'down';
  }
  let wasDown = false;

  // The live activity list: the latest events, newest on top.
  const activity = $('#activity');
  function note(event) {
    const d = describe(event);
    const li = h('li', { class: `t-${d.tone}`, title: fullTime(event.at) },
      h('time', {}, timeWithSeconds(event.at)),
      h('span', { class: 'what' }, h('b', {}, d.title), d.detail ? ` ${d.detail}` : ''),
      event.callbackId ? h('a', { href: '#', class: 'id', title: `callback ${event.callbackId}`, onclick: (e) => { e.preventDefault(); drawer.open({ id: event.callbackId }); } }, shortId(event.callbackId)) : null);
    activity.prepend(li);
    while (activity.children.length > ACTIVITY_MAX) activity.lastChild.remove();
    $('#activity-empty').hidden = true;
  }

  function event(e) {
    if (e.callbackId) {
      grid.touch(e.callbackId);
      drawer.touch(e.callbackId);
    }
    if (e.callId || e.type === 'LostCall' || e.type === 'Created') lost.touch();
    history.touch(e);
    note(e);
    refreshStats();
  }

  // Keys: 1 2 3 tabs, N new callback, / filter by number, H history, ↑↓ Enter C R Del on the grid, Esc closes.
  document.addEventListener('keydown', (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (document.querySelector('dialog[open]')) return;
    const typing = ev.target.closest?.('input, textarea, select');
    if (ev.key === 'Escape') {
      if (drawer.isOpen) drawer.close();
      else if (typing) ev.target.blur();
      return;
    }
    if (typing) return;
    const keys = {
      1: () => show('callbacks'),
      2: () => show('lost'),
      3: () => show('history'),
      n: () => form.focus(),
      '/': () => {
        show('callbacks');
        grid.focusFilter();
      },
      h: () => {
        show('history');
        history.focus();
      },
    };
    if (keys[ev.key]) {
      ev.preventDefault();
      keys[ev.key]();
      return;
    }
    if (!tabs.callbacks.hidden && grid.key(ev)) ev.preventDefault();
  });

  $('#signout').addEventListener('click', () => {
    dropToken();
    stream?.stop();
    stream = null;
    signIn('Signed out.');
  });

  setInterval(refreshStatsNow, 30_000);
  setInterval(refreshPbx, 10_000);

  return {
    async refresh() {
      grid.reload();
      refreshPbx();
      if (lost.loaded) lost.load();
      const last = await refreshStatsNow();
      if (!activity.children.length) await backfill(last);
      return last;
    },
    event,
    connection,
  };
}

if (takeToken()) start();
else signIn();
