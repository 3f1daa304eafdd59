import type { DialMode, Mechanism, Outcome, Status } from '../domain/types';

/**
 * The validated, frozen configuration. Parsed once at start (config/load.ts) and passed down;
 * nothing else reads the environment.
 */
export interface Config {
  /** SQLite file (CALLBACKD_DB), when store is sqlite. */
  db: string;
  /** Which backend keeps the callbacks: one SQLite file, or a PostgreSQL database shared by several daemons. */
  store: 'sqlite' | 'postgres';
  /** PostgreSQL connection URL (CALLBACKD_STORE_URL), required when store is postgres. */
  storeUrl: string;
  /** The PBX this daemon serves. Daemons on one shared database with the same name share its work; with different names they never touch each other's calls. */
  pbxName: string;
  /** ISO 3166 country for numbers given without a leading + (CALLBACKD_DEFAULT_COUNTRY). */
  defaultCountry: string;
  /** Which PBX the daemon drives. 'none' runs the store, API and scheduler without dialling. */
  pbx: 'asterisk' | 'freeswitch' | 'none';
  log: LogConfig;
  http: { host: string; port: number };
  api: ApiConfig;
  ari: AriConfig;
  esl: { host: string; port: number; password: string };
  scheduler: SchedulerConfig;
  ivr: IvrConfig;
  /** The rules mapping calls of a source queue to callbacks in a target queue (PRODUCT section 3). */
  transitions: readonly TransitionRule[];
  /** Named receivers of events over HTTP (docs/webhooks.md); empty: none. */
  webhooks: readonly WebhookConfig[];
  /** Actions on status changes and on a schedule (src/triggers); empty: none. */
  triggers: readonly TriggerConfig[];
  /** For crash tests only: the daemon kills itself at a named crash point (src/crash.ts). */
  testing: { crashAt: string };
}

/** Access to the HTTP API (PRODUCT section 4). */
export interface ApiConfig {
  /** Operators' bearer token: read and write (CALLBACKD_API_TOKEN). Empty: nobody may write, and only a viewer token reads. */
  token: string;
  /** Viewers' bearer token: read only, for wallboards and metrics (CALLBACKD_API_VIEWER_TOKEN). Empty: none. */
  viewerToken: string;
  /** Browser origins allowed to call the API from other pages; empty: CORS is off. '*' allows any. */
  cors: readonly string[];
  /** Largest request body accepted; a larger one gets 413. */
  bodyLimitBytes: number;
  /** Requests per minute for one token (or one address without a token); 0: no limit. */
  rateLimitPerMinute: number;
}

export interface LogConfig {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Log file; empty = stdout. */
  file: string;
  /** json: one JSON object per line (machines); pretty: one readable line per event (people). */
  format: 'json' | 'pretty';
}

export interface AriConfig {
  /** Base URL of Asterisk's HTTP server, e.g. http://127.0.0.1:8088 (CALLBACKD_ARI_URL). */
  url: string;
  user: string;
  password: string;
  /** Stasis application name (CALLBACKD_ARI_APP). Must match the dialplan. */
  app: string;
  /** Reconnect backoff: first delay and ceiling, milliseconds. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /**
   * Channel variables the IVR fills (CB_FORM_<NAME>) that travel with a callback as its form.
   * ARI cannot list a channel's variables, so the ones to read are named here.
   */
  formVariables: readonly string[];
}

export interface SchedulerConfig {
  /** Attempts under way at once, all queues together. */
  maxConcurrent: number;
  /** A claim not turned into an attempt within this time is given back. */
  leaseSeconds: number;
  /** node-cron expression for the expiry sweep and lease recovery. */
  sweepCron: string;
}

export interface IvrConfig {
  /** How many times the caller may get the confirm / enter-number step wrong before being refused. */
  maxTries: number;
  firstDigitSeconds: number;
  interDigitSeconds: number;
  /** Most digits accepted for a number keyed by the caller. */
  maxDigits: number;
  /** A caller who calls again while a callback is pending: seconds to press 1, 2 or 3 after the offer (it is played twice). */
  calledAgainSeconds: number;
  /** Prompt names per step; the values are what the PBX plays (Asterisk: sound names without "sound:"). */
  prompts: IvrPrompts;
}

export interface IvrPrompts {
  /** Before the caller's number is read out ("you entered"). */
  yourNumber: readonly string[];
  /** After it: press 1 to confirm, 2 to key another. */
  confirmOrChange: readonly string[];
  /** Ask for a number followed by #. */
  enterNumber: readonly string[];
  /** The number is not usable. */
  invalidNumber: readonly string[];
  /** Confirmation that a callback was booked. */
  booked: readonly string[];
  /** The callback cannot be offered (queue full, number refused, too many tries). */
  refused: readonly string[];
  goodbye: readonly string[];
  /** Agent-first: played to the agent before the customer's number. */
  agentCalling: readonly string[];
  /** Agent-first: the customer did not answer. */
  agentCustomerUnavailable: readonly string[];
  /** Customer-first: press 1 to be connected to an agent. */
  customerPressOne: readonly string[];
  /** A caller who calls again while a callback is pending: before the time it is due ("a callback is booked for"). */
  calledAgainBooked: readonly string[];
  /** After the time: 1 keeps the callback, 2 cancels it, 3 stays in the queue. */
  calledAgainOptions: readonly string[];
  /** Key 1: the callback stands (then goodbye). */
  calledAgainKept: readonly string[];
  /** Key 2: the callback is cancelled (then goodbye). */
  calledAgainCancelled: readonly string[];
}

