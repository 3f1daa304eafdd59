/**
 * vip-lookup.js: callers listed in the contact table `vip` are called back first and at once.
 *
 * The table is keyed by the caller's number in E.164 (+420601111222). A caller found there gets
 * a callback with priority 9 and no delay, whatever the embedded rules proposed, and the
 * callback's form says vip=yes and carries the row's name. Anyone else: the embedded decision.
 * The number is still checked against the transition's number rules by the daemon.
 *
 * Name it on a transition:   script: scripts/vip-lookup.js
 */
'use strict';

module.exports = async function decide(ctx) {
  // The proposal's number is normalised; a skipped call only has what the PBX sent.
  const number = ctx.proposal.action === 'create' ? ctx.proposal.number : ctx.call && ctx.call.number;
  if (!number) return { action: 'default' };

  const row = await ctx.contacts.lookup('vip', number);
  if (!row) return { action: 'default' };

  const form = { vip: 'yes' };
  if (typeof row.name === 'string' && row.name !== '') form.name = row.name;
  ctx.log.info('VIP caller: called back first', { number });
  return { action: 'create', number, priority: 9, delayMinutes: 0, form };
};
