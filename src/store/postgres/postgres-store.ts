import type pg from 'pg';
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
  StoreWrite,
  StoreWriteListener,
  TriggerClaim,
  TriggerRun,
  TriggerRunEnd,
} from '../../domain/store';
import type { Attempt, CallEvent, CallRecord, Callback, Status } from '../../domain/types';
import { DAY_MS } from '../../domain/lost-shift';
import * as attempts from './attempts';
import * as callbacks from './callbacks';
import * as calls from './calls';
import * as claims from './claims';
import { Commits } from './commits';
import * as copy from './copy';
import { createPool, inPipelinedTransaction, inTransaction, maskUrl, notifyWork } from './connection';
import * as events from './events';
import * as triggers from './triggers';
import { callbacksAround, countCreatedSince, listCallbacks } from './listing';
import { migrate } from './migrate';
import { findRequestKey, forgetRequestKeys } from './request-keys';
import * as seats from './seats';
import { WorkNotifications } from './work';
import type { DeliveryAttempt, DeliveryClaim, DeliveryFilter, DeliveryNext, NewDelivery, NewDeliveryAttempt, WebhookDelivery } from '../../domain/store';
import * as webhooks from './webhooks';
import { WriteTimes } from '../write-times';
import type { ContactImportOptions, ContactImportResult, ContactRow, ContactRowsPage, ContactRowsQuery, ContactTableInfo } from '../../domain/store';
import * as contacts from './contacts';

export interface PostgresOpenOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/**
 * The CallbackStore on a PostgreSQL database that several daemons share. Every write that reads
 * first locks what it read (FOR UPDATE, or an advisory lock for claims) in the same transaction;
 * other daemons learn of new work through NOTIFY on `callbackd_work`.
 */
