import type { Callback, Form } from './types';

export interface MergeRequest {
  dueAt: number | null;
  shifted: boolean;
  form: Form;
  note: string | null;
}

/**
 * A second request for a number and queue that already has a pending callback is folded into it:
 * the earlier due time wins (a caller who asks again should not wait longer), the Shifted
 * reference sticks once present, and form values and notes accumulate.
 */
export function mergedFields(existing: Callback, request: MergeRequest): Partial<Pick<Callback, 'dueAt' | 'shifted' | 'form' | 'note'>> {
  const fields: Partial<Pick<Callback, 'dueAt' | 'shifted' | 'form' | 'note'>> = {};
  const waitingForTime = existing.status === 'Scheduled' && existing.dueAt !== null;
  if (waitingForTime && request.dueAt !== null && request.dueAt < (existing.dueAt as number)) fields.dueAt = request.dueAt;
  if (request.shifted && !existing.shifted) fields.shifted = true;
  const form = { ...existing.form, ...request.form };
  if (Object.keys(form).length !== Object.keys(existing.form).length || Object.entries(request.form).some(([k, v]) => existing.form[k] !== v)) {
    fields.form = form;
  }
  if (request.note && request.note !== existing.note) fields.note = existing.note ? `${existing.note}\n${request.note}` : request.note;
  return fields;
}