export interface CallingWindow {
  /** IANA time zone. */
  timezone: string;
  /** Opening hours per weekday (mon..sun), "HH:MM-HH:MM" ranges; a missing day is closed. */
  hours: Readonly<Partial<Record<Weekday, readonly string[]>>>;
  /** Whole days off, YYYY-MM-DD in the window's time zone. */
  datesOff: readonly string[];
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface NumberRules {
  /** ISO countries whose numbers may be dialled; empty = only defaultCountry. */
  allowCountries: readonly string[];
  /** Regular expressions an E.164 number must match one of (empty = any). */
  allowPatterns: readonly string[];
  /** Regular expressions that refuse a number: the administrator's own blocklist. */
  blockPatterns: readonly string[];
  /** Ranges abused for toll fraud, refused like blockPatterns; shipped filled (defaults.ts), [] turns them off. */
  tollFraudPatterns: readonly string[];
  /** Callbacks created for one number in any 24 hours, all queues together; 0 = no cap. */
  maxPerNumberPerDay: number;
  /** Number types allowed by libphonenumber classification (premium-rate is refused unless listed). */
  allowTypes: readonly string[];
}

/**
 * When a transition is in force. Every condition given must hold, on the wall clock of
 * `timezone`; one left out (null, empty) does not restrict.
 */
export interface TransitionSchedule {
  timezone: string;
  /** Hours per weekday, "HH:MM-HH:MM"; a day left out is outside. Null: any day. */
  weekly: Readonly<Partial<Record<Weekday, readonly string[]>>> | null;
  /** First and last day (YYYY-MM-DD, inclusive); empty: open-ended. */
  dateFrom: string;
  dateTo: string;
  /** Days of every year, "MM-DD" or "MM-DD..MM-DD" (a span may run over New Year). */
  yearly: readonly string[];
  /** Daily times "HH:MM"; `to` not after `from` runs past midnight (20:00 to 08:00 is the night). Empty: all day. */
  from: string;
  to: string;
}

export interface TransitionRule {
  name: string;
  /** Queue whose calls this rule applies to; '*' = any. */
  sourceQueue: string;
  /** Queue that handles the callback; '*' or empty = the source queue. */
  targetQueue: string;
  mechanisms: readonly Mechanism[];
  /** When the transition is in force; null: always. */
  schedule: TransitionSchedule | null;
  /** A JavaScript module replacing the embedded decision for calls under this transition; empty: none. */
  script: string;
  minWaitSeconds: number;
  /** A lost call from a number matching this (as the PBX gave it) is an internal extension, not a customer; empty: none. */
  internalExtensions: string;
  /** A new request for a number with a callback already pending in the target queue: merged into it, or skipped. */
  whenPending: 'merge' | 'skip';
  /** Delay for automatic (LostShift) callbacks. */
  delayMinutes: number;
  /** Minutes after creation at which an unfinished callback expires; 0 = never. */
  expiresAfterMinutes: number;
  maxAttempts: number;
  /** Minutes to wait before the next attempt, per outcome; 'default' for outcomes not listed. */
  retryMinutes: Readonly<Partial<Record<Outcome | 'default', number>>>;
  window: CallingWindow | null;
  dialMode: DialMode;
  /** Dial string template; {number} is replaced by the validated E.164 number. */
  endpoint: string;
  callerId: string;
  ringSeconds: number;
  numbers: NumberRules;
  /** Pending callbacks allowed for the target queue before the IVR stops offering; 0 = no cap. */
  maxPending: number;
  /** Callbacks created for the target queue in any 24 hours; 0 = no cap. */
  maxPerQueuePerDay: number;
  /** Attempts under way at once for the target queue. */
  maxConcurrent: number;
  /**
   * A caller who calls the queue again while a callback made under this transition is pending
   * hears when it is due and may keep it, cancel it or stay in the queue (src/ivr/called-again.ts).
   */
  offerPendingOnReturn: boolean;
}

/**
 * A trigger: on a callback entering one of `statuses` (status), or on the `cron` schedule
 * (interval), POST to the webhook named or run the script. Exactly one of the two.
 */
export interface TriggerConfig {
  /** Letters, digits, . _ -: how its runs, its deliveries and its metrics are named. */
  name: string;
  on: 'status' | 'interval';
  /** status: the statuses whose entering fires it (at least one). */
  statuses: readonly Status[];
  /** status: only callbacks of these queues; empty: any. */
  queues: readonly string[];
  /** status: only callbacks made by these mechanisms; empty: any. */
  mechanisms: readonly Mechanism[];
  /** interval: node-cron expression (5 fields, or 6 with seconds first). */
  cron: string;
  /** interval: the time zone the cron expression is read in. */
  timezone: string;
  /** The webhook (webhooks[].name) to POST to; empty: none. */
  webhook: string;
  /** The script to run (a path relative to the configuration file); empty: none. */
  script: string;
}

/** A receiver of events: each is POSTed as JSON, signed when a secret is set, retried until delivered or dead. */
export interface WebhookConfig {
  /** How triggers, the API and the deliveries name it (letters, digits, . _ -). */
  name: string;
  /** http:// or https://. */
  url: string;
  /** Signs every request (Callbackd-Signature); empty with no secretEnv: unsigned. */
  secret: string;
  /** The environment variable holding the secret instead; read once at start, into `secret`. */
  secretEnv: string;
  /** A request not answered within this time failed (and is retried). */
  timeoutMs: number;
  /** Attempts before a delivery is dead (kept for a replay). */
  maxAttempts: number;
  retry: WebhookRetry;
}

/** The wait before attempt n + 1: firstDelaySeconds × factor^(n − 1), at most maxDelaySeconds, less up to a fifth at random. */
export interface WebhookRetry {
  firstDelaySeconds: number;
  factor: number;
  maxDelaySeconds: number;
}
