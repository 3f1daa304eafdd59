import { InvalidRequestError } from '../domain/errors';
import { judgeLostCall, waitedSeconds, type LostCallJudgement, type LostCallRules } from '../domain/lost-shift';
import { ReplayWorld } from '../domain/replay-world';
import { LOST_REASONS, type CallRecord, type LostReason, type Status } from '../domain/types';
import type { ServiceContext } from './context';
import { instantOf } from './explain';

/**
 * What-if replay: the lost calls recorded in a period judged again, by the rules in force or by
 * others, against the world as it was then (ReplayWorld). Nothing is written and nothing dialled.
 */

export interface ReplayInput {
  /** ISO 8601 (without an offset it is read in `timezone`). */
  from?: unknown;
  to?: unknown;
  timezone?: unknown;
}

/** Decides one lost call again: the daemon's own judgement (scripts included once they run). */
export type ReplayJudge = (call: CallRecord, world: ReplayWorld, now: number) => Promise<LostCallJudgement>;

export interface ReplayedDecision {
  reason: LostReason;
  detail: string;
  transition: string | null;
  /** Created (or merged): where, for which number, due when; null when skipped. */
  queue: string | null;
  number: string | null;
  dueAt: number | null;
  mergesInto: string | null;
}

export interface ReplayRow {
  call: CallRecord;
  waitedSeconds: number;
  /** What the daemon decided then (reason null: never decided, the daemon has not seen the end yet). */
  actual: { reason: LostReason | null; detail: string | null; callbackId: string | null; callbackStatus: Status | null };
  replayed: ReplayedDecision;
  /** The same outcome: the same reason code. */
  same: boolean;
}

export interface ReasonCount {
  reason: LostReason | 'undecided';
  actual: number;
  replayed: number;
}

export interface ReplayReport {
  from: number;
  to: number;
  rows: ReplayRow[];
  /** Every reason either side gave, in LOST_REASONS order. */
  reasons: ReasonCount[];
  calls: number;
  changed: number;
}

/** The longest period a replay reads at once. */
const MAX_PERIOD_MS = 366 * 24 * 60 * 60 * 1000;
const PAGE = 500;

export function replayPeriod(input: ReplayInput, now: number): { from: number; to: number } {
  if (input.from === undefined || input.from === null || input.from === '') throw new InvalidRequestError('from is required: the start of the period to replay (ISO 8601)');
  const from = instantOf(input.from, input.timezone, now, 'from');
  const to = instantOf(input.to ?? 'now', input.timezone, now, 'to');
  if (to <= from) throw new InvalidRequestError('to must be after from');
  if (to - from > MAX_PERIOD_MS) throw new InvalidRequestError('a replay covers at most 366 days at once');
  return { from, to };
}

/** The embedded judgement, as the daemon makes it, for a replay with `rules`. */
export function embeddedJudge(rules: LostCallRules): ReplayJudge {
  return (call, world, now) => judgeLostCall(call, rules, world, now);
}

export async function replayRules(ctx: ServiceContext, judge: ReplayJudge, input: ReplayInput): Promise<ReplayReport> {
  const { from, to } = replayPeriod(input, ctx.clock.now());
  const pbx = ctx.config.pbxName;
  const calls = await lostCalls(ctx, pbx, from, to);
  const world = new ReplayWorld(await ctx.store.callbacksAround(pbx, from, to), new Set(calls.map((c) => c.id)));
  const rows: ReplayRow[] = [];
  for (const call of calls) {
    // Judged when it was lost, as the daemon judged it: at the moment the call ended.
    const at = call.endedAt as number;
    world.at = at;
    const judgement = await judge(call, world, at);
    const replayed = replayedDecision(judgement);
    if (judgement.action === 'create' && !judgement.mergesInto) {
      world.make(call.id, judgement.number, judgement.queue, at, judgement.rule.expiresAfterMinutes * 60_000);
    }
    const twin = world.twinOf(call.id);
    const actual = {
      reason: call.lostReason ?? null,
      detail: call.lostDecision ?? null,
      callbackId: twin?.id ?? null,
      callbackStatus: twin?.status ?? null,
    };
    rows.push({ call, waitedSeconds: waitedSeconds(call, at), actual, replayed, same: actual.reason === replayed.reason });
  }
  return { from, to, rows, reasons: countReasons(rows), calls: rows.length, changed: rows.filter((r) => !r.same).length };
}

async function lostCalls(ctx: ServiceContext, pbx: string, from: number, to: number): Promise<CallRecord[]> {
  const all: CallRecord[] = [];
  let after: { endedAt: number; id: string } | null = null;
  for (;;) {
    const page = await ctx.store.lostCallsBetween(pbx, from, to, after, PAGE);
    all.push(...page);
    if (page.length < PAGE) return all;
    const last = page[page.length - 1];
    after = { endedAt: last.endedAt as number, id: last.id };
  }
}

function replayedDecision(judgement: LostCallJudgement): ReplayedDecision {
  if (judgement.action === 'skip') {
    return { reason: judgement.reason, detail: judgement.detail, transition: judgement.transition, queue: null, number: null, dueAt: null, mergesInto: null };
  }
  const merges = judgement.mergesInto?.id ?? null;
  return {
    reason: merges ? 'merged' : 'shifted',
    detail: merges ? `merged into pending callback ${merges}` : `a callback in ${judgement.queue}`,
    transition: judgement.rule.name,
    queue: judgement.queue,
    number: judgement.number,
    dueAt: judgement.dueAt,
    mergesInto: merges,
  };
}

function countReasons(rows: readonly ReplayRow[]): ReasonCount[] {
  const counts = new Map<LostReason | 'undecided', ReasonCount>();
  const count = (reason: LostReason | 'undecided', side: 'actual' | 'replayed') => {
    const entry = counts.get(reason) ?? { reason, actual: 0, replayed: 0 };
    entry[side] += 1;
    counts.set(reason, entry);
  };
  for (const row of rows) {
    count(row.actual.reason ?? 'undecided', 'actual');
    count(row.replayed.reason, 'replayed');
  }
  const order: (LostReason | 'undecided')[] = [...LOST_REASONS, 'undecided'];
  return order.filter((reason) => counts.has(reason)).map((reason) => counts.get(reason) as ReasonCount);
}
