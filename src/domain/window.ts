import { DateTime } from 'luxon';
import type { CallingWindow, Weekday } from '../config/types';

const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** A window that does not open within this many days is treated as never opening. */
const HORIZON_DAYS = 400;

interface Span {
  start: number;
  end: number;
}

/** "08:00-18:00" → minutes from midnight; "24:00" is allowed as an end. */
export function parseRange(range: string): { from: number; to: number } | null {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(range.trim());
  if (!m) return null;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[2]) > 59 || Number(m[4]) > 59 || from >= to || to > 24 * 60) return null;
  return { from, to };
}

/** Local wall-clock times are turned into instants by luxon, so a daylight-saving change moves them correctly. */
function spansOfDay(day: DateTime, window: CallingWindow): Span[] {
  if (window.datesOff.includes(day.toISODate() ?? '')) return [];
  const ranges = window.hours[WEEKDAYS[day.weekday - 1]] ?? [];
  const spans: Span[] = [];
  for (const text of ranges) {
    const range = parseRange(text);
    if (!range) continue;
    const at = (minutes: number) =>
      minutes >= 24 * 60 ? day.plus({ days: 1 }).startOf('day').toMillis() : day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();
    spans.push({ start: at(range.from), end: at(range.to) });
  }
  return spans.sort((a, b) => a.start - b.start);
}

/**
 * The first instant at or after `at` inside the calling window: `at` itself when the window is
 * open (or there is none), else the next opening. Null when the window never opens.
 */
export function nextOpening(at: number, window: CallingWindow | null): number | null {
  if (!window) return at;
  let day = DateTime.fromMillis(at, { zone: window.timezone }).startOf('day');
  for (let i = 0; i < HORIZON_DAYS; i++, day = day.plus({ days: 1 })) {
    for (const span of spansOfDay(day, window)) {
      if (at < span.end) return Math.max(at, span.start);
    }
  }
  return null;
}

export function isOpen(at: number, window: CallingWindow | null): boolean {
  return nextOpening(at, window) === at;
}
