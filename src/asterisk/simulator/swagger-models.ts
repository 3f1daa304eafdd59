/**
 * Swagger 1.2 models for the simulator's description. ari-client needs the event models: it looks an
 * incoming event's `type` up among them and turns properties typed Channel, Bridge or Playback into
 * objects with operations, so every event the simulator sends must have a model here.
 */

type Props = Record<string, string>;

function model(id: string, props: Props, required: string[] = []): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(props)) properties[name] = { type, required: required.includes(name) };
  return { id, properties };
}

export const RESOURCE_MODELS: Record<string, unknown> = {
  CallerID: model('CallerID', { name: 'string', number: 'string' }, ['name', 'number']),
  DialplanCEP: model('DialplanCEP', { context: 'string', exten: 'string', priority: 'long', app_name: 'string', app_data: 'string' }),
  Channel: model(
    'Channel',
    {
      id: 'string',
      name: 'string',
      state: 'string',
      protocol_id: 'string',
      caller: 'CallerID',
      connected: 'CallerID',
      accountcode: 'string',
      dialplan: 'DialplanCEP',
      creationtime: 'Date',
      language: 'string',
      channelvars: 'object',
    },
    ['id', 'name', 'state', 'caller', 'connected', 'accountcode', 'dialplan', 'creationtime', 'language'],
  ),
  Bridge: model(
    'Bridge',
    {
      id: 'string',
      technology: 'string',
      bridge_type: 'string',
      bridge_class: 'string',
      creator: 'string',
      name: 'string',
      channels: 'List[string]',
      creationtime: 'Date',
      video_mode: 'string',
    },
    ['id', 'technology', 'bridge_type', 'bridge_class', 'creator', 'name', 'channels'],
  ),
  Playback: model(
    'Playback',
    { id: 'string', media_uri: 'string', next_media_uri: 'string', target_uri: 'string', language: 'string', state: 'string' },
    ['id', 'media_uri', 'target_uri', 'state'],
  ),
  Application: model(
    'Application',
    {
      name: 'string',
      channel_ids: 'List[string]',
      bridge_ids: 'List[string]',
      endpoint_ids: 'List[string]',
      device_names: 'List[string]',
      events_allowed: 'List[object]',
      events_disallowed: 'List[object]',
    },
    ['name', 'channel_ids', 'bridge_ids', 'endpoint_ids', 'device_names'],
  ),
  AsteriskInfo: model('AsteriskInfo', { build: 'object', system: 'object', config: 'object', status: 'object' }),
  AsteriskPing: model('AsteriskPing', { asterisk_id: 'string', ping: 'string', timestamp: 'string' }),
  Variable: model('Variable', { value: 'string' }, ['value']),
};

const base: Props = { type: 'string', asterisk_id: 'string', application: 'string', timestamp: 'Date' };
const channelEvent = (extra: Props = {}): Props => ({ ...base, channel: 'Channel', ...extra });
const bridgeEvent = (extra: Props = {}): Props => ({ ...base, bridge: 'Bridge', ...extra });
const playbackEvent: Props = { ...base, playback: 'Playback' };

const EVENTS: Record<string, Props> = {
  Message: { type: 'string', asterisk_id: 'string' },
  Event: base,
  ApplicationReplaced: base,
  ChannelCreated: channelEvent(),
  ChannelDestroyed: channelEvent({ cause: 'int', cause_txt: 'string' }),
  ChannelStateChange: channelEvent(),
  ChannelDialplan: channelEvent({ dialplan_app: 'string', dialplan_app_data: 'string' }),
  ChannelCallerId: channelEvent({ caller_presentation: 'int', caller_presentation_txt: 'string' }),
  ChannelConnectedLine: channelEvent(),
  ChannelVarset: channelEvent({ variable: 'string', value: 'string' }),
  ChannelHangupRequest: channelEvent({ cause: 'int', soft: 'boolean' }),
  ChannelDtmfReceived: channelEvent({ digit: 'string', duration_ms: 'int' }),
  ChannelUserevent: { ...base, channel: 'Channel', bridge: 'Bridge', eventname: 'string', userevent: 'object' },
  ChannelEnteredBridge: bridgeEvent({ channel: 'Channel' }),
  ChannelLeftBridge: bridgeEvent({ channel: 'Channel' }),
  BridgeCreated: bridgeEvent(),
  BridgeDestroyed: bridgeEvent(),
  Dial: { ...base, caller: 'Channel', peer: 'Channel', forwarded: 'Channel', forward: 'string', dialstring: 'string', dialstatus: 'string' },
  StasisStart: channelEvent({ args: 'List[string]', replace_channel: 'Channel' }),
  StasisEnd: channelEvent(),
  PlaybackStarted: playbackEvent,
  PlaybackContinuing: playbackEvent,
  PlaybackFinished: playbackEvent,
};

export const EVENT_MODELS: Record<string, unknown> = Object.fromEntries(Object.entries(EVENTS).map(([name, props]) => [name, model(name, props)]));

/** The event types the simulator may send; a test checks each has a model. */
export const EVENT_TYPES = Object.keys(EVENTS).filter((t) => t !== 'Message' && t !== 'Event');
