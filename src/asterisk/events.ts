/**
 * The ARI events the adapter acts on, narrowed from the WebSocket's JSON. Anything else (other
 * types, or a known type missing the fields we rely on) is reported as skipped, never thrown.
 */

export interface AriChannel {
  id: string;
  name?: string;
  state?: string;
  caller?: { name?: string; number?: string };
  dialplan?: { context?: string; exten?: string; priority?: number; app_name?: string; app_data?: string };
}

/** Answered and held by an application: a StasisStart this process may have missed. */
export function answeredInStasis(channel: AriChannel): boolean {
  return channel.state === 'Up' && channel.dialplan?.app_name === 'Stasis';
}

export interface StasisStart {
  type: 'StasisStart';
  channel: AriChannel;
  args: string[];
}
export interface StasisEnd {
  type: 'StasisEnd';
  channel: AriChannel;
}
export interface ChannelDestroyed {
  type: 'ChannelDestroyed';
  channel: AriChannel;
  cause: number;
  cause_txt?: string;
}
export interface ChannelHangupRequest {
  type: 'ChannelHangupRequest';
  channel: AriChannel;
  cause?: number;
}
export interface ChannelVarset {
  type: 'ChannelVarset';
  channel: AriChannel;
  variable: string;
  value: string;
}
export interface ChannelUserevent {
  type: 'ChannelUserevent';
  channel: AriChannel;
  eventname: string;
  userevent: Record<string, unknown>;
}
export interface ChannelDtmfReceived {
  type: 'ChannelDtmfReceived';
  channel: AriChannel;
  digit: string;
}
/** `peer` is the channel being dialled; `caller` is absent when ARI originated the dial. */
export interface Dial {
  type: 'Dial';
  peer: AriChannel;
  caller?: AriChannel;
  dialstatus: string;
}
export interface PlaybackEvent {
  type: 'PlaybackStarted' | 'PlaybackFinished';
  playback: { id: string; state?: string; media_uri?: string };
}

export type ChannelEvent =
  | StasisStart
  | StasisEnd
  | ChannelDestroyed
  | ChannelHangupRequest
  | ChannelVarset
  | ChannelUserevent
  | ChannelDtmfReceived;

export type AriEvent = ChannelEvent | Dial | PlaybackEvent;

/** `notes` name the fields that were cut to size or dropped (for one short warning line). */
export type ParseResult = { event: AriEvent; notes: string[] } | { skipped: string; type?: string };

/**
 * Limits at the adapter's edge. Whatever Asterisk (or something pretending to be it) sends ends up
 * in the store, in dial strings and in log lines, so nothing there is taken at any size or type.
 * A number is refused rather than cut: a shortened number is somebody else's.
 */
export const MAX_NUMBER_LENGTH = 64;
export const MAX_TEXT_LENGTH = 256;
const MAX_ARGS = 16;
const MAX_USEREVENT_FIELDS = 32;

