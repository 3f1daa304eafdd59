import type { LifecycleEvent } from './lifecycle';
import type { ContactImportOptions, ContactImportResult, ContactRow, ContactRowsPage, ContactRowsQuery, ContactTableInfo } from './contacts';
import type { DeliveryAttempt, DeliveryClaim, DeliveryFilter, DeliveryNext, NewDelivery, NewDeliveryAttempt, WebhookDelivery } from './deliveries';
import type { TriggerClaim, TriggerRun, TriggerRunEnd } from './trigger-runs';
import type { Attempt, CallEvent, CallRecord, Callback, EventType, Form, LostReason, Mechanism, Outcome, Status } from './types';

/** Why an abandoned call did or did not become a callback: words, a stable code, and the history line that says so. */
export interface LostCallDecision {
  text: string;
  reason: LostReason;
  event: NewEvent;
}

/** A history line to write; id and time are filled in by the store (time from the change's `at`). */
export interface NewEvent {
  type: EventType;
  callbackId?: string | null;
  callId?: string | null;
  data?: Record<string, unknown>;
}

export type NewCallback = Omit<Callback, 'status' | 'updatedAt' | 'attempts' | 'claimOwner' | 'claimUntil' | 'version'>;

/**
 * One change to one callback: its new status (when `event` is given), field updates, attempt start
 * or end, and history lines. The store writes all of it in one transaction, and only if the
 * callback still has status `from` (and `version`, when given); otherwise ConflictError.
 * A status change adds its own StatusChanged event ({from, to, event}).
 */
export interface CallbackChange {
  callbackId: string;
  at: number;
  from: Status;
  /** Lifecycle event and the status it leads to (the caller computed `to` with nextStatus). */
  event?: LifecycleEvent;
  to?: Status;
  version?: number;
  set?: Partial<
    Pick<Callback, 'dueAt' | 'expiresAt' | 'number' | 'form' | 'note' | 'queuePosition' | 'claimOwner' | 'claimUntil' | 'attempts' | 'shifted'>
  >;
  /** The attempt starts owned by `owner` with a lease until `leaseUntil`; `counted` says whether it takes a concurrency slot. */
  startAttempt?: Omit<Attempt, 'endedAt' | 'outcome' | 'detail'>;
  endAttempt?: { id: string; outcome: Outcome; detail?: string | null };
  /** Set references on an open attempt (for example the customer channel id before dialling). */
  updateAttempt?: { id: string; placeholderRef?: string | null; customerRef?: string | null };
  /** An open attempt the PBX never received (it was not connected): removed, as if never started. */
  withdrawAttempt?: string;
  events?: NewEvent[];
}

