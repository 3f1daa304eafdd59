import type { Statement, Transaction } from 'better-sqlite3';
import type { Callback } from '../domain/types';
import type { Db } from './database';
import { type CallbackRow, toCallback } from './rows';

/**
 * The claimable set, spelled exactly as the WHERE of the partial indexes callbacks_claimable and
 * callbacks_claimable_queue. The queries name their index (INDEXED BY): left to itself the planner
 * picks the status index and walks every Scheduled row, and INDEXED BY turns a lost index into an
 * error instead of a slow scan.
 */
const CLAIMABLE = "status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL";

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

export const DUE_FOR_EXPIRY_SQL = `
SELECT * FROM callbacks INDEXED BY callbacks_expiry
 WHERE status = 'Scheduled' AND expires_at IS NOT NULL AND expires_at <= @now
 ORDER BY expires_at
 LIMIT @limit`;

const RELEASE = 'SET claim_owner = NULL, claim_until = NULL, version = version + 1';

export const RELEASE_EXPIRED_SQL = `UPDATE callbacks ${RELEASE} WHERE claim_owner IS NOT NULL AND claim_until <= @now`;

export const RELEASE_NOT_OWNED_SQL = `UPDATE callbacks ${RELEASE} WHERE claim_owner IS NOT NULL AND claim_owner <> @owner`;

const RELEASE_ONE_SQL = `UPDATE callbacks ${RELEASE} WHERE id = @id AND claim_owner = @owner`;

type Take = { owner: string; until: number };

/** Claims and due times: the dialer's hot path. Claims never change updatedAt, which tracks the callback's own changes. */
export class Claims {
  private readonly claim: Statement<Take & { now: number }, CallbackRow>;
  private readonly firstQueue: Statement<[], { queue: string | null }>;
  private readonly nextQueue: Statement<{ after: string }, { queue: string | null }>;
  private readonly earliestInQueue: Statement<{ queue: string; now: number }, { row: number; dueAt: number }>;
  private readonly claimRow: Statement<Take & { row: number }, CallbackRow>;
  private readonly claimSkippingTx: Transaction<(take: Take, now: number, skip: ReadonlySet<string>) => CallbackRow | undefined>;
  private readonly nextDue: Statement<[], { dueAt: number | null }>;
  private readonly expiring: Statement<{ now: number; limit: number }, CallbackRow>;
  private readonly releaseExpired: Statement<{ now: number }>;
  private readonly releaseNotOwned: Statement<{ owner: string }>;
  private readonly releaseOne: Statement<{ id: string; owner: string }>;

  constructor(db: Db) {
    this.claim = db.prepare(CLAIM_NEXT_DUE_SQL);
    this.firstQueue = db.prepare(FIRST_CLAIMABLE_QUEUE_SQL);
    this.nextQueue = db.prepare(NEXT_CLAIMABLE_QUEUE_SQL);
    this.earliestInQueue = db.prepare(EARLIEST_DUE_IN_QUEUE_SQL);
    this.claimRow = db.prepare(CLAIM_ROW_SQL);
    this.claimSkippingTx = db.transaction((take, now, skip) => this.claimSkipping(take, now, skip));
    this.nextDue = db.prepare(NEXT_DUE_AT_SQL);
    this.expiring = db.prepare(DUE_FOR_EXPIRY_SQL);
    this.releaseExpired = db.prepare(RELEASE_EXPIRED_SQL);
    this.releaseNotOwned = db.prepare(RELEASE_NOT_OWNED_SQL);
    this.releaseOne = db.prepare(RELEASE_ONE_SQL);
  }

  claimNextDue(owner: string, now: number, leaseMs: number, skipQueues: readonly string[] = []): Callback | null {
    const take = { owner, until: now + leaseMs };
    const row =
      skipQueues.length === 0 ? this.claim.get({ ...take, now }) : this.claimSkippingTx.immediate(take, now, new Set(skipQueues));
    return row ? toCallback(row) : null;
  }

  releaseClaim(id: string, owner: string): void {
    this.releaseOne.run({ id, owner });
  }

  releaseExpiredClaims(now: number): number {
    return this.releaseExpired.run({ now }).changes;
  }

  releaseClaimsNotOwnedBy(owner: string): number {
    return this.releaseNotOwned.run({ owner }).changes;
  }

  nextDueAt(skipQueues: readonly string[] = []): number | null {
    if (skipQueues.length === 0) return this.nextDue.get()?.dueAt ?? null;
    const skip = new Set(skipQueues);
    let best: number | null = null;
    for (let queue = this.firstQueue.get()?.queue; queue != null; queue = this.nextQueue.get({ after: queue })?.queue) {
      if (skip.has(queue)) continue;
      const earliest = this.earliestInQueue.get({ queue, now: Number.MAX_SAFE_INTEGER });
      if (earliest && (best === null || earliest.dueAt < best)) best = earliest.dueAt;
    }
    return best;
  }

  dueForExpiry(now: number, limit: number): Callback[] {
    return this.expiring.all({ now, limit }).map(toCallback);
  }

  /** Earliest due row of each queue not skipped, then the earliest of those; under the write lock. */
  private claimSkipping(take: Take, now: number, skip: ReadonlySet<string>): CallbackRow | undefined {
    let best: { row: number; dueAt: number } | undefined;
    for (let queue = this.firstQueue.get()?.queue; queue != null; queue = this.nextQueue.get({ after: queue })?.queue) {
      if (skip.has(queue)) continue;
      const earliest = this.earliestInQueue.get({ queue, now });
      if (earliest && (!best || earliest.dueAt < best.dueAt)) best = earliest;
    }
    return best ? this.claimRow.get({ ...take, row: best.row }) : undefined;
  }
}
