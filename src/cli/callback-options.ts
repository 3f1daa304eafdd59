import type { Config, TransitionRule } from '../config/types';
import { InvalidNumberError, InvalidRequestError, NotFoundError } from '../domain/errors';
import { checkNumberAllowed, isAnonymous, normaliseNumber } from '../domain/number';
import { checkTransition, findTransition } from '../domain/rules';
import { STATUSES, type Status } from '../domain/types';
import { MAX_DELAY_MINUTES, MAX_LIMIT, PAST_GRACE_MS, type Timing } from '../service/input';
import { isoTime } from './table';

/**
 * The callback commands' options, read and checked before the database is opened (a refused
 * request leaves no new file behind), with messages that name the option and the configuration
 * key to change. The service checks again whatever reaches it; these say it in the CLI's words.
 */

export function parseStatus(text: string): Status {
  const status = STATUSES.find((s) => s.toLowerCase() === text.trim().toLowerCase());
  if (!status) throw new InvalidRequestError(`--status "${text}" is not a status: give one of ${STATUSES.join(', ')} (any case)`);
  return status;
}

export function parseLimit(text: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidRequestError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, not "${text}"`);
  return n;
}

export function parseDelay(text: string): number {
  if (!/^\s*-?\d+\s*$/.test(text)) throw new InvalidRequestError(`--delay-minutes must be a whole number of minutes, not "${text}"`);
  const n = Number(text);
  if (n < 0) throw new InvalidRequestError(`--delay-minutes must be 0 or more, not ${n} (0 = due now)`);
  if (n > MAX_DELAY_MINUTES) throw new InvalidRequestError(`--delay-minutes must be at most ${MAX_DELAY_MINUTES} (a year), not ${n}`);
  return n;
}

/**
 * When the callback is due: `--due now`, a future ISO 8601 time, or a delay. Neither: due now
 * (create), or refused when `required` (reschedule).
 */
export function parseTiming(opts: { delayMinutes?: string; due?: string }, now: number, required = false): Timing {
  if (opts.delayMinutes !== undefined && opts.due !== undefined) throw new InvalidRequestError('give --delay-minutes or --due, not both');
  if (opts.due === undefined) {
    if (opts.delayMinutes === undefined && required) throw new InvalidRequestError('give --due (an ISO 8601 time, or "now") or --delay-minutes');
    return { delayMinutes: opts.delayMinutes === undefined ? 0 : parseDelay(opts.delayMinutes) };
  }
  if (opts.due.trim().toLowerCase() === 'now') return { delayMinutes: 0 };
  const ms = /\d/.test(opts.due) ? Date.parse(opts.due) : NaN;
  if (Number.isNaN(ms)) throw new InvalidRequestError(`--due "${opts.due}" is not a date and time (use ISO 8601, e.g. ${isoTime(now + 3_600_000)}, or "now")`);
  if (ms < now - PAST_GRACE_MS) throw new InvalidRequestError(`--due ${opts.due} is in the past (it is ${isoTime(now)} now): give a later time, or --due now`);
  return { dueAt: Math.max(ms, now) };
}

/** What numbers without + are read as, for messages. */
function readAs(config: Config): string {
  return `numbers without + or 00 are read as ${config.defaultCountry} numbers: defaultCountry / CALLBACKD_DEFAULT_COUNTRY`;
}

/**
 * `create --number`, checked before the database is opened (a refused request leaves no new
 * file behind): empty or a word first, then the same checks as Callbacks.validNumber.
 */
export function checkNumber(raw: string, config: Config, rule: TransitionRule): void {
  if (raw.trim() === '') throw new InvalidNumberError('--number is empty: give the number to call back, e.g. +12025550123');
  if (isAnonymous(raw)) throw new InvalidNumberError(`--number "${raw.trim()}" is not a phone number: give the digits to call back`);
  try {
    checkNumberAllowed(normaliseNumber(raw, config.defaultCountry), rule.numbers, config.defaultCountry);
  } catch (err) {
    throw withNumberHint(err, config, rule, raw);
  }
}

/** `list --number`: compared as stored, in E.164, so read it the way `create` does. */
export function listNumber(raw: string, config: Config): string {
  try {
    return normaliseNumber(raw, config.defaultCountry);
  } catch (err) {
    if (err instanceof InvalidNumberError) throw new InvalidRequestError(`--number "${raw}" is not a valid phone number (${readAs(config)})`);
    throw err;
  }
}

/**
 * The transition that takes manual callbacks for `queue`, or an InvalidRequestError saying
 * which transitions key to change. A queue no transition names is accepted only through a "*"
 * rule; then `note` says so when other transitions name their queues (likely a typo).
 */
export function manualRule(config: Config, queue: string, note: (text: string) => void, at: number): TransitionRule {
  if (queue.trim() === '') throw new InvalidRequestError('--queue is empty: give the queue whose calls the callback belongs to');
  const rules = config.transitions;
  const rule = findTransition(rules, queue, 'manual', at);
  const named = rules.filter((t) => t.sourceQueue === queue);
  if (rule) {
    const specific = rules.filter((t) => t.sourceQueue !== '*').map((t) => t.sourceQueue);
    if (named.length === 0 && specific.length > 0 && !rules.some((t) => t.targetQueue === queue)) {
      note(`no transition names queue "${queue}" (transitions[].sourceQueue: ${specific.join(', ')}); the catch-all transition "${rule.name}" (sourceQueue "*") takes it`);
    }
    return rule;
  }
  const key = (t: TransitionRule) => `transitions[${rules.indexOf(t)}]`;
  const without = named.length > 0 ? named : rules.filter((t) => t.sourceQueue === '*');
  const offSchedule = without.find((t) => t.mechanisms.includes('manual'));
  if (offSchedule) {
    const check = checkTransition(offSchedule, queue, 'manual', at);
    throw new InvalidRequestError(`no transition takes manual callbacks for queue "${queue}" now: ${key(offSchedule)} (transition "${offSchedule.name}") is ${check.why} (callbackd rules explain --queue ${queue} --mechanism manual shows every transition)`);
  }
  if (without.length > 0) {
    const t = without[0];
    throw new InvalidRequestError(`no transition enables manual callbacks for queue "${queue}": add manual to ${key(t)}.mechanisms (transition "${t.name}": ${t.mechanisms.join(', ') || 'none'})`);
  }
  const manualQueues = rules.filter((t) => t.mechanisms.includes('manual')).map((t) => t.sourceQueue);
  const target = rules.find((t) => t.targetQueue === queue && t.mechanisms.includes('manual'));
  const hint = target
    ? `; it is the targetQueue of ${key(target)} (transition "${target.name}"): give its source queue, --queue ${target.sourceQueue}`
    : manualQueues.length > 0
      ? `: give one of ${manualQueues.join(', ')}, or add a transition with sourceQueue "${queue}" (or "*") to transitions`
      : `: add a transition with sourceQueue "${queue}" (or "*") and manual in its mechanisms to transitions`;
  throw new InvalidRequestError(`no transition handles queue "${queue}" (no transitions[].sourceQueue is "${queue}" or "*")${hint}`);
}

/** A refused number, with the key that would allow it (the refusal says which rule refused it). */
export function withNumberHint(err: unknown, config: Config, rule: TransitionRule, raw: string): unknown {
  if (!(err instanceof InvalidNumberError)) return err;
  const key = `transitions[${config.transitions.indexOf(rule)}].numbers`;
  const name = `transition "${rule.name}"`;
  let hint: string | null = null;
  const refusal = err.refusal;
  if (refusal?.rule === 'allowCountries' && refusal.country) {
    const { country } = refusal;
    hint = rule.numbers.allowCountries.length === 0
      ? `to call it, add ${country} to ${key}.allowCountries (${name}; empty allows only defaultCountry), or set defaultCountry to ${country} (CALLBACKD_DEFAULT_COUNTRY=${country})`
      : `to call it, add ${country} to ${key}.allowCountries (${name})`;
  } else if (refusal?.rule === 'allowTypes') {
    hint = `to call it, add ${refusal.type} to ${key}.allowTypes (${name})`;
  } else if (refusal) {
    hint = `see ${key}.${refusal.rule} (${name})`;
  } else if (!/^\s*(\+|00)/.test(raw) && / is not a valid phone number$/.test(err.message)) {
    hint = readAs(config);
  }
  if (hint) err.message = `${err.message}: ${hint}`;
  return err;
}

export function notFound(err: unknown, id: string): unknown {
  if (err instanceof NotFoundError && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    err.message = `${err.message} (give the whole id, 36 characters, as list and create print it)`;
  }
  return err;
}
