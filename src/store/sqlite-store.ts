import path from 'node:path';
import type { Transaction } from 'better-sqlite3';
import type {
  AttemptFilter,
  CallFilter,
  CallbackChange,
  CallbackStore,
  ClaimRequest,
  ClaimResult,
  CreateResult,
  ExportKind,
  ExportPage,
  Exported,
  HeldSeat,
  JoinResult,
  KeptRequest,
  ListFilter,
  LostCallDecision,
  NewCallback,
  NewEvent,
  Page,
  RequestKey,
  Seat,
  StatusMechanismCount,
  StoreWriteListener,
  TriggerClaim,
  TriggerRun,
  TriggerRunEnd,
} from '../domain/store';
import type { Attempt, CallEvent, CallRecord, Callback, Status } from '../domain/types';
import { DAY_MS } from '../domain/lost-shift';
import { Calls } from './calls';
import { announcesWork } from './change';
import { Claims } from './claims';
import { Commits, type Written } from './commits';
import { Copy } from './copy';
import { DaemonLock } from './daemon-lock';
import { type Db, type OpenOptions, migrate, openDatabase } from './database';
import { History } from './history';
import { Listing } from './listing';
import { Triggers } from './triggers';
import { wakeSocketPath } from './wake-socket';
import { WorkSignal } from './work-signal';
import type { DeliveryAttempt, DeliveryClaim, DeliveryFilter, DeliveryNext, NewDelivery, NewDeliveryAttempt, WebhookDelivery } from '../domain/store';
import { WebhookDeliveries } from './webhooks';
import { WriteTimes } from './write-times';
import type { ContactImportOptions, ContactImportResult, ContactRow, ContactRowsPage, ContactRowsQuery, ContactTableInfo } from '../domain/store';
import { Contacts } from './contacts';

type Merge = (existing: Callback) => CallbackChange;

/**
 * The CallbackStore on one SQLite file, shared safely by any number of connections and processes.
 * better-sqlite3 is synchronous: each method does its work at once and returns a settled promise.
 * Every write that reads first runs in an IMMEDIATE transaction, so it holds the write lock before
 * it looks (a deferred one could read, then lose the race). One daemon per file (join).
 */
export class SqliteStore implements CallbackStore {
  readonly kind = 'sqlite' as const;
  /** The absolute path of the file. */
  readonly location: string;
  private readonly claims: Claims;
  private readonly history: History;
  private readonly calls: Calls;
  private readonly daemonLock: DaemonLock;
  private readonly listing: Listing;
  private readonly triggers: Triggers;
  private readonly commits: Commits;
  private readonly work: WorkSignal;
  private readonly copy: Copy;
  private readonly deliveries: WebhookDeliveries;
  private readonly contacts: Contacts;
  private readonly writeTimes = new WriteTimes();
  private readonly commitTx: Transaction<(change: CallbackChange) => Written<Callback>>;
  private readonly createTx: Transaction<(callback: NewCallback, events: NewEvent[], merge: Merge, requestKey?: RequestKey) => Written<CreateResult>>;
  private readonly createManyTx: Transaction<(items: readonly { callback: NewCallback; events: NewEvent[] }[], merge: Merge) => Written<CreateResult>[]>;
  private readonly appendTx: Transaction<(at: number, events: NewEvent[]) => void>;
  private readonly decideTx: Transaction<(id: string, decision: LostCallDecision, at: number) => boolean>;

  /** The store owns the connection from here: close() closes it. Tests and tools may still read `db` directly. */
  constructor(readonly db: Db) {
    this.location = db.memory ? db.name : path.resolve(db.name);
    this.claims = new Claims(db);
    this.history = new History(db);
    this.calls = new Calls(db);
    this.daemonLock = new DaemonLock(db);
    this.listing = new Listing(db);
    this.triggers = new Triggers(db);
    this.commits = new Commits(db, this.history);
    this.copy = new Copy(db);
    this.deliveries = new WebhookDeliveries(db);
    this.contacts = new Contacts(db);
    this.work = new WorkSignal(db.memory ? null : wakeSocketPath(this.location));
    this.commitTx = db.transaction((change: CallbackChange) => this.commits.commit(change));
    this.createTx = db.transaction((callback, events, merge, requestKey) => this.commits.createOrMerge(callback, events, merge, requestKey));
    this.createManyTx = db.transaction((items, merge) => items.map((item) => this.commits.createOrMerge(item.callback, item.events, merge)));
    this.appendTx = db.transaction((at: number, events: NewEvent[]) => this.history.appendEvents(at, events));
    this.decideTx = db.transaction((id: string, decision: LostCallDecision, at: number) => {
      const first = this.calls.decideLostCall(id, decision.text, decision.reason);
      if (first) this.history.appendEvents(at, [decision.event]);
      return first;
    });
  }

  /** Open (creating, unless told not to, and migrating) the store file. */
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

  async createOrMerge(callback: NewCallback, events: NewEvent[], merge: Merge, requestKey?: RequestKey): Promise<CreateResult> {
    const written = this.writeTimes.time('create', () => this.createTx.immediate(callback, events, merge, requestKey));
    await this.announceIf([written]);
    return written.result;
  }

