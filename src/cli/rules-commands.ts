import type { Command } from 'commander';
import type { Config } from '../config/types';
import { MECHANISMS } from '../domain/types';
import { explanationJson } from '../api/rule-routes';
import type { Explanation } from '../service/explain';
import type { ReplayReport, ReplayRow } from '../service/replay';
import { loadConfig } from '../config/load';
import { lostCallJudge } from '../engine/lost-script';
import { ScriptRunner } from '../scripts/runner';
import { CliError, loadConfigFor, openContext, type CommandContext, type GlobalOptions } from './context';
import { isoTime, table, when } from './table';

/**
 * The rules as a supervisor checks them: which transition takes a call and why the others do
 * not. Nothing here writes to the database.
 */

/** The database when there is one; without one yet (a first configuration), the rules are read against an empty store. */
export async function readOnlyContext(config: Config, note: (text: string) => void): Promise<CommandContext> {
  try {
    return await openContext(config, { create: false });
  } catch (err) {
    if (!(err instanceof CliError) || err.code !== 'database_missing') throw err;
    note('no database yet: pending callbacks and daily caps are counted as none');
    return openContext({ ...config, store: 'sqlite', db: ':memory:' }, { create: true });
  }
}

function explanationText(e: Explanation): string {
  const lines = [`At ${when(e.at)}, a ${e.mechanism} call in queue ${e.queue}${e.number ? ` from ${e.number.given}` : ''}:`, ''];
  lines.push(
    table(
      ['#', 'transition', 'applies', 'why'],
      e.transitions.map((t, i) => [String(i + 1), t.name, t.applies ? 'YES' : 'no', t.why]),
    ),
    '',
  );
  lines.push(e.transition === null ? 'No transition applies: no callback.' : `Transition used: ${e.transition} (callbacks handled by queue ${e.targetQueue}).`);
  if (e.script) lines.push(`Its script ${e.script} may replace the decision below.`);
  if (e.number) lines.push(`Number: ${e.number.e164 ?? e.number.given}: ${e.number.allowed ? '' : 'refused: '}${e.number.why}.`);
  const lost = e.lostShift;
  if (lost?.action === 'create') {
    lines.push(`Lost then, it becomes a callback in ${lost.queue}, due ${when(lost.dueAt)}${lost.merges ? `, merged into pending callback ${lost.merges}` : ''}.`);
  } else if (lost?.action === 'skip') {
    lines.push(`Lost then, it does not become a callback: ${lost.reason} (${lost.detail}).`);
  } else if (e.transition !== null && e.mechanism !== 'LostShift') {
    lines.push(e.dueAt === null ? 'Its calling window never opens: no callback.' : `A callback asked for then is due ${when(e.dueAt)}.`);
  }
  return lines.join('\n');
}

/** One line per call: when, who, where, what was decided then and what the rules decide now. */
function replayText(report: ReplayReport, onlyChanged: boolean, rulesFrom: string): string {
  const rows = onlyChanged ? report.rows.filter((r) => !r.same) : report.rows;
  const lines = [`Lost calls ended ${when(report.from)} to ${when(report.to)}, judged again by ${rulesFrom} (nothing written, nothing dialled):`, ''];
  if (report.calls === 0) return `${lines[0]}\n\nNo lost call was recorded in that period.`;
  lines.push(
    table(
      ['ended', 'call', 'number', 'queue', 'waited', 'then', 'replayed', '', 'why (replayed)'],
      rows.map((r) => [when(r.call.endedAt), r.call.id, r.call.number ?? '-', r.call.queue ?? '-', `${r.waitedSeconds}s`, actualCell(r), replayedCell(r), r.same ? '' : 'CHANGED', r.replayed.detail]),
    ),
    '',
    table(
      ['reason', 'then', 'replayed'],
      report.reasons.map((c) => [c.reason, String(c.actual), String(c.replayed)]),
    ),
    '',
    `${report.calls} lost call(s); ${report.changed} decided otherwise.`,
  );
  return lines.join('\n');
}

function actualCell(row: ReplayRow): string {
  const { reason, callbackId, callbackStatus } = row.actual;
  if (reason === null) return 'undecided';
  return callbackId ? `${reason} ${callbackId} (${callbackStatus})` : reason;
}