export interface ListFilter {
  status?: Status;
  number?: string;
  queue?: string;
  mechanism?: Mechanism;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** The grid of calls: newest first (by the time the call entered the queue), filtered, a page at a time. */
export interface CallFilter {
  result?: CallRecord['result'];
  queue?: string;
  limit: number;
  /** Opaque cursor from a previous page (the same style as ListFilter's). */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type StoreKind = 'sqlite' | 'postgres';

export interface StatusMechanismCount {
  status: Status;
  mechanism: Mechanism;
  count: number;
}

/**
 * A creating request's idempotency key, as a front end scoped it (the HTTP API: a hash of the
 * token and the Idempotency-Key header). The store keeps it with what the request made, in the
 * transaction that made it, so a retry finds it even after a restart or on another daemon.
 */
export interface RequestKey {
  /** Opaque, already scoped; at most 200 characters. */
  key: string;
  /** What the request asked for (a hash of its route and body): the same key with another is refused. */
  fingerprint: string;
  /** Whatever else the front end needs to answer a repeat as it answered the first (kept as JSON). */
  memo?: Record<string, unknown>;
}

/** A request key as the store kept it. */
export interface KeptRequest {
  key: string;
  fingerprint: string;
  /** The callback as the first request left it (created, or merged into). */
  callback: Callback;
  merged: boolean;
  memo: Record<string, unknown>;
  createdAt: number;
}

export type CreateResult = {
  callback: Callback;
  merged: boolean;
  /** Set when the request key was already kept: nothing was written, and this is the first request's result. */
  repeated?: KeptRequest;
};

/**
 * What a daemon asks for when it claims: the earliest due callback of its PBX whose queue has a
 * free slot. Slots are counted in the database (open counted attempts and outstanding claims of
 * that PBX, whoever holds them), inside the claim's own transaction, so several daemons sharing
 * one PBX never exceed its limits together.
 */
export interface ClaimRequest {
  owner: string;
  pbx: string;
  now: number;
  leaseMs: number;
  /** All counted attempts and claims of this PBX together. */
  maxConcurrent: number;
  /** Limits of single queues; a queue not named takes the limit under '*', or has none of its own. */
  queueLimits: Readonly<Record<string, number>>;
}

export interface ClaimResult {
  callback: Callback | null;
  /** Slots free before this claim (0 or less: nothing was claimed). */
  free: number;
  /** Queues at their own limit, left out of the claim. */
  fullQueues: string[];
}

/** A running daemon, as it registers in the store. */
export interface Seat {
  /**
   * The daemon's stable identity: the same after a restart (its PBX name and its application on
   * that PBX), so a restarted daemon finds its own attempts and claims at once. Two live daemons
   * never share one: `join` refuses the second.
   */
  owner: string;
  host: string;
  pid: number;
  /** The PBX it serves. */
  pbx: string;
}

export interface HeldSeat extends Seat {
  heartbeatAt: number;
}

/**
 * SQLite admits one daemon per file; PostgreSQL admits many, one per owner. A refusal names the
 * live holder. A holder is gone when its heartbeat is older than `staleMs`, or, on the same host,
 * when `alive` says its process is.
 */
export type JoinResult = { ok: true } | { ok: false; holder: HeldSeat };

export interface AttemptFilter {
  pbx?: string;
  owner?: string;
  /** Only those whose callback is settled already (their placeholders are unwanted): one query, not one per attempt. */
  settled?: boolean;
}

/**
 * Everything the engine needs from storage, asynchronous so one interface fits an embedded file
 * and a shared server. Two backends implement it (SQLite, PostgreSQL); nothing else speaks SQL.
 * Lifecycle checks happen before a change reaches the store (the domain's transition table);
 * the store writes the change only if the callback still is what the change was computed from.
 */
export interface CallbackStore {
  readonly kind: StoreKind;
  /** Where it lives, for logs (a file path, or a URL with its password masked). */
  readonly location: string;

  /**
   * Insert `callback` as Scheduled with its events, unless a callback for the same number and
   * queue is already pending (Scheduled or Dialing): then nothing is inserted, `merge` is called
   * with the pending one, and its returned change is committed instead, in the same transaction.
   * With `requestKey`: a key kept already returns the first request's result (`repeated`) and
   * writes nothing, a key kept for another fingerprint is refused (IdempotencyMismatchError), and
   * a new key is kept with the result in the same transaction. Two creators with one key at once:
   * one creates, the other gets the repeat.
   */
  createOrMerge(callback: NewCallback, events: NewEvent[], merge: (existing: Callback) => CallbackChange, requestKey?: RequestKey): Promise<CreateResult>;
  /** The request kept under `key`, if any (a front end answers a repeat before checking the request again). */
  keptRequest(key: string): Promise<KeptRequest | null>;
  /** Forget request keys kept before `before` (a retry comes within minutes; the sweep forgets them after days). Returns how many. */
  forgetRequestKeys(before: number): Promise<number>;
  /** Many createOrMerge in one transaction: all or nothing, and far cheaper than one by one. */
  createMany(items: readonly { callback: NewCallback; events: NewEvent[] }[], merge: (existing: Callback) => CallbackChange): Promise<CreateResult[]>;
  get(id: string): Promise<Callback | null>;
  list(filter: ListFilter): Promise<Page<Callback>>;
  /** The pending (Scheduled or Dialing) callback for this number and queue, if any. */
  pendingFor(number: string, queue: string): Promise<Callback | null>;
  /** Pending callbacks of `queue` (on `pbx` only, when given: each PBX has its own maxPending). */
  countPending(queue: string, pbx?: string): Promise<number>;
  /** How many callbacks stand in each status (a full scan: status displays, not hot paths). */
  countByStatus(): Promise<Partial<Record<Status, number>>>;
  /** The same, by status and mechanism (metrics); only the pairs that have callbacks. */
  countByStatusAndMechanism(): Promise<StatusMechanismCount[]>;
  /** Scheduled callbacks for `number` with shifted = true (Neglected candidates). */
  scheduledShiftedFor(number: string): Promise<Callback[]>;
  commit(change: CallbackChange): Promise<Callback>;

