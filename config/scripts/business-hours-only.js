/**
 * business-hours-only.js: no callbacks are made outside business hours.
 *
 * From 08:00 to 18:00 in TIME_ZONE (the hour the daemon's clock shows there, ctx.now), the
 * embedded decision stands; outside those hours the request is skipped with the reason
 * "outside business hours", which supervisors see with the call.
 *
 * Name it on a transition:   script: scripts/business-hours-only.js
 */
'use strict';

const TIME_ZONE = 'Europe/Prague';
const OPENS_HOUR = 8;
const CLOSES_HOUR = 18;

const hourFormat = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, hour: 'numeric', hourCycle: 'h23' });

module.exports = function decide(ctx) {
  const hour = Number(hourFormat.format(new Date(ctx.now)));
  if (hour < OPENS_HOUR || hour >= CLOSES_HOUR) return { action: 'skip', reason: 'outside business hours' };
  return { action: 'default' };
};
