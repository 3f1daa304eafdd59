import type { Statement, Transaction } from 'better-sqlite3';
import type { ClaimRequest, ClaimResult } from '../domain/store';
import type { Callback } from '../domain/types';
import type { Db } from './database';
import { type CallbackRow, toCallback } from './rows';

/**
 * The claimable set, spelled exactly as the WHERE of the partial indexes callbacks_claimable and
 * callbacks_claimable_queue. The queries name their index (INDEXED BY): left to itself the planner
 * picks the status index and walks every Scheduled row, and INDEXED BY turns a lost index into an
 * error instead of a slow scan. Every query names the PBX first: a daemon never sees another's work.
 */
const CLAIMABLE = "pbx = @pbx AND status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL";

const TAKE = 'SET claim_owner = @owner, claim_until = @until, version = version + 1';

/**
 * One statement finds and takes the row: an UPDATE holds the write lock from its first read, so
 * two connections (two processes) can never both see the row unclaimed. The version moves so a
 * holder whose lease was taken away loses its optimistic checks.
 */
export const CLAIM_NEXT_DUE_SQL = `
UPDATE callbacks ${TAKE}
 WHERE rowid = (
   SELECT rowid FROM callbacks INDEXED BY callbacks_claimable
    WHERE ${CLAIMABLE} AND due_at <= @now
    ORDER BY due_at
    LIMIT 1)
RETURNING *`;

/** Queues with claimable rows, one seek each (a loose index scan). */
export const FIRST_CLAIMABLE_QUEUE_SQL = `
SELECT min(queue) AS queue FROM callbacks INDEXED BY callbacks_claimable_queue WHERE ${CLAIMABLE}`;

export const NEXT_CLAIMABLE_QUEUE_SQL = `
SELECT min(queue) AS queue FROM callbacks INDEXED BY callbacks_claimable_queue
 WHERE ${CLAIMABLE} AND queue > @after`;

export const EARLIEST_DUE_IN_QUEUE_SQL = `
SELECT rowid AS row, due_at AS dueAt FROM callbacks INDEXED BY callbacks_claimable_queue
 WHERE ${CLAIMABLE} AND queue = @queue AND due_at <= @now
 ORDER BY due_at
 LIMIT 1`;

const CLAIM_ROW_SQL = `UPDATE callbacks ${TAKE} WHERE rowid = @row AND ${CLAIMABLE} RETURNING *`;

export const NEXT_DUE_AT_SQL = `SELECT min(due_at) AS dueAt FROM callbacks INDEXED BY callbacks_claimable WHERE ${CLAIMABLE}`;

/**
 * The PBX's slots in use, per queue: open attempts that count, and claims not yet turned into an
 * attempt (a claimer between its claim and its dial holds a slot too). Whoever holds them: every
 * daemon of the PBX counts the same rows, inside its claim's transaction.
 */
export const SLOTS_USED_SQL = `
SELECT c.queue AS queue, count(*) AS n
  FROM attempts AS a INDEXED BY attempts_open_pbx JOIN callbacks AS c ON c.id = a.callback_id
 WHERE a.pbx = @pbx AND a.ended_at IS NULL AND a.counted = 1
 GROUP BY c.queue
UNION ALL
SELECT queue, count(*) AS n FROM callbacks INDEXED BY callbacks_outstanding_claims
 WHERE pbx = @pbx AND status = 'Scheduled' AND claim_owner IS NOT NULL AND claim_until > @now
 GROUP BY queue`;

export const DUE_FOR_EXPIRY_SQL = `
SELECT * FROM callbacks INDEXED BY callbacks_expiry
 WHERE status = 'Scheduled' AND expires_at IS NOT NULL AND expires_at <= @now
 ORDER BY expires_at
 LIMIT @limit`;

const RELEASE = 'SET claim_owner = NULL, claim_until = NULL, version = version + 1';

export const RELEASE_EXPIRED_SQL = `UPDATE callbacks ${RELEASE} WHERE claim_owner IS NOT NULL AND claim_until <= @now`;

/**
 * Claims of daemons with no fresh seat (they crashed, or left without giving their claims back),
 * and those of the asking daemon itself: an owner is a daemon's identity across restarts, so
 * claims it holds as it starts are its previous incarnation's, which nobody is dialling.
 */
export const RELEASE_ORPHANED_SQL = `
UPDATE callbacks ${RELEASE}
 WHERE claim_owner IS NOT NULL
   AND (claim_owner = @owner OR claim_owner NOT IN (SELECT owner FROM daemon_lock WHERE heartbeat_at > @now - @staleMs))`;

const RELEASE_ONE_SQL = `UPDATE callbacks ${RELEASE} WHERE id = @id AND claim_owner = @owner`;

/** The limit key of every queue that has none of its own (see domain/limits.ts). */
const ANY_QUEUE = '*';

/** A queue is full at its own limit, or, when it has none, at the '*' limit; with neither it is never full. */
function queueIsFull(used: ReadonlyMap<string, number>, limits: Readonly<Record<string, number>>): (queue: string) => boolean {
  return (queue) => {
    const limit = Object.hasOwn(limits, queue) ? limits[queue] : limits[ANY_QUEUE];
    return limit !== undefined && (used.get(queue) ?? 0) >= limit;
  };
}

type Take = { owner: string; until: number; pbx: string; now: number };