function replayedCell(row: ReplayRow): string {
  const r = row.replayed;
  if (r.reason === 'shifted') return `shifted to ${r.queue}${r.transition ? ` by ${r.transition}` : ''}, due ${when(r.dueAt)}`;
  if (r.reason === 'merged') return `merged into ${r.mergesInto}`;
  return r.reason;
}

export function replayJson(report: ReplayReport): unknown {
  return {
    from: isoTime(report.from),
    to: isoTime(report.to),
    calls: report.calls,
    changed: report.changed,
    reasons: report.reasons,
    rows: report.rows.map((r) => ({
      callId: r.call.id,
      number: r.call.number,
      queue: r.call.queue,
      enteredAt: isoTime(r.call.enteredAt),
      endedAt: isoTime(r.call.endedAt),
      waitedSeconds: r.waitedSeconds,
      actual: r.actual,
      replayed: { ...r.replayed, dueAt: isoTime(r.replayed.dueAt) },
      same: r.same,
    })),
  };
}

export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('check the transitions: which one takes a call, and why');
  rules
    .command('explain')
    .description('which transition applies to a call at a time, why the others do not, and what would follow')
    .requiredOption('--queue <queue>', 'the queue the call is in')
    .option('--number <number>', "the caller's number, as the PBX gives it")
    .option('--at <time>', 'ISO 8601 time (without an offset it is read in --tz), or now', 'now')
    .option('--tz <zone>', 'IANA time zone for an --at without offset (default UTC)')
    .option('--mechanism <mechanism>', `${MECHANISMS.join(', ')}`, 'LostShift')
    .option('--waited <seconds>', 'LostShift: how long the caller waited (default: long enough)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { queue: string; number?: string; at: string; tz?: string; mechanism: string; waited?: string; json?: boolean }) {
      const config = loadConfigFor(this.optsWithGlobals() as GlobalOptions);
      const ctx = await readOnlyContext(config, (text) => {
        if (!opts.json) process.stderr.write(`callbackd: note: ${text}\n`);
      });
      try {
        const explanation = await ctx.service.explainRules({ queue: opts.queue, number: opts.number, at: opts.at, timezone: opts.tz, mechanism: opts.mechanism, waitedSeconds: opts.waited });
        process.stdout.write(opts.json ? `${JSON.stringify(explanationJson(explanation), null, 2)}\n` : `${explanationText(explanation)}\n`);
      } finally {
        await ctx.close();
      }
    });

  rules
    .command('replay')
    .description('judge the lost calls of a period again (by these rules, or those of --rules FILE) beside what was decided then; writes nothing')
    .requiredOption('--from <time>', 'start of the period: ISO 8601 (without an offset it is read in --tz)')
    .option('--to <time>', 'end of the period (default now)', 'now')
    .option('--tz <zone>', 'IANA time zone for times without offset (default UTC)')
    .option('--rules <file>', "another configuration file whose transitions and number rules are replayed (the calls are read from this one's database)")
    .option('--changed', 'list only the calls decided otherwise')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { from: string; to: string; tz?: string; rules?: string; changed?: boolean; json?: boolean }) {
      const globals = this.optsWithGlobals() as GlobalOptions;
      const config = loadConfigFor(globals);
      const replayWith = opts.rules === undefined ? config : loadConfig({ file: opts.rules, env: process.env });
      const ctx = await openContext(config, { create: false });
      // Scripts run as in the daemon (off the main thread, with their limits); only for this replay.
      const scripted = replayWith.transitions.some((t) => t.script !== '');
      const runner = scripted ? new ScriptRunner({ dir: process.cwd(), logger: ctx.logger, watch: false, lookup: (table, key) => ctx.service.lookupContact(table, key) }) : null;
      try {
        const report = await ctx.service.replayRules({ from: opts.from, to: opts.to, timezone: opts.tz }, replayWith, lostCallJudge(replayWith, runner));
        const rulesFrom = opts.rules ?? globals.config ?? 'the rules in force';
        process.stdout.write(opts.json ? `${JSON.stringify(replayJson(report), null, 2)}\n` : `${replayText(report, opts.changed === true, rulesFrom)}\n`);
      } finally {
        await runner?.close();
        await ctx.close();
      }
    });
}
