import type { Statement, Transaction } from 'better-sqlite3';
import type { CallbackChange, CallbackStore, ListFilter, NewCallback, NewEvent, Page } from '../domain/store';
import type { Attempt, CallEvent, CallRecord, Callback, Status } from '../domain/types';
import { Calls } from './calls';
import { Claims } from './claims';
import { Commits, type CreateResult, PENDING } from './commits';
import { DaemonLock } from './daemon-lock';
import { type Db, type OpenOptions, migrate, openDatabase } from './database';
import { History } from './history';
import { Listing } from './listing';
import { type CallbackRow, toCallback } from './rows';

/**
 * The one CallbackStore: a SQLite file shared safely by any number of connections and processes.
 * Every method is synchronous, and every write that reads first runs in an IMMEDIATE transaction,
 * so it holds the write lock before it looks (a deferred one could read, then lose the race).
 */
export class SqliteStore implements CallbackStore {
  private readonly claims: Claims;
  private readonly history: History;
  private readonly calls: Calls;
  /** One daemon per file (the CLI's short commands do not take it). */
  readonly daemonLock: DaemonLock;
  private readonly listing: Listing;
  private readonly commits: Commits;
  private readonly pendingCount: Statement<[string], { n: number }>;
  private readonly shiftedScheduled: Statement<[string], CallbackRow>;
  private readonly ofCall: Statement<{ call: string }, CallbackRow>;
  private readonly heldWithout: Statement<[], CallbackRow>;
  private readonly commitTx: Transaction<(change: CallbackChange) => Callback>;
  private readonly createTx: Transaction<
    (callback: NewCallback, events: NewEvent[], merge: (existing: Callback) => CallbackChange) => CreateResult
  >;
  private readonly appendTx: Transaction<(at: number, events: NewEvent[]) => void>;
  private readonly outerTx: Transaction<(fn: () => unknown) => unknown>;

  constructor(readonly db: Db) {
    this.claims = new Claims(db);
    this.history = new History(db);
    this.calls = new Calls(db);
    this.daemonLock = new DaemonLock(db);
    this.listing = new Listing(db);
    this.commits = new Commits(db, this.history);
    this.pendingCount = db.prepare(`SELECT count(*) AS n FROM callbacks WHERE queue = ? AND ${PENDING}`);
    this.shiftedScheduled = db.prepare(
      "SELECT * FROM callbacks WHERE number = ? AND status = 'Scheduled' AND shifted = 1 ORDER BY created_at, id",
    );
    // A call's callbacks are the ones it caused plus any its events link to (a merged request, a LostCall).
    this.ofCall = db.prepare(`
      SELECT * FROM callbacks
       WHERE origin_call_id = @call
          OR id IN (SELECT callback_id FROM events WHERE call_id = @call AND callback_id IS NOT NULL)
       ORDER BY created_at, id`);
    this.heldWithout = db.prepare(`
      SELECT * FROM callbacks AS c INDEXED BY callbacks_held
       WHERE status = 'Scheduled' AND due_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.callback_id = c.id AND a.ended_at IS NULL)
       ORDER BY created_at, id`);
    this.commitTx = db.transaction((change: CallbackChange) => this.commits.commit(change));
    this.createTx = db.transaction((callback, events, merge) => this.commits.createOrMerge(callback, events, merge));
    this.appendTx = db.transaction((at: number, events: NewEvent[]) => this.history.appendEvents(at, events));
    this.outerTx = db.transaction((fn: () => unknown) => fn());
  }

  /** Open (creating and migrating) the store file. The store owns the connection: close() closes it. */
  static open(file: string, options?: OpenOptions): SqliteStore {
    const db = openDatabase(file, options);
    try {
      migrate(db);
      return new SqliteStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Run `fn` (synchronous) in one IMMEDIATE transaction; store calls inside it join it. All or
   * nothing, and far cheaper than one transaction per write when writing many callbacks at once.
   */
  transaction<T>(fn: () => T): T {
    return this.outerTx.immediate(fn) as T;
  }

  createOrMerge(
    callback: NewCallback,
    events: NewEvent[],
    merge: (existing: Callback) => CallbackChange,
  ): CreateResult {
    return this.createTx.immediate(callback, events, merge);
  }

  get(id: string): Callback | null {
    return this.commits.get(id);
  }

  list(filter: ListFilter): Page<Callback> {
    return this.listing.list(filter);
  }

  pendingFor(number: string, queue: string): Callback | null {
    return this.commits.pendingFor(number, queue);
  }

  /** How many callbacks stand in each status (for status displays; a full scan, not for hot paths). */
  countByStatus(): Partial<Record<Status, number>> {
    const counts: Partial<Record<Status, number>> = {};
    for (const row of this.db.prepare<[], { status: Status; n: number }>('SELECT status, count(*) AS n FROM callbacks GROUP BY status').all()) counts[row.status] = row.n;
    return counts;
  }

  countPending(queue: string): number {
    return this.pendingCount.get(queue)?.n ?? 0;
  }

  scheduledShiftedFor(number: string): Callback[] {
    return this.shiftedScheduled.all(number).map(toCallback);
  }

  commit(change: CallbackChange): Callback {
    return this.commitTx.immediate(change);
  }

  claimNextDue(owner: string, now: number, leaseMs: number, skipQueues?: readonly string[]): Callback | null {
    return this.claims.claimNextDue(owner, now, leaseMs, skipQueues);
  }

  releaseClaim(id: string, owner: string): void {
    this.claims.releaseClaim(id, owner);
  }

  releaseExpiredClaims(now: number): number {
    return this.claims.releaseExpiredClaims(now);
  }

  releaseClaimsNotOwnedBy(owner: string): number {
    return this.claims.releaseClaimsNotOwnedBy(owner);
  }

  nextDueAt(skipQueues?: readonly string[]): number | null {
    return this.claims.nextDueAt(skipQueues);
  }

  dueForExpiry(now: number, limit: number): Callback[] {
    return this.claims.dueForExpiry(now, limit);
  }

  openAttempts(): Attempt[] {
    return this.history.openAttempts();
  }

  heldPlacesWithoutPlaceholder(): Callback[] {
    return this.heldWithout.all().map(toCallback);
  }

  attemptsOf(callbackId: string): Attempt[] {
    return this.history.attemptsOf(callbackId);
  }

  getAttempt(id: string): Attempt | null {
    return this.history.getAttempt(id);
  }

  eventsOf(callbackId: string): CallEvent[] {
    return this.history.eventsOf(callbackId);
  }

  eventsAfter(afterId: number, limit: number): CallEvent[] {
    return this.history.eventsAfter(afterId, limit);
  }

  upsertCall(call: CallRecord): void {
    this.calls.upsertCall(call);
  }

  getCall(id: string): CallRecord | null {
    return this.calls.getCall(id);
  }

  waitingCalls(queue?: string): CallRecord[] {
    return this.calls.waitingCalls(queue);
  }

  decideLostCall(id: string, decision: string): void {
    this.calls.decideLostCall(id, decision);
  }

  undecidedLostCalls(limit: number): CallRecord[] {
    return this.calls.undecidedLostCalls(limit);
  }

  callbacksOfCall(callId: string): Callback[] {
    return this.ofCall.all({ call: callId }).map(toCallback);
  }

  eventsOfCall(callId: string): CallEvent[] {
    return this.history.eventsOfCall(callId);
  }

  appendEvents(at: number, events: NewEvent[]): void {
    this.appendTx.immediate(at, events);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
