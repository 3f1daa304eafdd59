import { DateTime } from 'luxon';
import type { TransitionSchedule, Weekday } from '../config/types';
import { parseRange } from './window';

const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Whether a schedule is in force at an instant, and in words why (or why not). */
export interface ScheduleVerdict {
  applies: boolean;
  /** For example "Tue 21:40 in Europe/Prague is within 20:00-08:00". */
  why: string;
}

/** "HH:MM" → minutes from midnight. The configuration checked the form. */
function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
}

/** "from-to" in minutes; a range whose end is not after its start runs past midnight (22:00-06:00). */
function inTimes(minute: number, from: string, to: string): boolean {
  const start = minutesOf(from);
  const end = minutesOf(to);
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** "MM-DD" or "MM-DD..MM-DD" (a span may run over New Year: 12-24..01-02). */
function inYearly(monthDay: string, entry: string): boolean {
  const [first, last = first] = entry.split('..');
  return first <= last ? monthDay >= first && monthDay <= last : monthDay >= first || monthDay <= last;
}

/**
 * Every condition a schedule gives must hold at `at`, read on the wall clock of its time zone
 * (luxon turns the instant into local time, so a daylight-saving change moves nothing by an
 * hour): the weekly hours, the date range, the yearly dates, the daily from/to times. A missing
 * condition does not restrict. Null (no schedule) is always in force.
 */
export function scheduleVerdict(at: number, schedule: TransitionSchedule | null): ScheduleVerdict {
  if (!schedule) return { applies: true, why: 'no schedule: always in force' };
  const local = DateTime.fromMillis(at, { zone: schedule.timezone });
  const day = WEEKDAYS[local.weekday - 1];
  const clock = local.toFormat('HH:mm');
  const date = local.toISODate() ?? '';
  const monthDay = local.toFormat('MM-dd');
  const minute = local.hour * 60 + local.minute;
  const stamp = `${local.toFormat('ccc yyyy-MM-dd HH:mm')} in ${schedule.timezone}`;
  const refuse = (why: string): ScheduleVerdict => ({ applies: false, why: `${stamp}: ${why}` });

  if (schedule.weekly !== null) {
    const ranges = schedule.weekly[day] ?? [];
    const open = ranges.some((text) => {
      const range = parseRange(text);
      return range !== null && minute >= range.from && minute < range.to;
    });
    if (!open) return refuse(ranges.length === 0 ? `no weekly hours on ${day}` : `outside ${day} ${ranges.join(', ')}`);
  }
  if (schedule.dateFrom !== '' && date < schedule.dateFrom) return refuse(`before ${schedule.dateFrom}`);
  if (schedule.dateTo !== '' && date > schedule.dateTo) return refuse(`after ${schedule.dateTo}`);
  if (schedule.yearly.length > 0 && !schedule.yearly.some((entry) => inYearly(monthDay, entry))) {
    return refuse(`not on ${schedule.yearly.join(', ')}`);
  }
  if (schedule.from !== '' && !inTimes(minute, schedule.from, schedule.to)) return refuse(`${clock} is outside ${schedule.from}-${schedule.to}`);
  return { applies: true, why: `${stamp}: within the schedule` };
}
