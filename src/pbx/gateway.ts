import type { DialMode, Form, Outcome } from '../domain/types';

/**
 * The one interface the engine sees of a PBX. The Asterisk (ARI) and FreeSWITCH (event socket)
 * adapters implement it; PBX facts (event names, hangup causes, channel names) stay inside them.
 * Numbers reaching an adapter are already validated E.164 and endpoints already built.
 */
export interface PbxGateway {
  readonly kind: 'asterisk' | 'freeswitch';
  /** Connect and keep connecting forever, with backoff. Resolves at once; connection state goes to the listener. */
  start(listener: PbxListener): Promise<void>;
  /** Stop reconnecting and close. Channels on the PBX are left alone (a restart reconciles them). */
  stop(): Promise<void>;
  isConnected(): boolean;
  /**
   * Begin an attempt. Agent-first: a placeholder enters `queue` at `position`; when an agent takes it,
   * `listener.placeholderAnswered` decides whether the customer is dialled. Customer-first: the
   * customer is dialled now, asked to press 1, then queued at the head of `queue`.
   * Resolves when the PBX accepted the first request; rejects with PbxDialError when it refused
   * (the error carries the outcome). Later outcomes arrive through `listener.attemptEnded`.
   */
  startAttempt(plan: AttemptPlan): Promise<void>;
  /** Give up an attempt that has not reached the customer (hang up its placeholder). Idempotent. */
  abandonAttempt(ref: AttemptRef): Promise<void>;
  /**
   * After a (re)connect or a daemon restart: for each open attempt and each call believed to be
   * waiting in a queue, whether it still exists on the PBX. Alive ones are adopted again (their
   * events flow to the listener as before); the engine settles the dead ones.
   */
  reconcile(open: ReconcileRequest): Promise<ReconcileResult>;
  /**
   * The engine recorded how these calls ended: reconcile's servedCallIds, and the customer calls of
   * attempts it returned as answered. What the PBX kept for a restart to read can go.
   */
  forgetCalls?(callIds: readonly string[]): Promise<void>;
  /** Callers now waiting in `queue`, in queue order, as the PBX reports them (placeholders included). */
  queueSnapshot?(queue: string): Promise<QueueEntry[]>;
}

export interface AttemptRef {
  attemptId: string;
  callbackId: string;
  /** Channel / call id chosen before the placeholder was requested (agent-first). */
  placeholderRef: string | null;
  /** Channel / call id chosen before the customer is dialled. */
  customerRef: string | null;
}

export interface AttemptPlan extends AttemptRef {
  mode: DialMode;
  /** The queue that serves the callback. */
  queue: string;
  /** Agent-first: the place to take in the queue, 1 = head, 0 = the end. */
  position: number;
  /** E.164, validated. */
  number: string;
  /** Dial string built from the transition's template and the validated number. */
  endpoint: string;
  /** Caller ID the customer sees. */
  callerId: string;
  /** How long the customer's phone rings. */
  ringSeconds: number;
  /** The digits the agent hears (the national number at home, as the caller heard it). */
  spoken: string;
  form: Form;
}

/** How to reach the customer. */
export interface DialTarget {
  /** E.164, validated. */
  number: string;
  endpoint: string;
  callerId: string;
  ringSeconds: number;
  /** The digits the agent hears. */
  spoken: string;
}

export interface QueueEntry {
  ref: string;
  number: string | null;
  position: number;
  placeholderFor: string | null;
}

/** A call seen entering a queue through the shipped dialplan. */
export interface QueueCallEntered {
  callId: string;
  /** Caller number as the PBX gave it (not yet normalised). */
  number: string | null;
  queue: string;
  at: number;
  form: Form;
}

export interface QueueCallServed {
  callId: string;
  queue: string;
  number: string | null;
  at: number;
}

export interface QueueCallGone {
  callId: string;
  queue: string;
  at: number;
  /** abandoned: hung up unanswered while waiting; served: talked to an agent; left: any other exit (the callback key, a timeout). */
  how: 'abandoned' | 'served' | 'left';
  position: number | null;
  waitSeconds: number | null;
}

/** A caller handed to the CallBack IVR node. */
export interface IvrCallbackRequest {
  callId: string;
  number: string | null;
  queue: string;
  delayMinutes: number;
  /** Where the caller was in the queue when they pressed the callback key (delay 0), else null. */
  queuePosition: number | null;
  form: Form;
}