  async keptRequest(key: string): Promise<KeptRequest | null> {
    return this.commits.requestKeys.find(key);
  }

  async forgetRequestKeys(before: number): Promise<number> {
    return this.commits.requestKeys.forgetBefore(before);
  }

  async createMany(items: readonly { callback: NewCallback; events: NewEvent[] }[], merge: Merge): Promise<CreateResult[]> {
    if (items.length === 0) return [];
    const written = this.writeTimes.time('create', () => this.createManyTx.immediate(items, merge));
    await this.announceIf(written);
    return written.map((w) => w.result);
  }

  async get(id: string): Promise<Callback | null> {
    return this.commits.get(id);
  }

  async list(filter: ListFilter): Promise<Page<Callback>> {
    return this.listing.list(filter);
  }

  async pendingFor(number: string, queue: string): Promise<Callback | null> {
    return this.commits.pendingFor(number, queue);
  }

  async countByStatus(): Promise<Partial<Record<Status, number>>> {
    return this.listing.countByStatus();
  }

  async countByStatusAndMechanism(): Promise<StatusMechanismCount[]> {
    return this.listing.countByStatusAndMechanism();
  }

  async countPending(queue: string, pbx?: string): Promise<number> {
    return this.listing.countPending(queue, pbx);
  }

  async scheduledShiftedFor(number: string): Promise<Callback[]> {
    return this.listing.scheduledShiftedFor(number);
  }

  async commit(change: CallbackChange): Promise<Callback> {
    const written = this.writeTimes.time('commit', () => this.commitTx.immediate(change));
    await this.announceIf([written]);
    return written.result;
  }

  async claimNextDue(request: ClaimRequest): Promise<ClaimResult> {
    return this.writeTimes.time('claim', () => this.claims.claimNextDue(request));
  }

  async releaseClaim(id: string, owner: string): Promise<void> {
    this.claims.releaseClaim(id, owner);
  }

  async releaseExpiredClaims(now: number): Promise<number> {
    return this.claims.releaseExpiredClaims(now);
  }

  async releaseOrphanedClaims(owner: string, now: number, staleMs: number): Promise<number> {
    return this.claims.releaseOrphanedClaims(owner, now, staleMs);
  }

  async nextDueAt(pbx: string, skipQueues?: readonly string[]): Promise<number | null> {
    return this.claims.nextDueAt(pbx, skipQueues);
  }

  async dueForExpiry(now: number, limit: number): Promise<Callback[]> {
    return this.claims.dueForExpiry(now, limit);
  }

  async adoptAttempts(owner: string, pbx: string, now: number, leaseMs: number): Promise<Attempt[]> {
    return this.history.adoptAttempts(owner, pbx, now, leaseMs);
  }

  async renewAttemptLeases(owner: string, until: number): Promise<number> {
    return this.history.renewAttemptLeases(owner, until);
  }

  async openAttempts(filter?: AttemptFilter): Promise<Attempt[]> {
    return this.history.openAttempts(filter);
  }

  async heldPlacesWithoutPlaceholder(pbx: string): Promise<Callback[]> {
    return this.listing.heldPlacesWithoutPlaceholder(pbx);
  }

  async attemptsOf(callbackId: string): Promise<Attempt[]> {
    return this.history.attemptsOf(callbackId);
  }

  async getAttempt(id: string): Promise<Attempt | null> {
    return this.history.getAttempt(id);
  }

  async attemptByChannel(channelId: string): Promise<Attempt | null> {
    return this.history.attemptByChannel(channelId);
  }

  async eventsOf(callbackId: string): Promise<CallEvent[]> {
    return this.history.eventsOf(callbackId);
  }

  async eventsAfter(afterId: number, limit: number): Promise<CallEvent[]> {
    return this.history.eventsAfter(afterId, limit);
  }

  async lastEventId(): Promise<number> {
    return this.history.lastEventId();
  }

  async upsertCall(call: CallRecord): Promise<void> {
    this.calls.upsertCall(call);
  }

  async getCall(id: string): Promise<CallRecord | null> {
    return this.calls.getCall(id);
  }

  async listCalls(filter: CallFilter): Promise<Page<CallRecord>> {
    return this.calls.listCalls(filter);
  }

  async waitingCalls(pbx: string, queue?: string): Promise<CallRecord[]> {
    return this.calls.waitingCalls(pbx, queue);
  }

  async decideLostCall(id: string, decision: LostCallDecision, at: number): Promise<boolean> {
    return this.decideTx.immediate(id, decision, at);
  }

  async countCreatedSince(scope: { number: string } | { queue: string }, pbx: string, since: number): Promise<number> {
    return this.listing.countCreatedSince(scope, pbx, since);
  }

  async triggerCursor(name: string): Promise<number | null> {
    return this.triggers.triggerCursor(name);
  }

  async setTriggerCursor(name: string, eventId: number): Promise<void> {
    this.triggers.setTriggerCursor(name, eventId);
  }

