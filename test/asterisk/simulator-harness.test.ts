/**
 * Shared rig for the ARI simulator's tests (a simulator, real `ari-client` connections, trace
 * fixtures and the way traces and simulator runs are compared), plus a check of the fixtures
 * themselves: every recorded event type the simulator also sends must have a Swagger model, or
 * ari-client could not parse it.
 *
 * Comparison: for one channel, the events that concern it (its `channel`, or `caller`/`peer` of a
 * Dial) are reduced to signatures — ChannelCreated, ChannelStateChange(state), Dial(status),
 * StasisStart/End, ChannelHangupRequest(cause), ChannelDestroyed(cause, text), ChannelUserevent,
 * ChannelDtmfReceived, Channel{Entered,Left}Bridge and ChannelVarset of ABANDONED, QUEUEPOSITION,
 * CB_ID, CB_POS, BRIDGEPEER (set/cleared). ChannelDialplan, CallerId/ConnectedLine and other variables
 * are left out where the traces' test dialplan differs from the shipped one; DeviceStateChanged is never
 * sent by the simulator.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AriSimulator, type SimulatorOptions } from '../../src/asterisk/simulator';
import { EVENT_MODELS } from '../../src/asterisk/simulator/swagger-models';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Ev = Record<string, any> & { type: string };
export interface AriClient {
  start(apps: string, subscribeAll?: boolean): Promise<void>;
  stop(): void;
  on(event: string, fn: (...args: any[]) => void): void;
  channels: any;
  bridges: any;
  applications: any;
  asterisk: any;
  playbacks: any;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ari: { connect(url: string, user: string, pass: string): Promise<AriClient> } = require('ari-client');

export const AUTH = { Authorization: `Basic ${Buffer.from('callbackd:callbackd').toString('base64')}` };

interface TraceRecord {
  t_ms: number;
  kind: 'event' | 'rest' | 'cli';
  event?: Ev;
  method?: string;
  path?: string;
  request_body?: any;
  status?: number;
  response?: any;
}

const FIXTURES = join(__dirname, '..', 'fixtures', 'asterisk');

export function trace(name: string): TraceRecord[] {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')).records;
}
export const traceEvents = (name: string): Ev[] => trace(name).filter((r) => r.kind === 'event').map((r) => r.event!);
/** REST records of a trace: `path` ending in `*` matches as a prefix, otherwise exactly (query included). */
export const traceRest = (name: string, method: string, path: string): TraceRecord[] =>
  trace(name).filter((r) => r.kind === 'rest' && r.method === method && (path.endsWith('*') ? r.path!.startsWith(path.slice(0, -1)) : r.path === path));

const COMPARED = new Set([
  'ChannelCreated',
  'ChannelStateChange',
  'Dial',
  'StasisStart',
  'StasisEnd',
  'ChannelHangupRequest',
  'ChannelDestroyed',
  'ChannelUserevent',
  'ChannelDtmfReceived',
  'ChannelEnteredBridge',
  'ChannelLeftBridge',
]);
const COMPARED_VARS = new Set(['ABANDONED', 'QUEUEPOSITION', 'CB_ID', 'CB_POS', 'BRIDGEPEER']);

function concerns(ev: Ev, id: string): boolean {
  return ev.channel?.id === id || ev.peer?.id === id || ev.caller?.id === id;
}

export function signature(ev: Ev): string | null {
  switch (ev.type) {
    case 'ChannelVarset':
      return COMPARED_VARS.has(ev.variable) ? `Varset ${ev.variable}${ev.variable === 'BRIDGEPEER' ? (ev.value ? '=peer' : '=') : `=${ev.value}`}` : null;
    case 'ChannelStateChange':
      return `StateChange ${ev.channel.state}`;
    case 'Dial':
      return `Dial ${ev.dialstatus || '-'}`;
    case 'ChannelHangupRequest':
      return `HangupRequest ${ev.cause}`;
    case 'ChannelDestroyed':
      return `Destroyed ${ev.cause} ${ev.cause_txt}`;
    default:
      return COMPARED.has(ev.type) ? ev.type : null;
  }
}

export interface SeqOptions {
  /** Leave out the StasisStart/StasisEnd of the shipped dialplan's observe hop. */
  dropObserve?: boolean;
  collapseDtmf?: boolean;
  drop?: string[];
}

/** The compared event signatures of one channel, in order. */
export function seq(events: Ev[], id: string, opts: SeqOptions = {}): string[] {
  const out: string[] = [];
  let observing = false;
  for (const ev of events) {
    if (!concerns(ev, id)) continue;
    if (opts.dropObserve && ev.type === 'StasisStart' && ev.args?.[0] === 'observe') {
      observing = true;
      continue;
    }
    if (opts.dropObserve && observing && ev.type === 'StasisEnd') {
      observing = false;
      continue;
    }
    const sig = signature(ev);
    if (!sig || opts.drop?.includes(sig)) continue;
    if (opts.collapseDtmf && sig === 'ChannelDtmfReceived' && out[out.length - 1] === sig) continue;
    out.push(sig);
  }
  return out;
}

/** Trace placeholders rang (their Queue() had the `r` option); the shipped dialplan's do not. */
export const NO_RINGING: SeqOptions = { drop: ['StateChange Ringing', 'Dial RINGING'] };