/** The caller's side of the IVR, PBX-neutral. All methods reject with CallerGoneError once the caller hung up. */
export interface CallerSession {
  answer(): Promise<void>;
  /** Play prompts in order (names as configured for this PBX). */
  play(prompts: readonly string[]): Promise<void>;
  /** Say digits one by one. */
  sayDigits(digits: string): Promise<void>;
  /**
   * Collect up to `max` digits, ending early on `terminator`. Resolves with the digits (without the
   * terminator), or '' if nothing came within `firstDigitMs`; stops `interDigitMs` after the last digit.
   */
  readDigits(opts: { max: number; terminator?: string; firstDigitMs: number; interDigitMs: number }): Promise<string>;
  /** Say a day and a time of day, in the PBX's language ("tomorrow at fourteen thirty"). */
  sayTime(time: SpokenTime): Promise<void>;
  hangup(): Promise<void>;
}

/** A moment as a caller hears it: which day, seen from today in the time zone it was read in, and the wall-clock time. */
export interface SpokenTime {
  /** A weekday is 1 (Monday) to 7 (Sunday), as ISO counts them; a date is month 1..12 and day 1..31. */
  day: { kind: 'today' } | { kind: 'tomorrow' } | { kind: 'weekday'; weekday: number } | { kind: 'date'; month: number; day: number };
  /** 0..23 */
  hour: number;
  /** 0..59 */
  minute: number;
}

/** What becomes of a queue call after the offer of its pending callback: it goes on into the queue, or it is over. */
export type AfterCalledAgain = 'queue' | 'hangup';

export interface ReconcileRequest {
  attempts: AttemptRef[];
  waitingCallIds: string[];
}

export interface ReconcileResult {
  /** Attempts whose channels are gone, with what the adapter could tell of the outcome. */
  goneAttempts: Array<{ attemptId: string; stage: 'placeholder' | 'customer'; outcome: Outcome }>;
  goneCallIds: string[];
  /** Of the gone calls, those the PBX says an agent answered (the daemon did not see it happen). */
  servedCallIds?: string[];
}

export interface PbxListener {
  connectionChanged(up: boolean): void;
  /** Resolves once the call is recorded: the adapter lets the caller on into the queue only then. */
  queueCallEntered(e: QueueCallEntered): Promise<void>;
  queueCallServed(e: QueueCallServed): Promise<void>;
  queueCallGone(e: QueueCallGone): Promise<void>;
  /**
   * A queue call just recorded (queueCallEntered resolved), before it goes on into the queue: when
   * a callback is pending for the caller, the engine tells them over `session` and asks what to do.
   * 'queue' lets the caller on (also when there was nothing to offer: the session is then left
   * untouched); 'hangup' has the adapter hang up whoever is still there. A rejection counts as
   * 'queue'. Absent: every caller goes straight on.
   */
  callerCalledAgain?(session: CallerSession, call: QueueCallEntered): Promise<AfterCalledAgain>;
  /** Runs the CallBack node dialog; the adapter hangs the caller up when it settles, if still there. */
  ivrCallback(session: CallerSession, req: IvrCallbackRequest): Promise<void>;
  /**
   * An agent took the placeholder. Resolve with whom to dial (the engine has moved the callback to
   * Dialing; the number may differ from the plan's when the caller keyed another one while the
   * placeholder already waited), 'dial' for the plan's own details, or 'release' to free the
   * agent (the callback was settled meanwhile).
   */
  placeholderAnswered(ref: AttemptRef): Promise<DialTarget | 'dial' | 'release'>;
  /** Customer-first: the customer answered and pressed the key; they are being queued. */
  customerConfirmed(ref: AttemptRef): void;
  /** Resolves once the outcome is recorded: the adapter forgets what it kept for the attempt only then. */
  attemptEnded(ref: AttemptRef, outcome: Outcome, detail: string): Promise<void>;
}

export class PbxDialError extends Error {
  constructor(
    readonly outcome: Outcome,
    message: string,
  ) {
    super(message);
    this.name = 'PbxDialError';
  }
}

/**
 * The request never reached the PBX (it was not connected): nothing was dialled, so the attempt
 * is withdrawn rather than counted.
 */
export class PbxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PbxUnavailableError';
  }
}

/** The caller hung up while the IVR was talking to them. */
export class CallerGoneError extends Error {
  constructor(callId: string) {
    super(`caller ${callId} hung up`);
    this.name = 'CallerGoneError';
  }
}