  async claimTriggerRun(name: string, slotAt: number, owner: string, at: number, staleBefore: number): Promise<TriggerClaim> {
    return this.triggers.claimTriggerRun(name, slotAt, owner, at, staleBefore);
  }

  async finishTriggerRun(name: string, slotAt: number, end: TriggerRunEnd, at: number): Promise<void> {
    this.triggers.finishTriggerRun(name, slotAt, end, at);
  }

  async triggerRuns(name: string | null, limit: number): Promise<TriggerRun[]> {
    return this.triggers.triggerRuns(name, limit);
  }

  async lostCallsBetween(pbx: string, from: number, to: number, after: { endedAt: number; id: string } | null, limit: number): Promise<CallRecord[]> {
    return this.calls.lostCallsBetween(pbx, from, to, after, limit);
  }

  async callbacksAround(pbx: string, from: number, to: number): Promise<Callback[]> {
    return this.listing.callbacksAround(pbx, from, to, from - DAY_MS);
  }

  async undecidedLostCalls(pbx: string, limit: number): Promise<CallRecord[]> {
    return this.calls.undecidedLostCalls(pbx, limit);
  }

  async callbacksOfCall(callId: string): Promise<Callback[]> {
    return this.listing.callbacksOfCall(callId);
  }

  async eventsOfCall(callId: string): Promise<CallEvent[]> {
    return this.history.eventsOfCall(callId);
  }

  async appendEvents(at: number, events: NewEvent[]): Promise<void> {
    this.appendTx.immediate(at, events);
  }

  async join(seat: Seat, now: number, staleMs: number, alive: (held: Seat) => boolean): Promise<JoinResult> {
    return this.daemonLock.join(seat, now, staleMs, alive);
  }

  async heartbeat(owner: string, now: number): Promise<boolean> {
    return this.daemonLock.heartbeat(owner, now);
  }

  async leave(owner: string): Promise<void> {
    this.daemonLock.leave(owner);
  }

  async seats(): Promise<HeldSeat[]> {
    return this.daemonLock.seats();
  }

  /** Also opens the wake socket (once per store) through which command-line writers reach this daemon. */
  async onWork(listener: () => void): Promise<() => void> {
    return this.work.listen(listener);
  }

  async announceWork(): Promise<void> {
    await this.work.announce();
  }

  async exportPage<K extends ExportKind>(kind: K, after: string | null, limit: number): Promise<ExportPage<K>> {
    return this.copy.exportPage(kind, after, limit);
  }

  async importRows<K extends ExportKind>(kind: K, rows: readonly Exported[K][]): Promise<number> {
    return this.copy.importRows(kind, rows);
  }

  async addDelivery(delivery: NewDelivery): Promise<WebhookDelivery> {
    return this.deliveries.add(delivery);
  }

  async claimDueDeliveries(claim: DeliveryClaim): Promise<WebhookDelivery[]> {
    return this.deliveries.claimDue(claim);
  }

  async nextDeliveryAt(): Promise<number | null> {
    return this.deliveries.nextAt();
  }

  async recordDeliveryAttempt(owner: string, attempt: NewDeliveryAttempt, next: DeliveryNext): Promise<boolean> {
    return this.deliveries.recordAttemptInTransaction(owner, attempt, next);
  }

  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    return this.deliveries.get(id);
  }

  async deliveryAttempts(id: string): Promise<DeliveryAttempt[]> {
    return this.deliveries.attempts(id);
  }

  async listDeliveries(filter: DeliveryFilter): Promise<Page<WebhookDelivery>> {
    return this.deliveries.list(filter);
  }

  async replayDelivery(id: string, at: number): Promise<WebhookDelivery | null> {
    return this.deliveries.replayAt(id, at);
  }

  async releaseDeliveryClaims(owner: string): Promise<number> {
    return this.deliveries.releaseClaims(owner);
  }

  async forgetDeliveries(before: number): Promise<number> {
    return this.deliveries.forgetBefore(before);
  }

  async importContacts(table: string, rows: readonly ContactRow[], options: ContactImportOptions, at: number): Promise<ContactImportResult> {
    return this.contacts.importContacts(table, rows, options, at);
  }

  async lookupContact(table: string, key: string): Promise<ContactRow | null> {
    return this.contacts.lookupContact(table, key);
  }

  async contactTables(): Promise<ContactTableInfo[]> {
    return this.contacts.contactTables();
  }

  async contactRows(table: string, query: ContactRowsQuery): Promise<ContactRowsPage> {
    return this.contacts.contactRows(table, query);
  }

  async dropContactTable(table: string): Promise<boolean> {
    return this.contacts.dropContactTable(table);
  }

  onWrite(listener: StoreWriteListener): () => void {
    return this.writeTimes.listen(listener);
  }

  async close(): Promise<void> {
    await this.work.close();
    if (this.db.open) this.db.close();
  }

  /** Called after the transaction committed: listeners never run inside it. */
  private async announceIf(written: readonly Written<unknown>[]): Promise<void> {
    if (written.some((w) => announcesWork(w.before, w.after))) await this.work.announce();
  }
}
