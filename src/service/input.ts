import { InvalidNumberError, InvalidRequestError } from '../domain/errors';
import { normaliseNumber } from '../domain/number';
import { MECHANISMS, STATUSES, type CallRecord, type Form, type Mechanism, type Status } from '../domain/types';

/**
 * What front ends hand the service is checked here, whatever its type: the HTTP API passes what a
 * client sent (JSON bodies, query strings), so nothing is trusted because TypeScript typed it.
 * Every refusal is an InvalidRequestError naming the field.
 */

/** A page holds at least one row and at most this many. */
export const MAX_LIMIT = 1000;
/** A delay of at most a year ahead. */
export const MAX_DELAY_MINUTES = 525_600;
/** A due time this close behind the clock counts as now (a time typed to the minute). */
export const PAST_GRACE_MS = 60_000;
const MAX_NOTE = 2000;
const MAX_FORM_KEYS = 50;
const MAX_FORM_VALUE = 500;
const FORM_KEY = /^[A-Za-z0-9_]{1,64}$/;

export const CALL_RESULTS: readonly CallRecord['result'][] = ['waiting', 'served', 'abandoned', 'callback', 'left'];

export function requiredText(value: unknown, name: string, max = 200): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidRequestError(`${name} is required (a non-empty string)`);
  if (value.length > max) throw new InvalidRequestError(`${name} is longer than ${max} characters`);
  return value.trim();
}

/**
 * A queue reaches the PBX inside dialplan application arguments (Queue(${CB_QUEUE},…) on
 * Asterisk), where a comma, a pipe or a parenthesis would add options of its own: a queue a
 * client names may hold only what queue names are made of (FreeSWITCH's have an @domain).
 */
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,79}$/;

export function queueName(value: unknown, name = 'queue'): string {
  const queue = requiredText(value, name, 80);
  if (!QUEUE_NAME.test(queue)) throw new InvalidRequestError(`${name} "${queue}" is not a queue name (letters, digits and _ . @ + - only)`);
  return queue;
}

/** Absent, null or blank: null. */
export function optionalText(value: unknown, name: string, max = MAX_NOTE): string | null {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
  return requiredText(value, name, max);
}

export function optionalFlag(value: unknown, name: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new InvalidRequestError(`${name} must be true or false`);
  return value;
}

/** Form values travel to the agent and to scripts: plain names, short strings, a bounded number of them. */
export function optionalForm(value: unknown, name = 'form'): Form {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidRequestError(`${name} must be an object of names to strings`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_FORM_KEYS) throw new InvalidRequestError(`${name} has more than ${MAX_FORM_KEYS} fields`);
  const form: Form = {};
  for (const [key, v] of entries) {
    if (!FORM_KEY.test(key)) throw new InvalidRequestError(`${name} field "${key.slice(0, 64)}" is not a name (letters, digits, _)`);
    if (typeof v !== 'string' || v.length > MAX_FORM_VALUE) throw new InvalidRequestError(`${name}.${key} must be a string of at most ${MAX_FORM_VALUE} characters`);
    form[key] = v;
  }
  return form;
}

/** A count from JSON (a number) or a query string (digits). */
function wholeNumber(value: unknown, name: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidRequestError(`${name} must be a whole number, not ${JSON.stringify(value)}`);
  return n;
}

export function pageLimit(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = wholeNumber(value, 'limit');
  if (n < 1 || n > MAX_LIMIT) throw new InvalidRequestError(`limit must be from 1 to ${MAX_LIMIT}, not ${n}`);
  return n;
}

export function optionalCursor(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return requiredText(value, 'cursor', 500);
}

export function eventId(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  return wholeNumber(value, 'after');
}

/** Any case, as people type it. */
function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  const found = allowed.find((a) => a.toLowerCase() === text);
  if (!found) throw new InvalidRequestError(`${name} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return found;
}

export const optionalStatus = (value: unknown): Status | undefined => oneOf(value, 'status', STATUSES);
export const optionalMechanism = (value: unknown): Mechanism | undefined => oneOf(value, 'mechanism', MECHANISMS);
export const optionalResult = (value: unknown): CallRecord['result'] | undefined => oneOf(value, 'result', CALL_RESULTS);

/** A number to look for, compared as stored (E.164), so it is read the way a new callback's number is. */
export function searchNumber(value: unknown, defaultCountry: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = requiredText(value, 'number', 64);
  try {
    return normaliseNumber(text, defaultCountry);
  } catch (err) {
    if (err instanceof InvalidNumberError) throw new InvalidRequestError(`number "${text}" is not a valid phone number (numbers without + or 00 are read as ${defaultCountry} numbers)`);
    throw err;
  }
}

/** When a callback is due: an explicit time (kept as given), or a delay (moved into the calling window). */
export type Timing = { dueAt: number } | { delayMinutes: number };

/**
 * `dueAt` is epoch milliseconds, an ISO 8601 string, or "now" (a delay of 0); `delayMinutes` a
 * whole number of minutes up to a year. One of them, not both; neither is `fallback` when given.
 */
export function timing(input: { dueAt?: unknown; delayMinutes?: unknown }, now: number, fallback: Timing | null): Timing {
  const { dueAt, delayMinutes } = input;
  const hasDue = dueAt !== undefined && dueAt !== null && dueAt !== '';
  const hasDelay = delayMinutes !== undefined && delayMinutes !== null && delayMinutes !== '';
  if (hasDue && hasDelay) throw new InvalidRequestError('give dueAt or delayMinutes, not both');
  if (hasDelay) {
    const n = typeof delayMinutes === 'number' && Number.isInteger(delayMinutes) ? delayMinutes : NaN;
    if (Number.isNaN(n)) throw new InvalidRequestError(`delayMinutes must be a whole number of minutes, not ${JSON.stringify(delayMinutes)}`);
    if (n < 0 || n > MAX_DELAY_MINUTES) throw new InvalidRequestError(`delayMinutes must be from 0 (due now) to ${MAX_DELAY_MINUTES} (a year), not ${n}`);
    return { delayMinutes: n };
  }
  if (!hasDue) {
    if (fallback) return fallback;
    throw new InvalidRequestError('give dueAt (a time, or "now") or delayMinutes');
  }
  if (typeof dueAt === 'string' && dueAt.trim().toLowerCase() === 'now') return { delayMinutes: 0 };
  const ms = typeof dueAt === 'number' ? dueAt : typeof dueAt === 'string' && /\d/.test(dueAt) ? Date.parse(dueAt) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidRequestError(`dueAt ${JSON.stringify(dueAt)} is not a time (ISO 8601 with its offset, e.g. ${new Date(now + 3_600_000).toISOString()}, or "now")`);
  if (ms < now - PAST_GRACE_MS) throw new InvalidRequestError(`dueAt ${JSON.stringify(dueAt)} is in the past (it is ${new Date(now).toISOString()} now)`);
  return { dueAt: Math.max(Math.trunc(ms), now) };
}