/** Id of the nth channel created with a name like `Local/agent1@agents-xxxxxxxx;1`. */
export function idByName(events: Ev[], prefix: string, half: string, nth = 0): string {
  const found = events.filter((e) => e.type === 'ChannelCreated' && e.channel.name.startsWith(prefix) && e.channel.name.endsWith(half));
  assert.ok(found[nth], `no channel #${nth} named like ${prefix}…${half}`);
  return found[nth].channel.id;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Wait until the client has received the ChannelDestroyed of every channel listed. */
export async function destroyed(events: Ev[], ...ids: string[]): Promise<void> {
  for (const id of ids) await until(`ChannelDestroyed of ${id}`, () => events.some((e) => e.type === 'ChannelDestroyed' && e.channel.id === id));
}

export function causes(events: Ev[], id: string): number[] {
  return events.filter((e) => e.type === 'ChannelDestroyed' && e.channel.id === id).map((e) => e.cause);
}

export interface Rig {
  sim: AriSimulator;
  url: string;
  clients: AriClient[];
}

export async function newRig(opts: SimulatorOptions = {}): Promise<Rig> {
  const sim = new AriSimulator({ app: 'callbackd', secondMs: 100, playbackMs: 10, ...opts });
  const { url } = await sim.start();
  return { sim, url, clients: [] };
}

/** A real ari-client connection for `app`; every event it receives is appended to `events`. */
export async function connect(rig: Rig, app: string, subscribeAll: boolean, events: Ev[] = []): Promise<AriClient> {
  const client = await ari.connect(rig.url, 'callbackd', 'callbackd');
  client.on('*', (ev: Ev) => events.push(ev));
  await client.start(app, subscribeAll);
  rig.clients.push(client);
  return client;
}

/** Continue every observe hop, as callbackd does, optionally subscribing to the channel first. */
export function continueObserveHops(client: AriClient, subscribeAs?: string): void {
  client.on('StasisStart', (ev: Ev) => {
    if (ev.args[0] !== 'observe') return;
    const id = ev.channel.id;
    void (async () => {
      if (subscribeAs) await client.applications.subscribe({ applicationName: subscribeAs, eventSource: `channel:${id}` });
      await client.channels.continueInDialplan({ channelId: id });
    })().catch(() => undefined);
  });
}

/** A simulator and one ari-client connection whose events are collected. */
export async function traceRig(opts: { app: string; subscribeAll: boolean; secondMs?: number; observe?: 'continue' | 'subscribe-continue' }): Promise<Rig & { client: AriClient; events: Ev[] }> {
  const r = await newRig({ secondMs: opts.secondMs ?? 100 });
  const events: Ev[] = [];
  const client = await connect(r, opts.app, opts.subscribeAll, events);
  if (opts.observe) continueObserveHops(client, opts.observe === 'subscribe-continue' ? opts.app : undefined);
  return { ...r, client, events };
}

export async function teardown(rig: Rig | undefined): Promise<void> {
  if (!rig) return;
  for (const c of rig.clients) c.stop();
  await rig.sim.stop();
  assert.deepEqual(rig.sim.warnings().map(String), [], 'simulator warnings');
}

/** What the ari-client reports for an error response: the JSON body as the message. */
export async function restError(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return JSON.parse((err as Error).message);
  }
  throw new Error('expected the request to fail');
}

/** The latest REST request to exactly this path (below /ari, without the query string). */
export function lastRequest(sim: AriSimulator, method: string, path: string) {
  const hit = sim.requests().filter((r) => r.method === method && r.path === path).pop();
  assert.ok(hit, `no ${method} ${path}`);
  return hit;
}

export function userevent(events: Ev[], id: string): Record<string, string> {
  const ev = events.find((e) => e.type === 'ChannelUserevent' && e.channel.id === id);
  assert.ok(ev, `no user event on ${id}`);
  return ev.userevent;
}

/**
 * The hangup handler's user event: the trace's `QueueCallerGone` read QUEUENAME (never set, so queue
 * is ''); the shipped `CallbackdQueueCallGone` reads CB_QUEUE and has no status. abandoned and
 * position must agree; wait depends on the scaled clock.
 */
export function assertGone(ours: Record<string, string>, theirs: Record<string, string>, queue = 'support'): void {
  assert.equal(theirs.eventname, 'QueueCallerGone');
  assert.equal(ours.eventname, 'CallbackdQueueCallGone');
  assert.equal(ours.queue, queue);
  assert.equal(ours.abandoned, theirs.abandoned);
  assert.equal(ours.position, theirs.position);
  assert.match(ours.wait, /^\d+$/);
}

/** The originate response on the wire must be the trace's (the name's sequence number and creation time aside). */
export function assertOriginateResponse(sim: AriSimulator, theirs: any): void {
  const strip = (c: any) => ({ ...c, name: String(c.name).replace(/-[0-9a-f]{8};1$/, '-N;1'), creationtime: undefined });
  const ours = lastRequest(sim, 'POST', '/channels');
  assert.equal(ours.status, 200);
  assert.deepEqual(strip(ours.response), strip(theirs));
}

export const member = (o: { answerAfterMs: number; talkMs: number | null; state?: 'available' | 'paused' }) => ({ name: 'agent1', ...o });

describe('ARI simulator test fixtures', () => {
  it('has every recorded trace, and a Swagger model for each event type the traces show (but DeviceStateChanged)', () => {
    const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace('.json', ''));
    assert.equal(names.length, 10);
    const types = new Set(names.flatMap((n) => traceEvents(n).map((e) => e.type)));
    types.delete('DeviceStateChanged');
    for (const type of types) assert.ok(EVENT_MODELS[type], `no model for ${type}`);
    assert.ok(types.size >= 15, 'the traces cover the event types callbackd relies on');
  });
});

/** One agent with short, test-sized ring and talk times. */
export const agent = (o: { answerAfterMs?: number; talkMs?: number | null; state?: 'available' | 'paused' } = {}) => ({
  name: 'agent1',
  answerAfterMs: o.answerAfterMs ?? 30,
  talkMs: o.talkMs === undefined ? 80 : o.talkMs,
  state: o.state ?? 'available',
});