  /** Claim the earliest due, unclaimed, Scheduled callback of the request's PBX that fits its limits. Exactly one claimer wins. */
  claimNextDue(request: ClaimRequest): Promise<ClaimResult>;
  /** Drop a claim without other changes (for example when the PBX is down). */
  releaseClaim(id: string, owner: string): Promise<void>;
  /** Free claims whose lease ended (their owner crashed or stalled). Returns how many. */
  releaseExpiredClaims(now: number): Promise<number>;
  /**
   * Called by a daemon as it starts: free the claims `owner` itself holds (they can only be its
   * previous incarnation's: an owner is a daemon's stable identity, see Seat) and those of owners
   * that are gone (no seat with a heartbeat within `staleMs`). Returns how many.
   */
  releaseOrphanedClaims(owner: string, now: number, staleMs: number): Promise<number>;
  /** Earliest dueAt among unclaimed Scheduled callbacks of `pbx` (of queues not in `skipQueues`), or null. */
  nextDueAt(pbx: string, skipQueues?: readonly string[]): Promise<number | null>;
  /** Scheduled callbacks whose expiresAt <= now. */
  dueForExpiry(now: number, limit: number): Promise<Callback[]>;

  /**
   * The open attempts of `pbx` this daemon answers for: its own, and those whose owner's lease
   * lapsed (the owner died), which it takes over. Every one returned is owned by `owner` with a
   * lease until now + leaseMs; two daemons never both get the same attempt.
   */
  adoptAttempts(owner: string, pbx: string, now: number, leaseMs: number): Promise<Attempt[]>;
  /** Extend the lease of every open attempt `owner` holds. Returns how many. */
  renewAttemptLeases(owner: string, until: number): Promise<number>;
  openAttempts(filter?: AttemptFilter): Promise<Attempt[]>;
  /** Scheduled callbacks of `pbx` holding a caller's place (no due time) with no open attempt: their placeholder is missing. */
  heldPlacesWithoutPlaceholder(pbx: string): Promise<Callback[]>;
  attemptsOf(callbackId: string): Promise<Attempt[]>;
  getAttempt(id: string): Promise<Attempt | null>;
  /**
   * The attempt that used PBX channel `channelId` as its placeholder or its customer channel (the
   * latest started, should two ever share one), or null: an outbound call found from its id.
   */
  attemptByChannel(channelId: string): Promise<Attempt | null>;
  eventsOf(callbackId: string): Promise<CallEvent[]>;
  eventsAfter(afterId: number, limit: number): Promise<CallEvent[]>;
  /** The id of the newest event, 0 when there is none (a live stream starts after it). */
  lastEventId(): Promise<number>;

