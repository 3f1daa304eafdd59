import type { Page } from '../domain/store';
import type { CallRecord, Callback, Outcome } from '../domain/types';
import type { ServiceContext } from './context';
import { optionalCursor, optionalMechanism, optionalResult, optionalStatus, optionalText, pageLimit, searchNumber } from './input';

const DEFAULT_LIMIT = 50;

/** GET /api/v1/callbacks, `callbackd list`: values as a query string gives them (any case for the words). */
export interface CallbackListQuery {
  status?: string;
  /** E.164 or national in defaultCountry, compared in E.164. */
  number?: string;
  queue?: string;
  mechanism?: string;
  /** 1 to 1000, default 50. */
  limit?: number | string;
  cursor?: string;
}

/** Newest first; `nextCursor` continues after the last row (null after the last page). */
export async function listCallbacks(ctx: ServiceContext, query: CallbackListQuery = {}): Promise<Page<Callback>> {
  return ctx.store.list({
    status: optionalStatus(query.status),
    number: searchNumber(query.number, ctx.config.defaultCountry),
    queue: optionalText(query.queue, 'queue', 200) ?? undefined,
    mechanism: optionalMechanism(query.mechanism),
    limit: pageLimit(query.limit, DEFAULT_LIMIT),
    cursor: optionalCursor(query.cursor),
  });
}

/** A row of the supervisors' grid of callbacks: the callback and how its latest attempt ended. */
export interface CallbackGridRow {
  callback: Callback;
  /** The outcome of its latest ended attempt; null before any ended. */
  lastOutcome: Outcome | null;
}

/** listCallbacks with each row's last outcome (one more read per callback that was attempted: a page, not a table). */
export async function callbackGrid(ctx: ServiceContext, query: CallbackListQuery = {}): Promise<Page<CallbackGridRow>> {
  const page = await listCallbacks(ctx, query);
  const items = await Promise.all(
    page.items.map(async (callback) => {
      if (callback.attempts === 0) return { callback, lastOutcome: null };
      const ended = (await ctx.store.attemptsOf(callback.id)).filter((a) => a.outcome !== null);
      return { callback, lastOutcome: ended.length > 0 ? ended[ended.length - 1].outcome : null };
    }),
  );
  return { items, nextCursor: page.nextCursor };
}

/** GET /api/v1/calls: the grid of calls. */
export interface CallListQuery {
  /** waiting, served, abandoned (the lost calls), callback (chose the CallBack node), left. */
  result?: string;
  queue?: string;
  limit?: number | string;
  cursor?: string;
}

/** A row of the grid of calls. */
export interface CallGridRow {
  call: CallRecord;
  /** How long it waited in the queue, in whole seconds: as the PBX said, else from its times (still waiting: until now). */
  waitedSeconds: number;
  /** The callbacks it became (created from it, or merged into through it), oldest first. */
  callbacks: Callback[];
  /**
   * Why it did not become a callback: the LostShift decision recorded for an abandoned call
   * ("waited 4s, under minWaitSeconds 10", "anonymous caller", "maxPending 20 reached", …), or
   * "not decided yet"; null when it became one, or when it did not end abandoned.
   */
  whyNot: string | null;
}

/** Newest first (by the time the call entered the queue). */
export async function listCalls(ctx: ServiceContext, query: CallListQuery = {}): Promise<Page<CallGridRow>> {
  const page = await ctx.store.listCalls({
    result: optionalResult(query.result),
    queue: optionalText(query.queue, 'queue', 200) ?? undefined,
    limit: pageLimit(query.limit, DEFAULT_LIMIT),
    cursor: optionalCursor(query.cursor),
  });
  const now = ctx.clock.now();
  const items = await Promise.all(page.items.map(async (call) => rowOf(call, await ctx.store.callbacksOfCall(call.id), now)));
  return { items, nextCursor: page.nextCursor };
}

export function rowOf(call: CallRecord, callbacks: Callback[], now: number): CallGridRow {
  const waitedSeconds = Math.max(0, Math.round(call.waitSeconds ?? ((call.endedAt ?? now) - call.enteredAt) / 1000));
  const decided = call.lostDecision ?? (call.result === 'abandoned' ? 'not decided yet' : null);
  return { call, waitedSeconds, callbacks, whyNot: callbacks.length > 0 ? null : decided };
}
