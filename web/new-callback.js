// The form for a manual callback: number, queue, when, note, the call it relates to.

import { post } from './api.js';
import { $, h, replace, showError } from './dom.js';
import { newKey, relativeTime, shortId } from './format.js';
import { whenChoice } from './dialogs.js';

export function newCallbackForm({ root, onCreated, onOpen }) {
  const form = $('form', root);
  const error = $('.error', root);
  const done = $('.done', root);
  const when = whenChoice({ allowNow: true, minutes: 15 });
  $('[data-role=when]', root).replaceWith(when.node);
  const submit = $('button[type=submit]', form);
  /** One key per callback asked for: a retried submission (a timeout, a double click) never makes a second one. */
  let key = newKey();
  form.addEventListener('input', () => {
    form.createLostCallEvent.disabled = !form.relatedCallId.value.trim();
    if (form.createLostCallEvent.disabled) form.createLostCallEvent.checked = false;
  });
  form.createLostCallEvent.disabled = true;

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    done.hidden = true;
    let body;
    try {
      body = {
        number: form.number.value.trim(),
        queue: form.queue.value.trim(),
        ...when.read(),
        note: form.note.value.trim() || undefined,
        relatedCallId: form.relatedCallId.value.trim() || undefined,
        createLostCallEvent: form.createLostCallEvent.checked || undefined,
      };
    } catch (err) {
      showError(error, err.message);
      return;
    }
    submit.disabled = true;
    try {
      const created = await post('/callbacks', body, key);
      key = newKey();
      const cb = created.callback ?? created;
      replace(done,
        h('b', {}, created.merged ? 'Merged' : 'Created'), ' ',
        h('a', { href: '#', onclick: (e) => { e.preventDefault(); onOpen(cb); } }, shortId(cb.id)),
        created.merged ? ` into the pending callback for ${cb.number}` : ` for ${cb.number}`,
        cb.dueAt ? `, due ${relativeTime(cb.dueAt)}.` : '.');
      done.hidden = false;
      form.number.value = '';
      form.note.value = '';
      form.relatedCallId.value = '';
      form.createLostCallEvent.checked = false;
      form.createLostCallEvent.disabled = true;
      onCreated(cb);
    } catch (err) {
      showError(error, err.message);
    } finally {
      submit.disabled = false;
    }
  });

  return { focus: () => form.number.focus() };
}