export class PostgresStore implements CallbackStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly work: WorkNotifications;
  /** The seats this store joined, so a heartbeat or leave of a replaced incarnation touches nothing. */
  private readonly incarnations = new Map<string, seats.Incarnation>();
  private closed = false;
  private readonly writeTimes = new WriteTimes();

  private constructor(
    private readonly pool: pg.Pool,
    url: string,
  ) {
    this.location = maskUrl(url);
    this.work = new WorkNotifications(url);
  }

  /** Connect, migrate and return the store; close() ends its connections. */
  static async open(url: string, opts: PostgresOpenOptions = {}): Promise<PostgresStore> {
    const pool = createPool(url, opts.poolSize ?? 10);
    try {
      await migrate(pool);
    } catch (err) {
      await pool.end().catch(() => {});
      throw new Error(`cannot open the PostgreSQL store at ${maskUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresStore(pool, url);
  }

  createOrMerge(callback: NewCallback, newEvents: NewEvent[], merge: (existing: Callback) => CallbackChange, requestKey?: RequestKey): Promise<CreateResult> {
    return this.writing('create', (commits) => commits.createOrMerge(callback, newEvents, merge, requestKey));
  }

  keptRequest(key: string): Promise<KeptRequest | null> {
    return findRequestKey(this.pool, key);
  }

  forgetRequestKeys(before: number): Promise<number> {
    return forgetRequestKeys(this.pool, before);
  }

  createMany(
    items: readonly { callback: NewCallback; events: NewEvent[] }[],
    merge: (existing: Callback) => CallbackChange,
  ): Promise<CreateResult[]> {
    return this.writing('create', async (commits) => {
      const results: CreateResult[] = [];
      for (const item of items) results.push(await commits.createOrMerge(item.callback, item.events, merge));
      return results;
    });
  }

  commit(change: CallbackChange): Promise<Callback> {
    return this.writing('commit', (commits) => commits.commit(change));
  }

  get(id: string): Promise<Callback | null> {
    return callbacks.getCallback(this.pool, id);
  }

  list(filter: ListFilter): Promise<Page<Callback>> {
    return listCallbacks(this.pool, filter);
  }

  pendingFor(number: string, queue: string): Promise<Callback | null> {
    return callbacks.pendingFor(this.pool, number, queue);
  }

  countPending(queue: string, pbx?: string): Promise<number> {
    return callbacks.countPending(this.pool, queue, pbx);
  }

  countByStatus(): Promise<Partial<Record<Status, number>>> {
    return callbacks.countByStatus(this.pool);
  }

  countByStatusAndMechanism(): Promise<StatusMechanismCount[]> {
    return callbacks.countByStatusAndMechanism(this.pool);
  }

  scheduledShiftedFor(number: string): Promise<Callback[]> {
    return callbacks.scheduledShiftedFor(this.pool, number);
  }

  claimNextDue(request: ClaimRequest): Promise<ClaimResult> {
    return this.writeTimes.timeAsync('claim', () => claims.claimNextDue(this.pool, request));
  }

  releaseClaim(id: string, owner: string): Promise<void> {
    return claims.releaseClaim(this.pool, id, owner);
  }

  releaseExpiredClaims(now: number): Promise<number> {
    return claims.releaseExpiredClaims(this.pool, now);
  }

  releaseOrphanedClaims(owner: string, now: number, staleMs: number): Promise<number> {
    return claims.releaseOrphanedClaims(this.pool, owner, now, staleMs);
  }

  nextDueAt(pbx: string, skipQueues?: readonly string[]): Promise<number | null> {
    return claims.nextDueAt(this.pool, pbx, skipQueues);
  }

  dueForExpiry(now: number, limit: number): Promise<Callback[]> {
    return claims.dueForExpiry(this.pool, now, limit);
  }

  adoptAttempts(owner: string, pbx: string, now: number, leaseMs: number): Promise<Attempt[]> {
    return attempts.adoptAttempts(this.pool, owner, pbx, now, leaseMs);
  }

  renewAttemptLeases(owner: string, until: number): Promise<number> {
    return attempts.renewAttemptLeases(this.pool, owner, until);
  }

  openAttempts(filter?: AttemptFilter): Promise<Attempt[]> {
    return attempts.openAttempts(this.pool, filter);
  }

  heldPlacesWithoutPlaceholder(pbx: string): Promise<Callback[]> {
    return callbacks.heldPlacesWithoutPlaceholder(this.pool, pbx);
  }

  attemptsOf(callbackId: string): Promise<Attempt[]> {
    return attempts.attemptsOf(this.pool, callbackId);
  }

  getAttempt(id: string): Promise<Attempt | null> {
    return attempts.getAttempt(this.pool, id);
  }

  attemptByChannel(channelId: string): Promise<Attempt | null> {
    return attempts.attemptByChannel(this.pool, channelId);
  }

  eventsOf(callbackId: string): Promise<CallEvent[]> {
    return events.eventsOf(this.pool, callbackId);
  }

  eventsAfter(afterId: number, limit: number): Promise<CallEvent[]> {
    return events.eventsAfter(this.pool, afterId, limit);
  }

  lastEventId(): Promise<number> {
    return events.lastEventId(this.pool);
  }

  upsertCall(call: CallRecord): Promise<void> {
    return calls.upsertCall(this.pool, call);
  }

  getCall(id: string): Promise<CallRecord | null> {
    return calls.getCall(this.pool, id);
  }

  listCalls(filter: CallFilter): Promise<Page<CallRecord>> {
    return calls.listCalls(this.pool, filter);
  }

  waitingCalls(pbx: string, queue?: string): Promise<CallRecord[]> {
    return calls.waitingCalls(this.pool, pbx, queue);
  }

  decideLostCall(id: string, decision: LostCallDecision, at: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const first = await calls.decideLostCall(client, id, decision.text, decision.reason);
      if (first) await events.writeEvents(client, events.eventLines(at, [decision.event]));
      return first;
    });
  }

  countCreatedSince(scope: { number: string } | { queue: string }, pbx: string, since: number): Promise<number> {
    return countCreatedSince(this.pool, scope, pbx, since);
  }

  triggerCursor(name: string): Promise<number | null> {
    return triggers.triggerCursor(this.pool, name);
  }

  setTriggerCursor(name: string, eventId: number): Promise<void> {
    return triggers.setTriggerCursor(this.pool, name, eventId);
  }

  claimTriggerRun(name: string, slotAt: number, owner: string, at: number, staleBefore: number): Promise<TriggerClaim> {
    return triggers.claimTriggerRun(this.pool, name, slotAt, owner, at, staleBefore);
  }

  finishTriggerRun(name: string, slotAt: number, end: TriggerRunEnd, at: number): Promise<void> {
    return triggers.finishTriggerRun(this.pool, name, slotAt, end, at);
  }

  triggerRuns(name: string | null, limit: number): Promise<TriggerRun[]> {
    return triggers.triggerRuns(this.pool, name, limit);
  }

  lostCallsBetween(pbx: string, from: number, to: number, after: { endedAt: number; id: string } | null, limit: number): Promise<CallRecord[]> {
    return calls.lostCallsBetween(this.pool, pbx, from, to, after, limit);
  }

  callbacksAround(pbx: string, from: number, to: number): Promise<Callback[]> {
    return callbacksAround(this.pool, pbx, from, to, from - DAY_MS);
  }

  undecidedLostCalls(pbx: string, limit: number): Promise<CallRecord[]> {
    return calls.undecidedLostCalls(this.pool, pbx, limit);
  }

  callbacksOfCall(callId: string): Promise<Callback[]> {
    return callbacks.callbacksOfCall(this.pool, callId);
  }

  eventsOfCall(callId: string): Promise<CallEvent[]> {
    return events.eventsOfCall(this.pool, callId);
  }

  appendEvents(at: number, newEvents: NewEvent[]): Promise<void> {
    return inTransaction(this.pool, (client) => events.writeEvents(client, events.eventLines(at, newEvents)));
  }

  /** One seat per owner; many owners at once. */
  async join(seat: Seat, now: number, staleMs: number, alive: (held: Seat) => boolean): Promise<JoinResult> {
    const result = await inTransaction(this.pool, (client) => seats.join(client, seat, now, staleMs, alive));
    if (result.ok) this.incarnations.set(seat.owner, { host: seat.host, pid: seat.pid });
    return result;
  }

  heartbeat(owner: string, now: number): Promise<boolean> {
    return seats.heartbeat(this.pool, owner, now, this.incarnations.get(owner));
  }

  async leave(owner: string): Promise<void> {
    await seats.leave(this.pool, owner, this.incarnations.get(owner));
    this.incarnations.delete(owner);
  }

  seats(): Promise<HeldSeat[]> {
    return seats.seats(this.pool);
  }

  onWork(listener: () => void): Promise<() => void> {
    return this.work.add(listener);
  }

  async announceWork(): Promise<void> {
    // Payload '*': not one PBX's news; listeners do not filter on it anyway.
    await notifyWork(this.pool, '*');
  }

  exportPage<K extends ExportKind>(kind: K, after: string | null, limit: number): Promise<ExportPage<K>> {
    return copy.exportPage(this.pool, kind, after, limit);
  }

  importRows<K extends ExportKind>(kind: K, rows: readonly Exported[K][]): Promise<number> {
    return inTransaction(this.pool, (client) => copy.importRows(client, kind, rows, this.location));
  }

  addDelivery(delivery: NewDelivery): Promise<WebhookDelivery> {
    return webhooks.addDelivery(this.pool, delivery);
  }

  claimDueDeliveries(claim: DeliveryClaim): Promise<WebhookDelivery[]> {
    return webhooks.claimDueDeliveries(this.pool, claim);
  }

  nextDeliveryAt(): Promise<number | null> {
    return webhooks.nextDeliveryAt(this.pool);
  }

  recordDeliveryAttempt(owner: string, attempt: NewDeliveryAttempt, next: DeliveryNext): Promise<boolean> {
    return webhooks.recordDeliveryAttempt(this.pool, owner, attempt, next);
  }

  getDelivery(id: string): Promise<WebhookDelivery | null> {
    return webhooks.getDelivery(this.pool, id);
  }

  deliveryAttempts(id: string): Promise<DeliveryAttempt[]> {
    return webhooks.deliveryAttempts(this.pool, id);
  }

  listDeliveries(filter: DeliveryFilter): Promise<Page<WebhookDelivery>> {
    return webhooks.listDeliveries(this.pool, filter);
  }

  replayDelivery(id: string, at: number): Promise<WebhookDelivery | null> {
    return webhooks.replayDelivery(this.pool, id, at);
  }

  releaseDeliveryClaims(owner: string): Promise<number> {
    return webhooks.releaseDeliveryClaims(this.pool, owner);
  }

  forgetDeliveries(before: number): Promise<number> {
    return webhooks.forgetDeliveries(this.pool, before);
  }

  importContacts(table: string, rows: readonly ContactRow[], options: ContactImportOptions, at: number): Promise<ContactImportResult> {
    return contacts.importContacts(this.pool, table, rows, options, at);
  }

  lookupContact(table: string, key: string): Promise<ContactRow | null> {
    return contacts.lookupContact(this.pool, table, key);
  }

  contactTables(): Promise<ContactTableInfo[]> {
    return contacts.contactTables(this.pool);
  }

  contactRows(table: string, query: ContactRowsQuery): Promise<ContactRowsPage> {
    return contacts.contactRows(this.pool, table, query);
  }

  dropContactTable(table: string): Promise<boolean> {
    return contacts.dropContactTable(this.pool, table);
  }

  onWrite(listener: StoreWriteListener): () => void {
    return this.writeTimes.listen(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.work.close();
    await this.pool.end();
  }

  /** One transaction for a creation or change, its history and notifications written last (pipelined: see Commits). */
  private writing<T>(operation: StoreWrite['operation'], work: (commits: Commits) => Promise<T>): Promise<T> {
    return this.writeTimes.timeAsync(operation, () =>
      inPipelinedTransaction(this.pool, async (tx) => {
        const commits = new Commits(tx);
        const result = await work(commits);
        commits.finish();
        return result;
      }),
    );
  }
}
