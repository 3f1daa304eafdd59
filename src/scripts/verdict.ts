import type { CheckedVerdict, VerdictCheck } from './types';

/** The bounds a verdict is held to; the form's are those of the API (src/api/schemas.ts FORM). */
export const VERDICT_LIMITS = {
  reasonChars: 200,
  numberChars: 64,
  queueChars: 128,
  formKeys: 50,
  formKeyPattern: /^[A-Za-z0-9_]{1,64}$/,
  formValueChars: 500,
  /** A year: a later callback is a mistake, not a plan. */
  maxDelayMinutes: 525_600,
  maxPriority: 9,
} as const;

/** Keys that would reach an object's prototype if someone assigned them one by one. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** An ISO 8601 date-time with an explicit zone: a time without one would be read in the daemon's zone, silently. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const CONTROL = /[\u0000-\u001f\u007f]/;

const KEYS: Record<string, readonly string[]> = {
  create: ['action', 'number', 'queue', 'dueAt', 'delayMinutes', 'priority', 'form'],
  skip: ['action', 'reason'],
  default: ['action'],
};

class Invalid extends Error {}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function text(value: unknown, key: string, max: number): string {
  if (typeof value !== 'string') throw new Invalid(`${key} must be a string, got ${describe(value)}`);
  if (value.trim() === '') throw new Invalid(`${key} must not be empty`);
  if (value.length > max) throw new Invalid(`${key} has ${value.length} characters, at most ${max}`);
  if (CONTROL.test(value)) throw new Invalid(`${key} must not contain control characters`);
  return value;
}

function dueAt(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new Invalid('dueAt as a number must be whole epoch milliseconds');
    return value;
  }
  if (typeof value !== 'string' || !ISO_WITH_ZONE.test(value)) throw new Invalid('dueAt must be an ISO 8601 time with a zone (2026-03-02T09:30:00Z) or epoch milliseconds');
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Invalid(`dueAt "${value}" is not a real time`);
  return ms;
}

function form(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new Invalid(`form must be an object of strings, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length > VERDICT_LIMITS.formKeys) throw new Invalid(`form has ${keys.length} keys, at most ${VERDICT_LIMITS.formKeys}`);
  const out: Record<string, string> = {};
  for (const key of keys) {
    if (!VERDICT_LIMITS.formKeyPattern.test(key) || FORBIDDEN_KEYS.has(key)) throw new Invalid(`form key "${key.slice(0, 70)}" must be letters, digits or _ (1 to 64)`);
    const v = value[key];
    if (typeof v !== 'string') throw new Invalid(`form.${key} must be a string, got ${describe(v)}`);
    if (v.length > VERDICT_LIMITS.formValueChars) throw new Invalid(`form.${key} has ${v.length} characters, at most ${VERDICT_LIMITS.formValueChars}`);
    out[key] = v;
  }
  return out;
}

type CheckedCreate = Extract<CheckedVerdict, { action: 'create' }>;

function create(raw: Record<string, unknown>): CheckedCreate {
  const out: CheckedCreate = { action: 'create' };
  if (raw.number !== undefined) out.number = text(raw.number, 'number', VERDICT_LIMITS.numberChars);
  if (raw.queue !== undefined) out.queue = text(raw.queue, 'queue', VERDICT_LIMITS.queueChars);
  if (raw.dueAt !== undefined && raw.delayMinutes !== undefined) throw new Invalid('give dueAt or delayMinutes, not both');
  if (raw.dueAt !== undefined) out.dueAt = dueAt(raw.dueAt);
  if (raw.delayMinutes !== undefined) {
    const d = raw.delayMinutes;
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || d > VERDICT_LIMITS.maxDelayMinutes) {
      throw new Invalid(`delayMinutes must be a number from 0 to ${VERDICT_LIMITS.maxDelayMinutes}`);
    }
    out.delayMinutes = d;
  }
  if (raw.priority !== undefined) {
    const p = raw.priority;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > VERDICT_LIMITS.maxPriority) throw new Invalid(`priority must be a whole number from 0 to ${VERDICT_LIMITS.maxPriority}`);
    out.priority = p;
  }
  if (raw.form !== undefined) out.form = form(raw.form);
  return out;
}

function check(raw: unknown): CheckedVerdict {
  if (raw === undefined) return { action: 'default' };
  if (!isPlainObject(raw)) throw new Invalid(`a verdict is an object with an action, got ${describe(raw)}`);
  const action = raw.action;
  if (typeof action !== 'string' || !(action in KEYS)) throw new Invalid('action must be "create", "skip" or "default"');
  const allowed = KEYS[action];
  // Set but undefined is left out, as JSON would: `{ action: 'create', queue: cond ? 'x' : undefined }` is fair.
  const unknown = Object.keys(raw).filter((k) => !allowed.includes(k) && raw[k] !== undefined);
  if (unknown.length > 0) throw new Invalid(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')} for action ${action}; expected ${allowed.join(', ')}`);
  if (action === 'skip') return { action: 'skip', reason: text(raw.reason, 'reason', VERDICT_LIMITS.reasonChars) };
  if (action === 'default') return { action: 'default' };
  return create(raw);
}

/**
 * Whether a script's answer is a verdict, strictly: unknown keys, wrong types, out-of-range
 * values are refused with the first problem found. Returning nothing means default. The shape
 * only: a number is checked against the number rules by whoever acts on it.
 */
export function validateVerdict(raw: unknown): VerdictCheck {
  try {
    return { ok: true, verdict: check(raw) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, problem: err.message };
    // A getter or a proxy in what the script returned: that is not a verdict either.
    return { ok: false, problem: `the verdict could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}
