/** Shapes shared by the ARI simulator's parts and by the tests that drive it. */

export type ChannelState = 'Down' | 'Rsrvd' | 'Ring' | 'Ringing' | 'Up' | 'Busy';

/** An ARI event as it goes over the WebSocket (before `asterisk_id` and `application` are added). */
export type AriEvent = { type: string; timestamp: string } & Record<string, unknown>;

export interface SimulatorOptions {
  /** Stasis application the modelled dialplan hands calls to (`Stasis(callbackd,...)`; default callbackd). */
  app?: string;
  /** ARI credentials (default callbackd / callbackd). */
  user?: string;
  password?: string;
  /** Duration of one media item of a playback (default 20). */
  playbackMs?: number;
  /** Originate timeout used when a request gives none (default 30, as Asterisk). */
  defaultOriginateTimeoutSec?: number;
  /** How many milliseconds one dialplan/ARI "second" lasts (default 1000); tests shrink it (timeouts, QUEUEWAIT). */
  secondMs?: number;
  /** Outcome of an originate to PJSIP/SIP/IAX2/DAHDI that no script matches (default: answer after 50 ms). */
  defaultDestination?: DestinationScript;
  /** Gap between DTMF digits a simulated party sends (default 50). */
  dtmfGapMs?: number;
  asteriskId?: string;
}

export type MemberState = 'available' | 'paused' | 'busy' | 'unavailable';

export interface MemberConfig {
  name: string;
  /** Ringing time before the agent answers (default 1000); null = never answers (rings until the ring timeout). */
  answerAfterMs?: number | null;
  /** Talk time after answering, then the agent hangs up (default 3000); null = until the other side hangs up. */
  talkMs?: number | null;
  /** Only `available` members are rung (default). */
  state?: MemberState;
}

export interface QueueConfig {
  members?: MemberConfig[];
  /**
   * queues.conf `context=`: a digit pressed while waiting leaves the queue into this context when it has
   * that extension. Default `callbackd-queue-exit`; null: keys are ignored.
   */
  exitContext?: string | null;
  /** How long a member rings before the queue gives up on it (queues.conf `timeout`; default 15000). */
  ringTimeoutMs?: number;
  /** Pause before a member who did not answer is rung again (queues.conf `retry`; default 1000). */
  retryMs?: number;
}

export type DestinationOutcome = 'answer' | 'busy' | 'congestion' | 'rejected' | 'noanswer' | 'invalid';

export interface DestinationScript {
  outcome: DestinationOutcome;
  /** Delay before the outcome happens (ringing time before answer/busy/...). */
  afterMs?: number;
  /** DTMF the answered party sends, `digitsDelayMs` after answering. */
  digitsAfterAnswer?: string;
  digitsDelayMs?: number;
  /** The answered party hangs up this long after answering; absent = stays until hung up. */
  talkMs?: number;
  /** Hangup cause for `invalid` (Asterisk gives 0 for a missing extension). */
  cause?: number;
  /** Use the script this many times, then forget it (later originates fall through to older scripts). */
  times?: number;
}

export interface QueueEntryInfo {
  channelId: string;
  number: string;
  position: number;
  enteredAt: number;
  /** CB_ID of a placeholder (a channel running [callbackd-placeholder]), else null. */
  placeholderFor: string | null;
}

export interface ConversationInfo {
  member: string;
  queue: string;
  /** The queue caller's channel (caller ;2, placeholder ;2 or continued customer). */
  channelId: string;
  number: string;
  placeholderFor: string | null;
  answeredAt: number;
  endedAt: number | null;
}

export interface RequestLogEntry {
  at: number;
  method: string;
  /** Path below /ari, decoded, without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  response: unknown;
}

/** Parameters of a POST /channels (query and JSON body merged), as the simulator understood them. */
export type OriginateRequest = Record<string, unknown>;
