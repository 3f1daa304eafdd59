// How the page words and colours things: statuses, outcomes, times, durations.

export const STATUSES = ['Scheduled', 'Dialing', 'Completed', 'Failed', 'Neglected', 'Cancelled', 'Expired'];
export const MECHANISMS = ['IvrCallBack', 'LostShift', 'manual', 'script'];
/** Statuses a person can still act on. */
export const OPEN_STATUSES = new Set(['Scheduled', 'Dialing']);

export const STATUS_HINT = {
  Scheduled: 'waiting for its due time (or holding a place in a queue)',
  Dialing: 'an attempt is under way',
  Completed: 'the customer was reached and put through',
  Failed: 'every attempt allowed was made without reaching the customer',
  Neglected: 'the caller got through on another call: no callback needed',
  Cancelled: 'cancelled by a person, or the caller gave up the place',
  Expired: 'its deadline passed before it could be done',
};

export const MECHANISM_LABEL = { IvrCallBack: 'IVR', LostShift: 'Lost call', manual: 'Manual', script: 'Script' };

export const OUTCOME_LABEL = {
  answered: 'answered',
  busy: 'busy',
  no_answer: 'no answer',
  congestion: 'congestion',
  rejected: 'rejected',
  invalid_number: 'invalid number',
  failed: 'failed',
  agent_unanswered: 'no agent answered',
  not_confirmed: 'not confirmed',
};
/** Outcomes that are bad news for this number (tinted red), as opposed to ordinary retries. */
export const BAD_OUTCOMES = new Set(['invalid_number', 'rejected', 'failed']);

export function statusBadge(h, status) {
  return h('span', { class: `badge s-${String(status).toLowerCase()}`, title: STATUS_HINT[status] ?? '' }, status);
}

const ms = (iso) => (iso === null || iso === undefined ? null : typeof iso === 'number' ? iso : Date.parse(iso));

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
const clockSeconds = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dayClock = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
const full = new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short' });

function sameDay(a, b) {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** "14:05" today, "24 Nov, 14:05" another day. */
export function shortTime(iso, now = Date.now()) {
  const t = ms(iso);
  if (t === null || Number.isNaN(t)) return '–';
  return sameDay(t, now) ? clock.format(t) : dayClock.format(t);
}

export function timeWithSeconds(iso) {
  const t = ms(iso);
  return t === null || Number.isNaN(t) ? '–' : clockSeconds.format(t);
}

/** The absolute time, for a title: the weekday, the date, the time and the zone, then the ISO text. */
export function fullTime(iso) {
  const t = ms(iso);
  if (t === null || Number.isNaN(t)) return '';
  return `${full.format(t)}  ·  ${typeof iso === 'string' ? iso : new Date(t).toISOString()}`;
}

/** "now", "in 4 min", "12 min ago", "in 2 h 5 min", "3 d ago". */
export function relativeTime(iso, now = Date.now()) {
  const t = ms(iso);
  if (t === null || Number.isNaN(t)) return '–';
  const diff = t - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return 'now';
  const text = span(abs);
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

function span(abs) {
  const minutes = Math.round(abs / 60_000);
  if (minutes < 60) return `${Math.max(1, minutes)} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.round(hours / 24);
  return `${days} d`;
}

/** 7 → "7 s", 95 → "1:35", 3700 → "1:01:40". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** The first block of a UUID: enough to tell callbacks apart on screen (the full id is in the title). */
export function shortId(id) {
  if (!id) return '–';
  return /^[0-9a-f]{8}-/i.test(id) ? id.slice(0, 8) : id;
}

/** A value of an <input type=datetime-local> (the browser's local time) as ISO 8601 with its offset. */
export function localInputToIso(value) {
  const t = new Date(value);
  if (!value || Number.isNaN(t.getTime())) return null;
  return t.toISOString();
}

/** Now plus `minutes`, as an <input type=datetime-local> value. */
export function localInputValue(minutesAhead = 0) {
  const t = new Date(Date.now() + minutesAhead * 60_000);
  t.setSeconds(0, 0);
  const pad = (n) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

/** A key for Idempotency-Key: random, from getRandomValues (randomUUID needs a secure context; a supervisor may use plain http on a LAN). */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
/** "" today, "24 Nov" another day. */
export function dayLabel(iso, now = Date.now()) {
  const t = ms(iso);
  if (t === null || Number.isNaN(t) || sameDay(t, now)) return '';
  return day.format(t);
}
