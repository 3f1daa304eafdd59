/**
 * second-chance.js: a lost caller we could not reach gets one more try, the next working morning.
 *
 * For a status trigger on Failed (see triggers in callbackd.example.yaml): when a LostShift
 * callback fails (every attempt busy, unanswered or unreachable), a manual callback for the same
 * number and queue is made for 09:00 Prague time on the next weekday, marked second_chance=yes.
 * A callback that was already a second chance gets none: the trigger would otherwise never end.
 *
 *   triggers:
 *     - name: second-chance
 *       on: status
 *       statuses: [Failed]
 *       mechanisms: [LostShift]
 *       script: scripts/second-chance.js
 *
 * The daemon makes the callback as a person's request would be made (the number checked against
 * the transition's rules, the calling window applied), once per status change, however often the
 * trigger is asked.
 */
'use strict';

const ZONE_OFFSET_HOURS = { winter: 1, summer: 2 };

/** 09:00 in Prague on the next weekday after `now` (summer time taken as April to October: near enough for an example). */
function nextWorkingMorning(now) {
  const day = new Date(now);
  for (let i = 0; i < 7; i++) {
    day.setUTCDate(day.getUTCDate() + 1);
    const weekday = day.getUTCDay();
    if (weekday !== 0 && weekday !== 6) break;
  }
  const month = day.getUTCMonth();
  const offset = month > 2 && month < 10 ? ZONE_OFFSET_HOURS.summer : ZONE_OFFSET_HOURS.winter;
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 9 - offset, 0, 0);
}

module.exports = function decide(ctx) {
  const callback = ctx.callback;
  if (!callback || ctx.form.second_chance === 'yes') return { action: 'skip', reason: 'already had its second chance' };
  return {
    action: 'create',
    number: callback.number,
    queue: callback.queue,
    dueAt: nextWorkingMorning(Date.parse(ctx.now)),
    form: { second_chance: 'yes' },
  };
};
