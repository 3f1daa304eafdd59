/**
 * route-by-language.js: German-speaking callers are called back from the queue support-de.
 *
 * The IVR sets CB_FORM_LANGUAGE (the form's LANGUAGE; `language` when set through the API).
 * When it is "de" and the embedded rules would make a callback, the callback goes to support-de
 * instead of the transition's target queue; everything else about it stays as proposed. A skip
 * stays a skip.
 *
 * Name it on a transition:   script: scripts/route-by-language.js
 */
'use strict';

const QUEUE_BY_LANGUAGE = new Map([['de', 'support-de']]);

module.exports = function decide(ctx) {
  if (ctx.proposal.action !== 'create') return { action: 'default' };
  const language = String(ctx.form.language || ctx.form.LANGUAGE || '').trim().toLowerCase();
  const queue = QUEUE_BY_LANGUAGE.get(language);
  if (!queue) return { action: 'default' };
  return { action: 'create', queue };
};
