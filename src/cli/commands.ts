import type { Command } from 'commander';
import type { Config } from '../config/types';
import { STATUSES } from '../domain/types';
import type { CallbackDetail } from '../service/callback-detail';
import type { CreatedCallback } from '../service/create-callback';
import type { Timing } from '../service/input';
import { checkNumber, listNumber, manualRule, notFound, parseLimit, parseStatus, parseTiming, withNumberHint } from './callback-options';
import { MAX_LIMIT } from '../service/input';
import { attemptJson, callbackJson, eventJson } from '../service/json';
import { callbackRows, describe } from './callback-output';
import { loadConfigFor, openContext, type CommandContext, type GlobalOptions } from './context';
import { table, when } from './table';

/** Who the history says asked, for everything done from the command line. */
const BY = 'cli';

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

/** Run `work` on an existing callback: a "not found" for a shortened id says to give it whole. */
async function onCallback<T>(id: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw notFound(err, id);
  }
}

function showJson(detail: CallbackDetail): Record<string, unknown> {
  return { ...callbackJson(detail.callback), attemptHistory: detail.attempts.map(attemptJson), events: detail.events.map(eventJson) };
}

function dueText(dueAt: number | null): string {
  return dueAt === null ? 'when its place in the queue comes' : when(dueAt);
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
      const query = {
        status: opts.status === undefined ? undefined : parseStatus(opts.status),
        number: opts.number === undefined ? undefined : listNumber(opts.number, config),
        queue: opts.queue,
        limit: parseLimit(opts.limit),
        cursor: opts.cursor,
      };
      await withContext(config, false, async ({ service }) => {
        const page = await service.listCallbacks(query);
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
      await withContext(config, false, async ({ service }) => {
        const detail = await onCallback(id, () => service.show(id));
        print(!!opts.json, showJson(detail), () => describe(detail.callback, detail.attempts, detail.events));
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
      const timing: Timing = parseTiming(opts, Date.now());
      const rule = manualRule(config, opts.queue, (text) => {
        if (!opts.json) process.stderr.write(`callbackd: note: ${text}\n`);
      }, Date.now());
      checkNumber(opts.number, config, rule);
      await withContext(config, true, async ({ service }) => {
        let result: CreatedCallback;
        try {
          result = await service.create({
            number: opts.number,
            queue: opts.queue,
            ...timing,
            note: opts.note ?? null,
            relatedCallId: opts.relatedCallId ?? null,
            createLostCallEvent: !!opts.lostCallEvent,
            by: BY,
          });
        } catch (err) {
          throw withNumberHint(err, config, rule, opts.number);
        }
        const { callback, merged, movedFrom } = result;
        // The calling window moves a due time to its next opening; say so rather than surprise.
        const why = movedFrom !== null ? ` (moved from ${when(movedFrom)} to the next opening of the calling window of transition "${rule.name}", ${rule.window?.timezone})` : '';
        print(!!opts.json, { ...callbackJson(callback), merged }, () => `${merged ? 'merged into pending callback' : 'created'} ${callback.id}: ${callback.status} ${callback.number} in ${callback.queue}, due ${dueText(callback.dueAt)}${why}`);
      });
    });

  program
    .command('cancel <id>')
    .description('cancel a Scheduled callback')
    .option('--reason <text>', 'why', 'cancelled from the command line')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string, opts: { reason: string; json?: boolean }) {
      const config = loadConfigFor(globals(this));
      await withContext(config, false, async ({ service }) => {
        const callback = await onCallback(id, () => service.cancel({ id, reason: opts.reason, by: BY }));
        print(!!opts.json, callbackJson(callback), () => `cancelled ${callback.id}`);
      });
    });

  program
    .command('reschedule <id>')
    .description('move a Scheduled callback to another time')
    .option('--due <time>', 'due at this ISO 8601 time (kept as given), or "now" (within the calling window)')
    .option('--delay-minutes <n>', 'due this many minutes from now, moved into the calling window')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string, opts: { due?: string; delayMinutes?: string; reason?: string; json?: boolean }) {
      const config = loadConfigFor(globals(this));
      const timing = parseTiming(opts, Date.now(), true);
      await withContext(config, false, async ({ service }) => {
        const callback = await onCallback(id, () => service.reschedule({ id, ...timing, reason: opts.reason ?? null, by: BY }));
        print(!!opts.json, callbackJson(callback), () => `rescheduled ${callback.id}: due ${dueText(callback.dueAt)}`);
      });
    });

  program
    .command('call-now <id>')
    .description('make a Scheduled callback due at once, whatever the calling window says')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string, opts: { reason?: string; json?: boolean }) {
      const config = loadConfigFor(globals(this));
      await withContext(config, false, async ({ service }) => {
        const callback = await onCallback(id, () => service.callNow({ id, reason: opts.reason ?? null, by: BY }));
        print(!!opts.json, callbackJson(callback), () => `calling now ${callback.id}: due ${dueText(callback.dueAt)}`);
      });
    });
}
