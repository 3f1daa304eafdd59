import { createBridge, destroyBridge, joinBridge, leaveBridge, type SimBridge } from './bridges';
import type { SimChannel } from './channels';
import type { Pbx } from './pbx';
import { error, noContent, ok, type Handler, type RestRequest, type RestResponse } from './rest';
import { API_VERSION } from './swagger';

/** Only bridges made over ARI can be changed over ARI; Queue()'s own bridges are not found there. */
function stasisBridge(pbx: Pbx, id: string): SimBridge | null {
  const b = pbx.bridges.get(id);
  return b && b.bridgeClass === 'stasis' ? b : null;
}

function create(withId: boolean): Handler {
  return (pbx, req) => {
    const id = withId ? req.path.bridgeId : req.params.str('bridgeId');
    const existing = id ? pbx.bridges.get(id) : undefined;
    if (existing) return withId ? ok(existing.snapshot()) : error(409, `Bridge with id '${id}' already exists`);
    const type = (req.params.str('type') ?? 'mixing').split(',').includes('holding') ? 'holding' : 'mixing';
    return ok(createBridge(pbx, { id, bridgeClass: 'stasis', type, name: req.params.str('name') ?? '' }).snapshot());
  };
}

/** Channels named for add/remove: 404 bridge, 400 missing or unknown channel, 422 channel outside Stasis. */
function bridgeChannels(pbx: Pbx, req: RestRequest): { bridge: SimBridge; channels: SimChannel[] } | RestResponse {
  const bridge = stasisBridge(pbx, req.path.bridgeId);
  if (!bridge) return error(404, 'Bridge not found');
  const ids = req.params.list('channel');
  if (ids.length === 0) return error(400, 'Missing parameter channel');
  const channels: SimChannel[] = [];
  for (const id of ids) {
    const ch = pbx.channels.find(id);
    if (!ch) return error(400, 'Channel not found');
    if (!ch.stasis) return error(422, 'Channel not in Stasis application');
    channels.push(ch);
  }
  return { bridge, channels };
}

function addChannel(pbx: Pbx, req: RestRequest): RestResponse {
  const found = bridgeChannels(pbx, req);
  if ('status' in found) return found;
  for (const ch of found.channels) joinBridge(pbx, found.bridge, ch);
  return noContent;
}

function removeChannel(pbx: Pbx, req: RestRequest): RestResponse {
  const found = bridgeChannels(pbx, req);
  if ('status' in found) return found;
  if (found.channels.some((ch) => ch.bridgeId !== found.bridge.id)) return error(422, 'Channel not in this bridge');
  for (const ch of found.channels) leaveBridge(pbx, ch);
  return noContent;
}

type Source = { kind: 'channel' | 'bridge'; id: string };

function eventSources(pbx: Pbx, req: RestRequest): { app: string; sources: Source[] } | RestResponse {
  const app = req.path.applicationName;
  const raw = req.params.list('eventSource');
  if (raw.length === 0) return error(400, 'Missing parameter eventSource');
  if (!pbx.apps.get(app)) return error(404, 'Application not found');
  const sources: Source[] = [];
  for (const text of raw) {
    const m = /^(channel|bridge):(.+)$/.exec(text);
    if (!m) return error(400, 'Invalid event source URI scheme');
    const kind = m[1] as Source['kind'];
    const exists = kind === 'channel' ? pbx.channels.find(m[2]) : pbx.bridges.get(m[2]);
    if (!exists) return error(422, 'Event source does not exist');
    sources.push({ kind, id: kind === 'channel' ? (exists as SimChannel).id : m[2] });
  }
  return { app, sources };
}

function subscribe(pbx: Pbx, req: RestRequest): RestResponse {
  const found = eventSources(pbx, req);
  if ('status' in found) return found;
  for (const s of found.sources) pbx.apps.subscribe(found.app, s.kind, s.id);
  return ok(pbx.apps.get(found.app)!.toJson());
}

function unsubscribe(pbx: Pbx, req: RestRequest): RestResponse {
  const found = eventSources(pbx, req);
  if ('status' in found) return found;
  const app = pbx.apps.get(found.app)!;
  for (const s of found.sources) {
    const subs = s.kind === 'channel' ? app.channels : app.bridges;
    if (!subs.has(s.id)) return error(409, 'Application not subscribed to event source');
  }
  for (const s of found.sources) pbx.apps.unsubscribe(found.app, s.kind, s.id);
  return ok(app.toJson());
}

function info(pbx: Pbx): RestResponse {
  const started = new Date(pbx.bootEpoch * 1000).toISOString().replace('Z', '+0000');
  return ok({
    build: { os: 'Linux', kernel: '', machine: 'x86_64', options: '', date: '', user: 'callbackd-simulator' },
    system: { version: API_VERSION, entity_id: pbx.opts.asteriskId },
    config: { name: '', default_language: 'en', setid: { user: 'asterisk', group: 'asterisk' } },
    status: { startup_time: started, last_reload_time: started },
  });
}

export const RESOURCE_HANDLERS: Record<string, Handler> = {
  'bridges.list': (pbx) => ok([...pbx.bridges.values()].map((b) => b.snapshot())),
  'bridges.create': create(false),
  'bridges.createWithId': create(true),
  'bridges.get': (pbx, req) => {
    const b = pbx.bridges.get(req.path.bridgeId);
    return b ? ok(b.snapshot()) : error(404, 'Bridge not found');
  },
  'bridges.destroy': (pbx, req) => {
    const b = stasisBridge(pbx, req.path.bridgeId);
    if (!b) return error(404, 'Bridge not found');
    destroyBridge(pbx, b);
    return noContent;
  },
  'bridges.addChannel': addChannel,
  'bridges.removeChannel': removeChannel,

  'applications.list': (pbx) => ok(pbx.apps.list().map((a) => a.toJson())),
  'applications.get': (pbx, req) => {
    const app = pbx.apps.get(req.path.applicationName);
    return app ? ok(app.toJson()) : error(404, 'Application not found');
  },
  'applications.subscribe': subscribe,
  'applications.unsubscribe': unsubscribe,

  'playbacks.get': (pbx, req) => {
    const p = pbx.playbacks.get(req.path.playbackId);
    return p ? ok(p.toJson()) : error(404, 'Playback not found');
  },
  'playbacks.stop': (pbx, req) => {
    const p = pbx.playbacks.get(req.path.playbackId);
    if (!p) return error(404, 'Playback not found');
    // Asterisk says the digits of a digits: URI in one go and cannot stop them (seen on Asterisk 22).
    if (p.playingScheme() === 'digits') return error(500, 'Could not stop playback');
    p.finish();
    return noContent;
  },

  'asterisk.getInfo': info,
  'asterisk.ping': (pbx) => ok({ asterisk_id: pbx.opts.asteriskId, ping: 'pong', timestamp: pbx.timestamp() }),
  // Like the traces show, the global variable read does not evaluate dialplan functions.
  'asterisk.getGlobalVar': (pbx, req) => {
    const name = req.params.str('variable');
    if (!name) return error(400, 'Variable name is required');
    return ok({ value: name.endsWith(')') ? '' : (pbx.globals.get(name) ?? '') });
  },
  'asterisk.setGlobalVar': (pbx, req) => {
    const name = req.params.str('variable');
    if (!name) return error(400, 'Variable name is required');
    // As pbx_builtin_setvar_helper: no value deletes the variable.
    const value = req.params.str('value');
    if (value === undefined || value === null) pbx.globals.delete(name);
    else pbx.globals.set(name, value);
    return noContent;
  },
  'events.eventWebsocket': () => error(400, 'WebSocket upgrade required'),
};
