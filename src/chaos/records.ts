/**
 * What a crash storm collects: the PBX's side (from the simulator), the callers' side (from the
 * load), the daemon's side (rows of its SQLite file) and when the daemon was up. The verdict is a
 * pure function of these, so it can be checked with hand-made records.
 */

/** One POST /channels the PBX received. */
export interface OriginateRecord {
  at: number;
  endpoint: string;
  channelId: string | null;
  /** CB_ID and CB_ATTEMPT as the daemon set them on the channel. */
  callbackId: string | null;
  attemptId: string | null;
  /** HTTP status the PBX answered (409: a channel with that id already existed, nothing was dialled). */
  status: number;
}

/** A channel joined a bridge (the daemon joins an answered customer to the agent's placeholder). */
export interface BridgeEntry {
  channelId: string;
  bridgeId: string;
  at: number;
}

/** An agent talked to a queue caller (a caller, a placeholder, or a customer put into the queue). */
export interface ConversationRecord {
  channelId: string;
  number: string;
  queue: string;
  placeholderFor: string | null;
  answeredAt: number;
  endedAt: number | null;
}

/** A time a channel spent inside the daemon's Stasis application. */
export interface StasisStay {
  /** StasisStart arguments joined by commas, e.g. `observe,support` or `callback,support,0`. */
  args: string;
  start: number;
  end: number | null;
}

export type CallerKind =
  | 'patient'
  | 'abandon'
  | 'press1'
  | 'press1-other'
  | 'press1-backout'
  | 'ivr0'
  | 'ivr-delayed'
  | 'ivr-other'
  | 'ivr-anonymous'
  | 'recall';

/** One simulated caller, as the caller lived it. */
export interface CallerRecord {
  kind: CallerKind;
  /** The channel that runs the dialplan and waits in the queue: the daemon's call id. */
  callId: string;
  /** As presented (E.164, or 'anonymous'). */
  number: string;
  queue: string;
  /** Came in through the queue entry point, or straight into the CallBack node. */
  entry: 'queue' | 'ivr';
  placedAt: number;
  /** Every time the caller joined the queue (a caller sent back by a failed Stasis joins again). */
  queued: number[];
  servedAt: number | null;
  goneAt: number | null;
  /** Set when the caller hung up while waiting unanswered in the queue. */
  abandonedAt: number | null;
  /** Time in the queue since the last join, at the abandon. */
  waitedMs: number | null;
  stasis: StasisStay[];
  /** When a prompt started playing to the caller: the daemon was talking to them. */
  heard: number[];
}

/** One `callbackd create` the load ran against the daemon's database. */
export interface ManualRecord {
  at: number;
  args: string[];
  code: number | null;
  output: string;
}

/** From a ready line to the kill (endedAt null: still running when the run ended). */
export interface Uptime {
  readyAt: number;
  /** The PBX saw the daemon's application connected. */
  connectedAt: number;
  endedAt: number | null;
  /** What ended it: the storm's SIGKILL, the final SIGTERM, or an exit of its own. */
  endedBy: 'kill' | 'stop' | 'exit' | null;
}

export interface CallbackRow {
  id: string;
  number: string;
  queue: string;
  status: string;
  mechanism: string;
  dueAt: number | null;
  createdAt: number;
  originCallId: string | null;
  shifted: boolean;
}

export interface AttemptRow {
  id: string;
  callbackId: string;
  seq: number;
  mode: string;
  startedAt: number;
  endedAt: number | null;
  outcome: string | null;
  placeholderRef: string | null;
  customerRef: string | null;
}

export interface EventRow {
  id: number;
  type: string;
  at: number;
  callbackId: string | null;
  callId: string | null;
  data: Record<string, unknown>;
}

export interface CallRow {
  id: string;
  number: string | null;
  queue: string | null;
  enteredAt: number;
  endedAt: number | null;
  result: string;
  waitSeconds: number | null;
  /** Why an abandoned call did or did not become a LostShift callback, where the schema records it. */
  lostDecision: string | null;
}

export interface DbRows {
  callbacks: CallbackRow[];
  attempts: AttemptRow[];
  events: EventRow[];
  calls: CallRow[];
}

/** The PBX at the end of the run, before the daemon was stopped. */
export interface EndState {
  at: number;
  queueEntries: Array<{ queue: string; channelId: string; placeholderFor: string | null }>;
  /** Live channels with where their dialplan is. */
  channels: Array<{ id: string; appName: string; appData: string }>;
}

export interface StormRecords {
  originations: OriginateRecord[];
  bridgeEntries: BridgeEntry[];
  conversations: ConversationRecord[];
  callers: CallerRecord[];
  manual: ManualRecord[];
  /** When the daemon that watches queue calls and the CallBack node was up. */
  uptimes: Uptime[];
  /** Runs of the other daemons (several daemons on one PostgreSQL): they only dial callbacks. */
  otherUptimes?: Uptime[];
  unexpectedExits: number;
  /** Messages of the daemon's error-level log lines (informational: they point at the cause). */
  logErrors: string[];
  db: DbRows;
  end: EndState;
}

export interface JudgeRules {
  /** Queues whose rule turns abandoned calls into callbacks. */
  lostShift: Record<string, { minWaitSeconds: number }>;
  /**
   * How far from a kill or a restart a PBX fact must be for the daemon to be expected to have
   * seen it: an event in flight when the process died is lost by nature, not by a bug.
   */
  graceMs: number;
  /** A Scheduled callback overdue by more than this at the end is stuck. */
  overdueMs: number;
  /** How long after the daemon came back a caller may still sit in its application unattended. */
  parkGraceMs: number;
  /** How long a caller passing the queue's observe hop may take before it counts as parked. */
  observeHopMs: number;
  /** Dials this close after a terminal status change are ordering noise between two processes. */
  orderingToleranceMs: number;
}

export const DEFAULT_RULES: Omit<JudgeRules, 'lostShift'> = {
  graceMs: 500,
  overdueMs: 60_000,
  parkGraceMs: 5_000,
  observeHopMs: 3_000,
  orderingToleranceMs: 20,
};