  upsertCall(call: CallRecord): Promise<void>;
  getCall(id: string): Promise<CallRecord | null>;
  listCalls(filter: CallFilter): Promise<Page<CallRecord>>;
  waitingCalls(pbx: string, queue?: string): Promise<CallRecord[]>;
  /**
   * Record why an abandoned call did or did not become a LostShift callback, with its
   * LostCallDecided event, in one transaction; only the first decision of a call is kept (false
   * when the call was already decided, or is not recorded).
   */
  decideLostCall(id: string, decision: LostCallDecision, at: number): Promise<boolean>;
  /** Callbacks of `pbx` created at or after `since`, for one number (every queue) or one queue (every number). */
  countCreatedSince(scope: { number: string } | { queue: string }, pbx: string, since: number): Promise<number>;
  /** Abandoned calls of `pbx` whose LostShift decision was never recorded (the daemon died in between). */
  undecidedLostCalls(pbx: string, limit: number): Promise<CallRecord[]>;
  /**
   * For a replay: abandoned calls of `pbx` that ended in [from, to), oldest first, a page at a
   * time after the (endedAt, id) of the last one read.
   */
  lostCallsBetween(pbx: string, from: number, to: number, after: { endedAt: number; id: string } | null, limit: number): Promise<CallRecord[]>;
  /**
   * For a replay: the callbacks of `pbx` that could weigh on a decision in [from, to): created
   * before `to`, and pending at some instant of the period or created in the day before it
   * (the daily caps look back 24 hours). Oldest first.
   */
  callbacksAround(pbx: string, from: number, to: number): Promise<Callback[]>;

  /** The last history event a reader named `name` (status triggers) has acted on; null: it never read. */
  triggerCursor(name: string): Promise<number | null>;
  /** Move that reader's cursor to `eventId`; a cursor never moves back. */
  setTriggerCursor(name: string, eventId: number): Promise<void>;
  /**
   * Claim the run of interval trigger `name` for the instant its schedule named (`slotAt`), for
   * exactly one claimer whatever the number of daemons: 'taken' when the slot was claimed before
   * (a claimed slot is never run again, even when its runner died), 'running' while a run of the
   * trigger that started after `staleBefore` has not ended (runs never overlap; a run older than
   * that is taken for dead).
   */
  claimTriggerRun(name: string, slotAt: number, owner: string, at: number, staleBefore: number): Promise<TriggerClaim>;
  finishTriggerRun(name: string, slotAt: number, end: TriggerRunEnd, at: number): Promise<void>;
  /** Newest first; every trigger's when `name` is null. */
  triggerRuns(name: string | null, limit: number): Promise<TriggerRun[]>;
  callbacksOfCall(callId: string): Promise<Callback[]>;
  eventsOfCall(callId: string): Promise<CallEvent[]>;
  appendEvents(at: number, events: NewEvent[]): Promise<void>;

  /** Register a daemon (SQLite: only if no other live daemon holds the file). */
  join(seat: Seat, now: number, staleMs: number, alive: (held: Seat) => boolean): Promise<JoinResult>;
  /** Renew the seat; false when it was taken away (this daemon was thought dead). */
  heartbeat(owner: string, now: number): Promise<boolean>;
  leave(owner: string): Promise<void>;
  /** The daemons registered, with their last heartbeat. */
  seats(): Promise<HeldSeat[]>;

  /**
   * Work may have arrived: a callback created, made due or settled, by this process or another
   * (PostgreSQL NOTIFY; on SQLite the writers of this process, and the CLI through the daemon's
   * local socket). Returns a function that stops listening.
   */
  onWork(listener: () => void): Promise<() => void>;
  /** Tell every listener, in this process and others, that work may have arrived. */
  announceWork(): Promise<void>;

  /** Every row of one kind, a page at a time in key order (for `callbackd copy`). */
  exportPage<K extends ExportKind>(kind: K, after: string | null, limit: number): Promise<ExportPage<K>>;
  /**
   * Write rows exported from another store exactly as they are (ids, times, versions, claims and
   * event ids kept), in one transaction. Rows already present (same key) are left alone, so a copy
   * that was interrupted can be run again.
   */
  importRows<K extends ExportKind>(kind: K, rows: readonly Exported[K][]): Promise<number>;

