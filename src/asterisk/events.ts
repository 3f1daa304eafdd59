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

export type ParseResult = { event: AriEvent } | { skipped: string; type?: string };

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

function isChannel(value: unknown): value is AriChannel {
  return isRecord(value) && typeof value.id === 'string' && value.id !== '';
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** Parse one WebSocket message. Never throws. */
export function parseAriEvent(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { skipped: 'not JSON' };
  }
  if (!isRecord(raw) || typeof raw.type !== 'string') return { skipped: 'no event type' };
  const type = raw.type;

  if (CHANNEL_EVENT_TYPES.has(type)) {
    if (!isChannel(raw.channel)) return { skipped: 'channel missing', type };
    const channel = raw.channel;
    switch (type) {
      case 'StasisStart':
        return { event: { type, channel, args: Array.isArray(raw.args) ? raw.args.map(asString) : [] } };
      case 'ChannelDestroyed': {
        const cause = typeof raw.cause === 'number' ? raw.cause : Number.parseInt(asString(raw.cause), 10);
        return { event: { type, channel, cause: Number.isFinite(cause) ? cause : 0, cause_txt: asString(raw.cause_txt) } };
      }
      case 'ChannelHangupRequest':
        return { event: { type, channel, cause: typeof raw.cause === 'number' ? raw.cause : undefined } };
      case 'ChannelVarset':
        if (typeof raw.variable !== 'string') return { skipped: 'variable missing', type };
        return { event: { type, channel, variable: raw.variable, value: asString(raw.value) } };
      case 'ChannelUserevent':
        return {
          event: {
            type,
            channel,
            eventname: asString(raw.eventname),
            userevent: isRecord(raw.userevent) ? raw.userevent : {},
          },
        };
      case 'ChannelDtmfReceived':
        if (typeof raw.digit !== 'string' || raw.digit.length !== 1) return { skipped: 'digit missing', type };
        return { event: { type, channel, digit: raw.digit } };
      case 'StasisEnd':
        return { event: { type, channel } };
      default:
        return { skipped: 'not used', type };
    }
  }
  if (type === 'Dial') {
    if (!isChannel(raw.peer)) return { skipped: 'peer missing', type };
    return {
      event: { type, peer: raw.peer, caller: isChannel(raw.caller) ? raw.caller : undefined, dialstatus: asString(raw.dialstatus) },
    };
  }
  if (type === 'PlaybackStarted' || type === 'PlaybackFinished') {
    const playback = raw.playback;
    if (!isRecord(playback) || typeof playback.id !== 'string') return { skipped: 'playback missing', type };
    return { event: { type, playback: { id: playback.id, state: asString(playback.state), media_uri: asString(playback.media_uri) } } };
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
