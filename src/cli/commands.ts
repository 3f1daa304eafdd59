import type { Command } from 'commander';
import type { Config, TransitionRule } from '../config/types';
import { InvalidNumberError, InvalidRequestError, NotFoundError } from '../domain/errors';
import { checkNumberAllowed, isAnonymous, normaliseNumber } from '../domain/number';
import { findTransition } from '../domain/rules';
import { STATUSES, type Attempt, type CallEvent, type Callback, type Status } from '../domain/types';
import { loadConfigFor, openContext, type CommandContext, type GlobalOptions } from './context';
import { isoTime, table, when } from './table';

/** `list --limit`: at least one row, at most this many. */
export const MAX_LIMIT = 1000;
/** `create --delay-minutes`: at most a year ahead. */
const MAX_DELAY_MINUTES = 525_600;
/** A `--due` this close behind the clock counts as now (a time typed to the minute). */
const PAST_GRACE_MS = 60_000;

function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

async function withContext<T>(config: Config, create: boolean, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(config, { create });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/*
 * JSON shapes (keys stable; every time is ISO 8601 with the local offset, or null):
 *   callback: id, status, number, queue, mechanism, transition, dueAt, expiresAt, createdAt,
 *             updatedAt, attempts (how many were made: a number), queuePosition, originCallId,
 *             shifted, note, form, claimOwner, claimUntil, version
 *   list:     { items: callback[], nextCursor: string | null }
 *   show:     callback + attemptHistory: attempt[] + events: event[]
 *   create:   callback + merged: boolean;   cancel: callback
 *   attempt:  id, seq, mode, startedAt, endedAt, outcome, detail, placeholderRef, customerRef
 *   event:    id, at, type, callId, data (a Rescheduled event's data.dueAt is ISO too)
 *   error (stderr): { error: { code, message } }
 */
export function callbackJson(c: Callback): Record<string, unknown> {
  return {
    id: c.id,
    status: c.status,
    number: c.number,
    queue: c.queue,
    mechanism: c.mechanism,
    transition: c.transition,
    dueAt: isoTime(c.dueAt),
    expiresAt: isoTime(c.expiresAt),
    createdAt: isoTime(c.createdAt),
    updatedAt: isoTime(c.updatedAt),
    attempts: c.attempts,
    queuePosition: c.queuePosition,
    originCallId: c.originCallId,
    shifted: c.shifted,
    note: c.note,
    form: c.form,
    claimOwner: c.claimOwner,
    claimUntil: isoTime(c.claimUntil),
    version: c.version,
  };
}

export function attemptJson(a: Attempt): Record<string, unknown> {
  return {
    id: a.id,
    seq: a.seq,
    mode: a.mode,
    startedAt: isoTime(a.startedAt),
    endedAt: isoTime(a.endedAt),
    outcome: a.outcome,
    detail: a.detail,
    placeholderRef: a.placeholderRef,
    customerRef: a.customerRef,
  };
}

export function eventJson(e: CallEvent): Record<string, unknown> {
  const data = typeof e.data.dueAt === 'number' ? { ...e.data, dueAt: isoTime(e.data.dueAt) } : e.data;
  return { id: e.id, at: isoTime(e.at), type: e.type, callId: e.callId, data };
}

function callbackRows(items: readonly Callback[]): string[][] {
  return items.map((c) => [c.id, c.status, c.number, c.queue, c.dueAt === null && c.status === 'Scheduled' ? 'in queue' : when(c.dueAt), String(c.attempts), c.mechanism, when(c.createdAt)]);
}

function describe(c: Callback, attempts: readonly Attempt[], events: readonly CallEvent[]): string {
  const fields: [string, string][] = [
    ['id', c.id],
    ['status', c.status],
    ['number', c.number],
    ['queue', c.queue],
    ['due', c.dueAt === null && c.status === 'Scheduled' ? `holding place ${c.queuePosition ?? 1} in the queue` : when(c.dueAt)],
    ['expires', when(c.expiresAt)],
    ['mechanism', c.mechanism],
    ['transition', c.transition],
    ['attempts', String(c.attempts)],
    ['origin call', c.originCallId ?? '-'],
    ['shifted', c.shifted ? 'yes' : 'no'],
    ['note', c.note ?? '-'],
    ['form', Object.keys(c.form).length ? Object.entries(c.form).map(([k, v]) => `${k}=${v}`).join(', ') : '-'],
    ['created', when(c.createdAt)],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  return [
    fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'),
    '',
    'Attempts',
    attempts.length ? table(['#', 'mode', 'started', 'ended', 'outcome', 'detail'], attempts.map((a) => [String(a.seq), a.mode, when(a.startedAt), when(a.endedAt), a.outcome ?? (a.endedAt ? '-' : 'under way'), a.detail ?? ''])) : '(none)',
    '',
    'Events',
    table(['#', 'at', 'event', 'call', 'data'], events.map((e) => [String(e.id), when(e.at), e.type, e.callId ?? '', JSON.stringify(eventJson(e).data)])),
  ].join('\n');
}

function parseStatus(text: string): Status {
  const status = STATUSES.find((s) => s.toLowerCase() === text.trim().toLowerCase());
  if (!status) throw new InvalidRequestError(`--status "${text}" is not a status: give one of ${STATUSES.join(', ')} (any case)`);
  return status;
}

function parseLimit(text: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidRequestError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, not "${text}"`);
  return n;
}

function parseDelay(text: string): number {
  if (!/^\s*-?\d+\s*$/.test(text)) throw new InvalidRequestError(`--delay-minutes must be a whole number of minutes, not "${text}"`);
  const n = Number(text);
  if (n < 0) throw new InvalidRequestError(`--delay-minutes must be 0 or more, not ${n} (0 = due now)`);
  if (n > MAX_DELAY_MINUTES) throw new InvalidRequestError(`--delay-minutes must be at most ${MAX_DELAY_MINUTES} (a year), not ${n}`);
  return n;
}

/** When the callback is due: `--due now`, a future ISO 8601 time, or a delay (default 0: due now). */
function parseTiming(opts: { delayMinutes?: string; due?: string }, now: number): { dueAt?: number; delayMinutes: number } {
  if (opts.delayMinutes !== undefined && opts.due !== undefined) throw new InvalidRequestError('give --delay-minutes or --due, not both');
  if (opts.due === undefined) return { delayMinutes: opts.delayMinutes === undefined ? 0 : parseDelay(opts.delayMinutes) };
  if (opts.due.trim().toLowerCase() === 'now') return { delayMinutes: 0 };
  const ms = /\d/.test(opts.due) ? Date.parse(opts.due) : NaN;
  if (Number.isNaN(ms)) throw new InvalidRequestError(`--due "${opts.due}" is not a date and time (use ISO 8601, e.g. ${isoTime(now + 3_600_000)}, or "now")`);
  if (ms < now - PAST_GRACE_MS) throw new InvalidRequestError(`--due ${opts.due} is in the past (it is ${isoTime(now)} now): give a later time, or --due now`);
  return { dueAt: Math.max(ms, now), delayMinutes: 0 };
}

/** What numbers without + are read as, for messages. */
function readAs(config: Config): string {
  return `numbers without + or 00 are read as ${config.defaultCountry} numbers: defaultCountry / CALLBACKD_DEFAULT_COUNTRY`;
}

/**
 * `create --number`, checked before the database is opened (a refused request leaves no new
 * file behind): empty or a word first, then the same checks as Callbacks.validNumber.
 */
function checkNumber(raw: string, config: Config, rule: TransitionRule): void {
  if (raw.trim() === '') throw new InvalidNumberError('--number is empty: give the number to call back, e.g. +12025550123');
  if (isAnonymous(raw)) throw new InvalidNumberError(`--number "${raw.trim()}" is not a phone number: give the digits to call back`);
  try {
    checkNumberAllowed(normaliseNumber(raw, config.defaultCountry), rule.numbers, config.defaultCountry);
  } catch (err) {
    throw withNumberHint(err, config, rule, raw);
  }
}

/** `list --number`: compared as stored, in E.164, so read it the way `create` does. */
function listNumber(raw: string, config: Config): string {
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
function manualRule(config: Config, queue: string, note: (text: string) => void): TransitionRule {
  if (queue.trim() === '') throw new InvalidRequestError('--queue is empty: give the queue whose calls the callback belongs to');
  const rules = config.transitions;
  const rule = findTransition(rules, queue, 'manual');
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
function withNumberHint(err: unknown, config: Config, rule: TransitionRule, raw: string): unknown {
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

function notFound(err: unknown, id: string): unknown {
  if (err instanceof NotFoundError && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    err.message = `${err.message} (give the whole id, 36 characters, as list and create print it)`;
  }
  return err;
}

export function registerCallbackCommands(program: Command): void {
  program
    .command('list')
    .description('list callbacks, newest first')
    .option('--status <status>', `only this status (${STATUSES.join(', ')}; any case)`)
    .option('--number <number>', 'only this number (E.164, or national as for create)')
    .option('--queue <queue>', 'only this queue')
    .option('--limit <n>', `at most this many, 1 to ${MAX_LIMIT}`, '50')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { status?: string; number?: string; queue?: string; limit: string; cursor?: string; json?: boolean }) {
      const config = loadConfigFor(globals(this));
      const filter = {
        status: opts.status === undefined ? undefined : parseStatus(opts.status),
        number: opts.number === undefined ? undefined : listNumber(opts.number, config),
        queue: opts.queue,
        limit: parseLimit(opts.limit),
        cursor: opts.cursor,
      };
      await withContext(config, false, async ({ store }) => {
        const page = await store.list(filter);
        print(!!opts.json, { items: page.items.map(callbackJson), nextCursor: page.nextCursor }, () => {
          const text = table(['id', 'status', 'number', 'queue', 'due', 'attempts', 'mechanism', 'created'], callbackRows(page.items));
          return page.nextCursor ? `${text}\n(more: --cursor ${page.nextCursor})` : text;
        });
      });
    });

  program
    .command('show <id>')
    .description('one callback with its attempts and events')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string, opts: { json?: boolean }) {
      const config = loadConfigFor(globals(this));
      await withContext(config, false, async ({ callbacks, store }) => {
        let callback: Callback;
        try {
          callback = await callbacks.get(id);
        } catch (err) {
          throw notFound(err, id);
        }
        const attempts = await store.attemptsOf(id);
        const events = await store.eventsOf(id);
        print(!!opts.json, { ...callbackJson(callback), attemptHistory: attempts.map(attemptJson), events: events.map(eventJson) }, () => describe(callback, attempts, events));
      });
    });

  program
    .command('create')
    .description('create a manual callback')
    .requiredOption('--number <number>', 'number to call back (E.164, or national in defaultCountry)')
    .requiredOption('--queue <queue>', 'queue the callback is for (a transition sourceQueue)')
    .option('--delay-minutes <n>', 'due this many minutes from now (default 0: now)')
    .option('--due <time>', 'due at this ISO 8601 time (e.g. 2026-11-24T15:30:00+01:00), or "now"')
    .option('--note <text>', 'a note for the agent')
    .option('--related-call-id <id>', 'the call this follows up')
    .option('--lost-call-event', 'record a LostCall event with the Shifted reference (Neglected applies)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { number: string; queue: string; delayMinutes?: string; due?: string; note?: string; relatedCallId?: string; lostCallEvent?: boolean; json?: boolean }) {
      const config = loadConfigFor(globals(this));
      const timing = parseTiming(opts, Date.now());
      const rule = manualRule(config, opts.queue, (text) => {
        if (!opts.json) process.stderr.write(`callbackd: note: ${text}\n`);
      });
      checkNumber(opts.number, config, rule);
      await withContext(config, true, async ({ callbacks }) => {
        let result: Awaited<ReturnType<typeof callbacks.request>>;
        try {
          result = await callbacks.request({
            number: opts.number,
            queue: opts.queue,
            mechanism: 'manual',
            dueAt: timing.dueAt,
            delayMinutes: timing.delayMinutes,
            note: opts.note ?? null,
            originCallId: opts.relatedCallId ?? null,
            birthEvent: opts.lostCallEvent ? 'LostCall' : 'Created',
            shifted: !!opts.lostCallEvent,
            by: 'cli',
          });
        } catch (err) {
          throw withNumberHint(err, config, rule, opts.number);
        }
        const { callback, merged } = result;
        const asked = timing.dueAt ?? Date.now() + (timing.delayMinutes ?? 0) * 60_000;
        // The calling window moves a due time to its next opening; say so rather than surprise.
        const moved = !merged && callback.dueAt !== null && rule.window !== null && callback.dueAt - asked > 60_000;
        const why = moved ? ` (moved from ${when(asked)} to the next opening of the calling window of transition "${rule.name}", ${rule.window?.timezone})` : '';
        print(!!opts.json, { ...callbackJson(callback), merged }, () => `${merged ? 'merged into pending callback' : 'created'} ${callback.id}: ${callback.status} ${callback.number} in ${callback.queue}, due ${callback.dueAt === null ? 'when its place in the queue comes' : when(callback.dueAt)}${why}`);
      });
    });

  program
    .command('cancel <id>')
    .description('cancel a Scheduled callback')
    .option('--reason <text>', 'why', 'cancelled from the command line')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string, opts: { reason: string; json?: boolean }) {
      const config = loadConfigFor(globals(this));
      await withContext(config, false, async ({ callbacks }) => {
        let callback: Callback;
        try {
          callback = await callbacks.cancel(id, 'cli', opts.reason);
        } catch (err) {
          throw notFound(err, id);
        }
        print(!!opts.json, callbackJson(callback), () => `cancelled ${callback.id}`);
      });
    });
}
