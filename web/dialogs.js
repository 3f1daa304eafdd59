// Small modal dialogs (<dialog>: Esc closes, focus stays inside). Errors show inside the dialog,
// in the API's words; the dialog closes only once the API accepted.

import { h, showError } from './dom.js';
import { localInputToIso, localInputValue } from './format.js';

let serial = 0;

/**
 * openDialog({title, subtitle, fields: Node[], confirm, danger, submit(form) → Promise}) →
 * Promise of what submit resolved with, or null when dismissed.
 */
export function openDialog({ title, subtitle, fields, confirm, danger = false, submit, name }) {
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const ok = h('button', { type: 'submit', class: danger ? 'btn danger' : 'btn primary', 'data-role': 'confirm' }, confirm);
  const dismiss = h('button', { type: 'button', class: 'btn', value: 'dismiss' }, danger ? 'Keep it' : 'Close');
  const form = h('form', { class: 'dialog-form', method: 'dialog' },
    h('header', {}, h('h2', {}, title), subtitle ? h('p', { class: 'muted' }, subtitle) : null),
    h('div', { class: 'dialog-body' }, fields),
    error,
    h('footer', {}, dismiss, ok));
  const dialog = h('dialog', { class: 'dialog', 'data-dialog': name ?? 'dialog', 'aria-label': title }, form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let result = null;
    const close = () => dialog.close();
    dismiss.addEventListener('click', close);
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(error, '');
      ok.disabled = true;
      ok.classList.add('busy');
      try {
        result = (await submit(form)) ?? true;
        close();
      } catch (err) {
        showError(error, err.message);
      } finally {
        ok.disabled = false;
        ok.classList.remove('busy');
      }
    });
    dialog.showModal();
    const first = form.querySelector('[autofocus]') ?? form.querySelector('input:not([type=radio]):not([type=hidden]), textarea, select');
    first?.focus();
  });
}

export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), control, hint ? h('span', { class: 'hint' }, hint) : null);
}

/**
 * When a callback is due: now, in N minutes, or at a time. `read(form)` gives {delayMinutes} or
 * {dueAt} (ISO) as the API takes them, or throws a message for the person.
 */
export function whenChoice({ allowNow = true, minutes = 15 } = {}) {
  const id = `when-${++serial}`;
  const choice = (value, label, extra) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: id, value, checked: value === (allowNow ? 'now' : 'delay') }), h('span', {}, label), extra);
  const delay = h('input', { type: 'number', name: `${id}-minutes`, min: '0', max: '525600', step: '1', value: String(minutes), class: 'narrow', 'aria-label': 'minutes from now' });
  const at = h('input', { type: 'datetime-local', name: `${id}-at`, value: localInputValue(60), 'aria-label': 'date and time' });
  const pick = (value) => () => {
    const radio = node.querySelector(`input[type=radio][value=${value}]`);
    radio.checked = true;
  };
  delay.addEventListener('focus', pick('delay'));
  at.addEventListener('focus', pick('at'));
  const node = h('fieldset', { class: 'when' }, h('legend', {}, 'When'),
    allowNow ? choice('now', 'Now') : null,
    choice('delay', 'In', h('span', { class: 'inline' }, delay, ' minutes')),
    choice('at', 'At', at));
  return {
    node,
    read() {
      const picked = node.querySelector('input[type=radio]:checked')?.value;
      if (picked === 'now') return { dueAt: 'now' };
      if (picked === 'delay') {
        const n = Number(delay.value);
        if (!Number.isInteger(n) || n < 0) throw new Error('Give the delay as a whole number of minutes.');
        return { delayMinutes: n };
      }
      const iso = localInputToIso(at.value);
      if (!iso) throw new Error('Give a date and a time.');
      return { dueAt: iso };
    },
  };
}