const CHANNEL_EVENT_TYPES = new Set<string>([
  'StasisStart',
  'StasisEnd',
  'ChannelDestroyed',
  'ChannelHangupRequest',
  'ChannelVarset',
  'ChannelUserevent',
  'ChannelDtmfReceived',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `text` cut to `max` characters, with an ellipsis when something was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** A string field: numbers and booleans as text (`"caller":{"number":5}` is "5"), others dropped. */
function text(value: unknown, max: number, field: string, notes: string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  const str = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  if (str === null) {
    notes.push(`${field}: not a string (${Array.isArray(value) ? 'array' : typeof value}), dropped`);
    return undefined;
  }
  if (str.length > max) notes.push(`${field}: ${str.length} characters, cut to ${max}`);
  return clip(str, max);
}

function number(value: unknown, field: string, notes: string[]): string | undefined {
  const str = text(value, Number.POSITIVE_INFINITY, field, notes);
  if (str === undefined || str.length <= MAX_NUMBER_LENGTH) return str;
  notes.push(`${field}: ${str.length} characters, refused`);
  return undefined;
}

/**
 * A channel as the adapter uses it, from an event or a REST answer: only the known fields, each of
 * the right type and size. Null when there is no usable id (not a string, empty, or oversized).
 */
export function normaliseChannel(value: unknown, notes: string[] = [], field = 'channel'): AriChannel | null {
  if (!isRecord(value)) return null;
  const id = value.id;
  if (typeof id !== 'string' || id === '' || id.length > MAX_TEXT_LENGTH) {
    if (typeof id === 'string' && id.length > MAX_TEXT_LENGTH) notes.push(`${field}.id: ${id.length} characters, refused`);
    return null;
  }
  const channel: AriChannel = { id };
  const name = text(value.name, MAX_TEXT_LENGTH, `${field}.name`, notes);
  if (name !== undefined) channel.name = name;
  const state = text(value.state, MAX_NUMBER_LENGTH, `${field}.state`, notes);
  if (state !== undefined) channel.state = state;
  if (isRecord(value.caller)) {
    channel.caller = {};
    const callerName = text(value.caller.name, MAX_TEXT_LENGTH, `${field}.caller.name`, notes);
    if (callerName !== undefined) channel.caller.name = callerName;
    const callerNumber = number(value.caller.number, `${field}.caller.number`, notes);
    if (callerNumber !== undefined) channel.caller.number = callerNumber;
  }
  if (isRecord(value.dialplan)) {
    const d = value.dialplan;
    const dialplan: NonNullable<AriChannel['dialplan']> = {};
    for (const key of ['context', 'exten', 'app_name', 'app_data'] as const) {
      const v = text(d[key], MAX_TEXT_LENGTH, `${field}.dialplan.${key}`, notes);
      if (v !== undefined) dialplan[key] = v;
    }
    if (typeof d.priority === 'number' && Number.isFinite(d.priority)) dialplan.priority = d.priority;
    channel.dialplan = dialplan;
  }
  return channel;
}

function args(value: unknown, notes: string[]): string[] {
  if (!Array.isArray(value)) return [];
  if (value.length > MAX_ARGS) notes.push(`args: ${value.length} arguments, first ${MAX_ARGS} kept`);
  return value.slice(0, MAX_ARGS).map((arg, i) => text(arg, MAX_TEXT_LENGTH, `args[${i}]`, notes) ?? '');
}

/** UserEvent fields: strings cut to size, numbers and booleans kept, anything else dropped. */
function userFields(value: unknown, notes: string[]): Record<string, unknown> {
  if (!isRecord(value)) return {};
  const entries = Object.entries(value);
  if (entries.length > MAX_USEREVENT_FIELDS) notes.push(`userevent: ${entries.length} fields, first ${MAX_USEREVENT_FIELDS} kept`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries.slice(0, MAX_USEREVENT_FIELDS)) {
    if (key.length > MAX_TEXT_LENGTH) continue;
    const kept = typeof v === 'number' || typeof v === 'boolean' ? v : text(v, MAX_TEXT_LENGTH, `userevent.${key}`, notes);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** Parse one WebSocket message. Never throws. */
export function parseAriEvent(frame: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch {
    return { skipped: 'not JSON' };
  }
  if (!isRecord(raw) || typeof raw.type !== 'string') return { skipped: 'no event type' };
  const type = clip(raw.type, MAX_NUMBER_LENGTH);
  const notes: string[] = [];
  const str = (value: unknown, field: string, max = MAX_TEXT_LENGTH) => text(value, max, field, notes) ?? '';
  const done = (event: AriEvent): ParseResult => ({ event, notes });

  if (CHANNEL_EVENT_TYPES.has(type)) {
    const channel = normaliseChannel(raw.channel, notes);
    if (!channel) return { skipped: 'channel missing', type };
    switch (type) {
      case 'StasisStart':
        return done({ type, channel, args: args(raw.args, notes) });
      case 'ChannelDestroyed': {
        const cause = typeof raw.cause === 'number' ? raw.cause : Number.parseInt(str(raw.cause, 'cause', MAX_NUMBER_LENGTH), 10);
        return done({ type, channel, cause: Number.isFinite(cause) ? cause : 0, cause_txt: str(raw.cause_txt, 'cause_txt') });
      }
      case 'ChannelHangupRequest':
        return done({ type, channel, cause: typeof raw.cause === 'number' ? raw.cause : undefined });
      case 'ChannelVarset':
        if (typeof raw.variable !== 'string') return { skipped: 'variable missing', type };
        return done({ type, channel, variable: str(raw.variable, 'variable'), value: str(raw.value, 'value') });
      case 'ChannelUserevent':
        return done({ type, channel, eventname: str(raw.eventname, 'eventname'), userevent: userFields(raw.userevent, notes) });
      case 'ChannelDtmfReceived':
        if (typeof raw.digit !== 'string' || raw.digit.length !== 1) return { skipped: 'digit missing', type };
        return done({ type, channel, digit: raw.digit });
      case 'StasisEnd':
        return done({ type, channel });
      default:
        return { skipped: 'not used', type };
    }
  }
  if (type === 'Dial') {
    const peer = normaliseChannel(raw.peer, notes, 'peer');
    if (!peer) return { skipped: 'peer missing', type };
    const caller = normaliseChannel(raw.caller, notes, 'caller');
    return done({ type, peer, caller: caller ?? undefined, dialstatus: str(raw.dialstatus, 'dialstatus', MAX_NUMBER_LENGTH) });
  }
  if (type === 'PlaybackStarted' || type === 'PlaybackFinished') {
    const playback = raw.playback;
    if (!isRecord(playback) || typeof playback.id !== 'string' || playback.id.length > MAX_TEXT_LENGTH) return { skipped: 'playback missing', type };
    return done({ type, playback: { id: playback.id, state: str(playback.state, 'playback.state', MAX_NUMBER_LENGTH), media_uri: str(playback.media_uri, 'playback.media_uri') } });
  }
  return { skipped: 'not used', type };
}

export function isPlaybackEvent(event: AriEvent): event is PlaybackEvent {
  return event.type === 'PlaybackStarted' || event.type === 'PlaybackFinished';
}

/** The channel ids an event concerns, for routing to whoever watches them. */
export function channelIdsOf(event: ChannelEvent | Dial): string[] {
  if (event.type === 'Dial') return event.caller ? [event.peer.id, event.caller.id] : [event.peer.id];
  return [event.channel.id];
}
