import type { Command } from 'commander';
import { InvalidRequestError } from '../domain/errors';
import { STATUSES, type Attempt, type CallEvent, type Callback, type Status } from '../domain/types';
import { openContext, type GlobalOptions } from './context';
import { table, when } from './table';

function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function withContext<T>(command: Command, fn: (ctx: ReturnType<typeof openContext>) => T): T {
  const ctx = openContext(command.optsWithGlobals() as GlobalOptions);
  try {
    return fn(ctx);
  } finally {
    ctx.close();
  }
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
    table(['#', 'at', 'event', 'call', 'data'], events.map((e) => [String(e.id), when(e.at), e.type, e.callId ?? '', JSON.stringify(e.data)])),
  ].join('\n');
}

function parseWhen(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidRequestError(`--due "${text}" is not a date and time (use ISO 8601, e.g. 2026-11-24T15:30:00+01:00)`);
  return ms;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidRequestError(`${name} must be a whole number, not "${text}"`);
  return n;
}

export function registerCallbackCommands(program: Command): void {
  program
    .command('list')
    .description('list callbacks, newest first')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--number <number>', 'only this number (E.164)')
    .option('--queue <queue>', 'only this queue')
    .option('--limit <n>', 'at most this many', '50')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print JSON')
    .action(function (this: Command, opts: { status?: string; number?: string; queue?: string; limit: string; cursor?: string; json?: boolean }) {
      if (opts.status && !STATUSES.includes(opts.status as Status)) throw new InvalidRequestError(`--status must be one of ${STATUSES.join(', ')}`);
      withContext(this, ({ store }) => {
        const page = store.list({ status: opts.status as Status | undefined, number: opts.number, queue: opts.queue, limit: positiveInt('--limit', opts.limit), cursor: opts.cursor });
        print(!!opts.json, page, () => {
          const text = table(['id', 'status', 'number', 'queue', 'due', 'attempts', 'mechanism', 'created'], callbackRows(page.items));
          return page.nextCursor ? `${text}\n(more: --cursor ${page.nextCursor})` : text;
        });
      });
    });

  program
    .command('show <id>')
    .description('one callback with its attempts and events')
    .option('--json', 'print JSON')
    .action(function (this: Command, id: string, opts: { json?: boolean }) {
      withContext(this, ({ callbacks, store }) => {
        const callback = callbacks.get(id);
        const attempts = store.attemptsOf(id);
        const events = store.eventsOf(id);
        print(!!opts.json, { ...callback, attempts, events }, () => describe(callback, attempts, events));
      });
    });

  program
    .command('create')
    .description('create a manual callback')
    .requiredOption('--number <number>', 'number to call back')
    .requiredOption('--queue <queue>', 'queue whose agents take the callback')
    .option('--delay-minutes <n>', 'due this many minutes from now')
    .option('--due <time>', 'due at this ISO 8601 time')
    .option('--note <text>', 'a note for the agent')
    .option('--related-call-id <id>', 'the call this follows up')
    .option('--lost-call-event', 'record a LostCall event with the Shifted reference (Neglected applies)')
    .option('--json', 'print JSON')
    .action(function (this: Command, opts: { number: string; queue: string; delayMinutes?: string; due?: string; note?: string; relatedCallId?: string; lostCallEvent?: boolean; json?: boolean }) {
      if (opts.delayMinutes !== undefined && opts.due !== undefined) throw new InvalidRequestError('give --delay-minutes or --due, not both');
      withContext(this, ({ callbacks }) => {
        const { callback, merged } = callbacks.request({
          number: opts.number,
          queue: opts.queue,
          mechanism: 'manual',
          dueAt: opts.due !== undefined ? parseWhen(opts.due) : undefined,
          delayMinutes: opts.delayMinutes !== undefined ? positiveInt('--delay-minutes', opts.delayMinutes) : 0,
          note: opts.note ?? null,
          originCallId: opts.relatedCallId ?? null,
          birthEvent: opts.lostCallEvent ? 'LostCall' : 'Created',
          shifted: !!opts.lostCallEvent,
          by: 'cli',
        });
        print(!!opts.json, { ...callback, merged }, () => `${merged ? 'merged into pending callback' : 'created'} ${callback.id}: ${callback.status} ${callback.number} in ${callback.queue}, due ${when(callback.dueAt)}`);
      });
    });

  program
    .command('cancel <id>')
    .description('cancel a Scheduled callback')
    .option('--reason <text>', 'why', 'cancelled from the command line')
    .option('--json', 'print JSON')
    .action(function (this: Command, id: string, opts: { reason: string; json?: boolean }) {
      withContext(this, ({ callbacks }) => {
        const callback = callbacks.cancel(id, 'cli', opts.reason);
        print(!!opts.json, callback, () => `cancelled ${callback.id}`);
      });
    });
}