  /**
   * Keep a webhook delivery, pending from its dueAt: written before it is first attempted, so a
   * restart loses none. A delivery already kept under the same id is left as it is and returned
   * (one event enqueued twice is sent once).
   */
  addDelivery(delivery: NewDelivery): Promise<WebhookDelivery>;
  /**
   * Claim up to `limit` pending deliveries due by `now` (unclaimed, or whose lease ran out), earliest
   * first, for `owner` until now + leaseMs. Two claimers at once never get the same one.
   */
  claimDueDeliveries(claim: DeliveryClaim): Promise<WebhookDelivery[]>;
  /** When the next pending delivery can be claimed (its dueAt, or the end of the lease on it), or null. */
  nextDeliveryAt(): Promise<number | null>;
  /**
   * Record one attempt of a delivery `owner` holds and what follows it (pending again from dueAt,
   * delivered, or dead), and let go of its claim, in one transaction. False, and nothing written,
   * when `owner` no longer holds it (its lease ran out and another took it).
   */
  recordDeliveryAttempt(owner: string, attempt: NewDeliveryAttempt, next: DeliveryNext): Promise<boolean>;
  getDelivery(id: string): Promise<WebhookDelivery | null>;
  /** Every attempt of a delivery, all its rounds, oldest first. */
  deliveryAttempts(id: string): Promise<DeliveryAttempt[]>;
  /** Newest first, a page at a time (the same cursor style as ListFilter's). */
  listDeliveries(filter: DeliveryFilter): Promise<Page<WebhookDelivery>>;
  /**
   * A delivered or dead delivery pending again from `at`, its attempts counted from zero in a new
   * round (the earlier rounds' attempts are kept). Null when there is no such delivery or it is pending.
   */
  replayDelivery(id: string, at: number): Promise<WebhookDelivery | null>;
  /** Let go of the deliveries `owner` holds: as a daemon starts, they can only be its previous incarnation's. Returns how many. */
  releaseDeliveryClaims(owner: string): Promise<number>;
  /** Forget delivered deliveries (and their attempts) created before `before`; dead ones stay until replayed. Returns how many. */
  forgetDeliveries(before: number): Promise<number>;

  /**
   * Contact tables (imported from CSV, read by scripts). Write `rows` into `table` in one
   * transaction: with `replace` the table becomes exactly these rows, otherwise each row is added
   * or replaces the row with the same key. Every row needs a value in the `key` column, unique in
   * the import; keys are kept as given after trim, so a caller that wants numbers compared in
   * E.164 normalises them first (the service does). A table keyed by another column is replaced,
   * never merged into. Otherwise InvalidRequestError, and nothing is written.
   */
  importContacts(table: string, rows: readonly ContactRow[], options: ContactImportOptions, at: number): Promise<ContactImportResult>;
  /** The row of `table` whose key is exactly `key` (after trim), or null (no such row, or no such table). */
  lookupContact(table: string, key: string): Promise<ContactRow | null>;
  /** Every contact table, by name. */
  contactTables(): Promise<ContactTableInfo[]>;
  /** Rows of `table` in key order (byte order on both backends), a page at a time after the key `after`; none for a table that does not exist. */
  contactRows(table: string, query: ContactRowsQuery): Promise<ContactRowsPage>;
  /** Remove `table` and its rows; false when there was no such table. */
  dropContactTable(table: string): Promise<boolean>;

  /**
   * Hear how long each committed write took (a creation, a change or a claim, its transaction
   * whole), for metrics. Returns a function that stops it. A backend that cannot time its writes
   * leaves it out.
   */
  onWrite?(listener: StoreWriteListener): () => void;

  close(): Promise<void>;
}

/** One committed write, as onWrite tells it. */
export interface StoreWrite {
  operation: 'create' | 'commit' | 'claim';
  seconds: number;
}

export type StoreWriteListener = (write: StoreWrite) => void;

/** What a store holds, by kind, in the order a copy must write it (a callback before its attempts). */
export interface Exported {
  calls: CallRecord;
  callbacks: Callback;
  attempts: Attempt;
  events: CallEvent;
}

export type ExportKind = keyof Exported;

export const EXPORT_KINDS: readonly ExportKind[] = ['calls', 'callbacks', 'attempts', 'events'];

export interface ExportPage<K extends ExportKind> {
  rows: Exported[K][];
  /** Pass as `after` for the next page; null after the last. */
  next: string | null;
}

export type { Form };

export * from './contacts';
export * from './deliveries';
export * from './trigger-runs';