/** Claims and due times: the dialer's hot path. Claims never change updatedAt, which tracks the callback's own changes. */
export class Claims {
  private readonly claim: Statement<Take, CallbackRow>;
  private readonly firstQueue: Statement<{ pbx: string }, { queue: string | null }>;
  private readonly nextQueue: Statement<{ pbx: string; after: string }, { queue: string | null }>;
  private readonly earliestInQueue: Statement<{ pbx: string; queue: string; now: number }, { row: number; dueAt: number }>;
  private readonly claimRow: Statement<Take & { row: number }, CallbackRow>;
  private readonly slotsUsed: Statement<{ pbx: string; now: number }, { queue: string; n: number }>;
  private readonly claimTx: Transaction<(request: ClaimRequest) => ClaimResult>;
  private readonly nextDue: Statement<{ pbx: string }, { dueAt: number | null }>;
  private readonly expiring: Statement<{ now: number; limit: number }, CallbackRow>;
  private readonly releaseExpired: Statement<{ now: number }>;
  private readonly releaseOrphaned: Statement<{ owner: string; now: number; staleMs: number }>;
  private readonly releaseOne: Statement<{ id: string; owner: string }>;

  constructor(db: Db) {
    this.claim = db.prepare(CLAIM_NEXT_DUE_SQL);
    this.firstQueue = db.prepare(FIRST_CLAIMABLE_QUEUE_SQL);
    this.nextQueue = db.prepare(NEXT_CLAIMABLE_QUEUE_SQL);
    this.earliestInQueue = db.prepare(EARLIEST_DUE_IN_QUEUE_SQL);
    this.claimRow = db.prepare(CLAIM_ROW_SQL);
    this.slotsUsed = db.prepare(SLOTS_USED_SQL);
    this.claimTx = db.transaction((request: ClaimRequest) => this.claimFitting(request));
    this.nextDue = db.prepare(NEXT_DUE_AT_SQL);
    this.expiring = db.prepare(DUE_FOR_EXPIRY_SQL);
    this.releaseExpired = db.prepare(RELEASE_EXPIRED_SQL);
    this.releaseOrphaned = db.prepare(RELEASE_ORPHANED_SQL);
    this.releaseOne = db.prepare(RELEASE_ONE_SQL);
  }

  /** Counting and claiming in one IMMEDIATE transaction: no other writer can take a slot in between. */
  claimNextDue(request: ClaimRequest): ClaimResult {
    return this.claimTx.immediate(request);
  }

  releaseClaim(id: string, owner: string): void {
    this.releaseOne.run({ id, owner });
  }

  releaseExpiredClaims(now: number): number {
    return this.releaseExpired.run({ now }).changes;
  }

  releaseOrphanedClaims(owner: string, now: number, staleMs: number): number {
    return this.releaseOrphaned.run({ owner, now, staleMs }).changes;
  }

  nextDueAt(pbx: string, skipQueues: readonly string[] = []): number | null {
    if (skipQueues.length === 0) return this.nextDue.get({ pbx })?.dueAt ?? null;
    const skip = new Set(skipQueues);
    return this.earliestOutside(pbx, Number.MAX_SAFE_INTEGER, (queue) => skip.has(queue))?.dueAt ?? null;
  }

  dueForExpiry(now: number, limit: number): Callback[] {
    return this.expiring.all({ now, limit }).map(toCallback);
  }

  private claimFitting(request: ClaimRequest): ClaimResult {
    const { owner, pbx, now, leaseMs, maxConcurrent, queueLimits } = request;
    const used = new Map<string, number>();
    let total = 0;
    for (const { queue, n } of this.slotsUsed.all({ pbx, now })) {
      used.set(queue, (used.get(queue) ?? 0) + n);
      total += n;
    }
    const isFull = queueIsFull(used, queueLimits);
    const fullQueues = [...new Set([...Object.keys(queueLimits), ...used.keys()])].filter((queue) => queue !== ANY_QUEUE && isFull(queue)).sort();
    const free = maxConcurrent - total;
    if (free <= 0) return { callback: null, free, fullQueues };
    const take: Take = { owner, until: now + leaseMs, pbx, now };
    // A '*' limit of 0 or less closes queues that have no slot in use yet: only the per-queue walk sees those.
    const anyQueueMayBeFull = fullQueues.length > 0 || (queueLimits[ANY_QUEUE] ?? 1) <= 0;
    let row: CallbackRow | undefined;
    if (!anyQueueMayBeFull) {
      row = this.claim.get(take);
    } else {
      const best = this.earliestOutside(pbx, now, isFull);
      row = best ? this.claimRow.get({ ...take, row: best.row }) : undefined;
    }
    return { callback: row ? toCallback(row) : null, free, fullQueues };
  }

  /** Earliest due row of each queue not skipped (one seek per queue), then the earliest of those. */
  private earliestOutside(pbx: string, now: number, skip: (queue: string) => boolean): { row: number; dueAt: number } | undefined {
    let best: { row: number; dueAt: number } | undefined;
    for (let queue = this.firstQueue.get({ pbx })?.queue; queue != null; queue = this.nextQueue.get({ pbx, after: queue })?.queue) {
      if (skip(queue)) continue;
      const earliest = this.earliestInQueue.get({ pbx, queue, now });
      if (earliest && (!best || earliest.dueAt < best.dueAt)) best = earliest;
    }
    return best;
  }
}
