import { randomUUID } from 'node:crypto';
import path from 'node:path';
import WebSocket from 'ws';
import type { PrivateAsterisk } from './asterisk';

/**
 * The test's side of the PBX. Every phone is a Local channel:
 *  - callers: `Local/<queue>@cbt-inbound/n` (the site's inbound dialplan, into the shipped
 *    Gosub(callbackd-queue)) or `Local/<queue>@cbt-ivr/n` (the shipped CallBack node); the `;1`
 *    half sits in the test's own ARI application, which keys DTMF and hangs up like a person;
 *  - agents: queue members `Local/agentN@cbt-agents/n` that ring, answer and talk for the times
 *    set in globals, paused and unpaused over the CLI;
 *  - customers: `Local/<+E.164>@cbt-customers/n`, the transition's endpoint, each number following
 *    a script of steps the test puts in a global (one step per dial, the last one repeats).
 */

export const TEST_APP = 'cbtest';
export const AGENTS = ['agent1', 'agent2'] as const;
export type Agent = (typeof AGENTS)[number];
export const memberOf = (agent: Agent) => `Local/${agent}@cbt-agents/n`;

/** The test's own contexts, #included into extensions.conf after the shipped dialplan. */
export const TEST_CONTEXTS = path.join(__dirname, 'test-contexts.conf');

export const TEST_QUEUES = `
[support]
strategy = ringall
timeout = 5
retry = 1
wrapuptime = 0
context = callbackd-queue-exit
joinempty = yes
leavewhenempty = no
ringinuse = no
autofill = yes
announce-frequency = 0
periodic-announce-frequency = 0
musicclass = default
${AGENTS.map((a) => `member => ${memberOf(a)},0,${a}`).join('\n')}
`;

export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  dialplan?: { context: string; exten: string; priority: number; app_name?: string; app_data?: string };
}

export interface AriEvent {
  type: string;
  channel?: AriChannel;
  playback?: { id: string; media_uri: string; state: string; target_uri: string; next_media_uri?: string };
  [key: string]: unknown;
}

export interface QueueCaller {
  position: number;
  name: string;
  /** The channel's id, looked up by name (null if it vanished meanwhile). */
  id: string | null;
}

export interface ReceivedEvent {
  at: number;
  event: AriEvent;
}

/** Polls `check` until it is truthy; the error names what was awaited and, if given, what was seen. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000, seen?: () => unknown): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      const detail = seen ? `; last seen: ${JSON.stringify(await seen())}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A person on a test phone: the `;1` half in the test's application, the `;2` half in the dialplan. */
export class Caller {
  destroyed = false;
  constructor(
    private readonly pbx: Pbx,
    /** The `;1` half, in the test's application. */
    readonly phoneId: string,
    /** The `;2` half: the call as the dialplan, the queue and callbackd see it. */
    readonly id: string,
    readonly number: string,
  ) {}

  /** Key DTMF like a phone (100 ms tones, 100 ms apart). */
  async dtmf(digits: string): Promise<void> {
    const res = await this.pbx.rest('POST', `/channels/${encodeURIComponent(this.phoneId)}/dtmf`, { dtmf: digits, duration: 100, between: 100 });
    if (res.status !== 204) throw new Error(`DTMF ${digits} on ${this.phoneId}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async hangup(): Promise<void> {
    await this.pbx.rest('DELETE', `/channels/${encodeURIComponent(this.phoneId)}`);
  }

  /** The `;2` half as Asterisk has it now, or null. */
  channel(): Promise<AriChannel | null> {
    return this.pbx.channel(this.id);
  }

  /** Where the `;2` half runs: "Queue", "Stasis callbackd,callback,support,0", ... */
  async app(): Promise<string> {
    const ch = await this.channel();
    return ch ? `${ch.dialplan?.app_name ?? ''} ${ch.dialplan?.app_data ?? ''}`.trim() : 'gone';
  }

  async inCallbackNode(): Promise<boolean> {
    return /^Stasis callbackd,callback,/.test(await this.app());
  }

  async waitGone(timeoutMs = 30_000): Promise<void> {
    await until(() => this.destroyed, `caller ${this.number} (${this.id}) to be hung up`, timeoutMs, () => this.app());
  }
}

export class Pbx {
  private socket: WebSocket | null = null;
  readonly events: ReceivedEvent[] = [];
  private readonly callers = new Map<string, Caller>();
  private seq = 0;
  private readonly auth: string;
  /** Globals the test set, unset again by reset(). */
  private readonly globalsSet = new Set<string>();

  constructor(
    readonly ast: PrivateAsterisk,
    private readonly user: string,
    password: string,
  ) {
    this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  /**
   * Opens the test application's event socket with subscribeAll, so PlaybackStarted/Finished of
   * the daemon's channels reach the test too (Asterisk publishes them on the channel's topic).
   */
  async connect(): Promise<void> {
    const url = `ws://127.0.0.1:${this.ast.port}/ari/events?app=${TEST_APP}&subscribeAll=true`;
    const socket = new WebSocket(url, { headers: { Authorization: this.auth } });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.on('message', (data) => {
      let event: AriEvent;
      try {
        event = JSON.parse(data.toString()) as AriEvent;
      } catch {
        return;
      }
      this.events.push({ at: Date.now(), event });
      if (event.type === 'ChannelDestroyed' && event.channel) {
        for (const c of this.callers.values()) if (c.phoneId === event.channel.id) c.destroyed = true;
      }
    });
    this.socket = socket;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
      setTimeout(resolve, 1000);
    });
  }

  async rest(method: string, path: string, query: Record<string, string | number> = {}, body?: unknown): Promise<{ status: number; body: unknown }> {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const res = await fetch(`${this.ast.url}/ari${path}${qs ? `?${qs}` : ''}`, {
      method,
      headers: { Authorization: this.auth, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  }

  /**
   * A caller into `queue` through the inbound dialplan (`via: 'queue'`) or into the CallBack node
   * with `delay` minutes (`via: 'ivr'`). Resolves once the phone is answered (the `;2` half runs).
   */
  async call(number: string, opts: { via?: 'queue' | 'ivr'; queue?: string; delay?: number; account?: string } = {}): Promise<Caller> {
    const { via = 'queue', queue = 'support', delay = 0 } = opts;
    const n = ++this.seq;
    const base = `cbt${n}-${randomUUID().slice(0, 8)}`;
    const phoneId = `${base}-phone`;
    const id = `${base}-call`;
    const variables: Record<string, string> = { CBT_DELAY: String(delay) };
    if (opts.account) variables.CBT_ACCOUNT = opts.account;
    const res = await this.rest(
      'POST',
      '/channels',
      { endpoint: `Local/${queue}@${via === 'ivr' ? 'cbt-ivr' : 'cbt-inbound'}/n`, app: TEST_APP, appArgs: 'phone', channelId: phoneId, otherChannelId: id, callerId: number, timeout: 30 },
      { variables },
    );
    if (res.status !== 200) throw new Error(`originate caller ${number}: ${res.status} ${JSON.stringify(res.body)}`);
    const caller = new Caller(this, phoneId, id, number);
    this.callers.set(phoneId, caller);
    await until(() => this.events.some((e) => e.event.type === 'StasisStart' && e.event.channel?.id === phoneId), `caller ${number} to be answered`);
    return caller;
  }

  /** A caller in the queue: answered, past the observe hop (or its failure), waiting in Queue(). */
  async callIntoQueue(number: string, opts: { queue?: string; account?: string } = {}): Promise<Caller> {
    const caller = await this.call(number, { ...opts, via: 'queue' });
    await until(async () => (await this.queueCallers(opts.queue)).some((c) => c.id === caller.id), `caller ${number} to wait in the queue`, 20_000, () => caller.app());
    return caller;
  }

  async channels(): Promise<AriChannel[]> {
    const res = await this.rest('GET', '/channels');
    return (res.body as AriChannel[]) ?? [];
  }

  async channel(id: string): Promise<AriChannel | null> {
    const res = await this.rest('GET', `/channels/${encodeURIComponent(id)}`);
    return res.status === 200 ? (res.body as AriChannel) : null;
  }

  /** A channel variable or dialplan function on a channel (functions are evaluated there). */
  async channelVar(id: string, variable: string): Promise<string | null> {
    const res = await this.rest('GET', `/channels/${encodeURIComponent(id)}/variable`, { variable });
    return res.status === 200 ? String((res.body as { value: string }).value) : null;
  }

  /** The callers of `queue` in order, from `queue show` (names mapped to channel ids). */
  async queueCallers(queue = 'support'): Promise<QueueCaller[]> {
    const [text, channels] = await Promise.all([this.ast.cli(`queue show ${queue}`), this.channels()]);
    const byName = new Map(channels.map((c) => [c.name, c.id]));
    const out: QueueCaller[] = [];
    let inCallers = false;
    for (const line of text.split('\n')) {
      if (/^\s*Callers:/.test(line)) inCallers = true;
      else if (/^\s*Members:/.test(line)) inCallers = false;
      const m = inCallers ? /^\s*(\d+)\.\s+(\S+)/.exec(line) : null;
      if (m) out.push({ position: Number(m[1]), name: m[2], id: byName.get(m[2]) ?? null });
    }
    return out;
  }

  /** Members of the queue as `queue show` prints them (paused, in use, ...). */
  async queueMembers(queue = 'support'): Promise<string[]> {
    const text = await this.ast.cli(`queue show ${queue}`);
    return text.split('\n').filter((l) => l.includes('cbt-agents'));
  }

  /** The bridges Asterisk holds (Stasis bridges outlive their channels unless deleted). */
  async bridges(): Promise<Array<{ id: string; channels: string[] }>> {
    return ((await this.rest('GET', '/bridges')).body as Array<{ id: string; channels: string[] }>) ?? [];
  }

  async setGlobal(variable: string, value: string): Promise<void> {
    const res = await this.rest('POST', '/asterisk/variable', { variable, value });
    if (res.status !== 204) throw new Error(`set global ${variable}: ${res.status}`);
    this.globalsSet.add(variable);
  }

  /** A global variable (GET /asterisk/variable does not evaluate functions); null when unset or empty. */
  async global(variable: string): Promise<string | null> {
    const res = await this.rest('GET', '/asterisk/variable', { variable });
    if (res.status !== 200) return null;
    const value = String((res.body as { value?: string }).value ?? '');
    return value === '' ? null : value;
  }

  /** Every global whose name starts with `prefix`, from `core show globals`. */
  async globals(prefix = ''): Promise<Record<string, string>> {
    const text = await this.ast.cli('core show globals');
    const out: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^\s*(\S+)=(.*)$/.exec(line);
      if (m && m[1].startsWith(prefix)) out[m[1]] = m[2];
    }
    return out;
  }

  async pause(agent: Agent, paused = true): Promise<void> {
    const out = await this.ast.cli(`queue ${paused ? 'pause' : 'unpause'} member ${memberOf(agent)} queue support`);
    if (!/\b(un)?paused interface/i.test(out)) throw new Error(`queue ${paused ? 'pause' : 'unpause'} ${agent}: ${out}`);
  }

  async unpause(agent: Agent): Promise<void> {
    await this.pause(agent, false);
  }

  /** How long `agent` rings before answering and how long they talk (seconds). */
  async agentTiming(agent: Agent, timing: { ringSeconds?: number; talkSeconds?: number }): Promise<void> {
    if (timing.ringSeconds !== undefined) await this.setGlobal(`CBT_RING_${agent}`, String(timing.ringSeconds));
    if (timing.talkSeconds !== undefined) await this.setGlobal(`CBT_TALK_${agent}`, String(timing.talkSeconds));
  }

  /** What a customer number does when dialled, one step per dial (see [cbt-customers]). */
  async customer(e164: string, ...steps: string[]): Promise<void> {
    await this.setGlobal(`CBT_C_${e164.replace(/^\+/, '')}`, steps.join('/'));
  }

  /** How many times the PBX dialled this customer number (counted by the customer's dialplan). */
  async dialsTo(e164: string): Promise<number> {
    return Number((await this.global(`CBT_N_${e164.replace(/^\+/, '')}`)) ?? 0);
  }

  /** Every answer by an agent so far: { agent, number (caller id the agent saw), cbCall (inherited CB_CALL) }. */
  async served(): Promise<Array<{ agent: string; number: string; cbCall: string }>> {
    const list = (await this.global('CBT_SERVED')) ?? '';
    return list
      .split('/')
      .filter((s) => s !== '')
      .map((s) => {
        const [agent, number, ...rest] = s.split(':');
        return { agent, number, cbCall: rest.join(':') };
      });
  }

  /** Playback events of the daemon's prompts seen on `channelId` (Started, Continuing, Finished). */
  playbacksOn(channelId: string): AriEvent['playback'][] {
    return this.events
      .filter((e) => e.event.type.startsWith('Playback') && e.event.playback?.target_uri === `channel:${channelId}`)
      .map((e) => ({ ...e.event.playback!, state: `${e.event.type}:${e.event.playback!.state}` }));
  }

  /** Index in `events` of the first playback event of `type` on the channel whose media matches, at or after `from`; -1 if none. */
  findPlayback(channelId: string, type: 'PlaybackStarted' | 'PlaybackFinished', media: RegExp, from = 0): number {
    for (let i = from; i < this.events.length; i++) {
      const { event } = this.events[i];
      if (event.type === type && event.playback?.target_uri === `channel:${channelId}` && media.test(event.playback.media_uri)) return i;
    }
    return -1;
  }

  /** Waits for that playback event and returns its index in `events`. */
  async awaitPlayback(channelId: string, type: 'PlaybackStarted' | 'PlaybackFinished', media: RegExp, from = 0, timeoutMs = 20_000): Promise<number> {
    const found = await until(
      () => {
        const i = this.findPlayback(channelId, type, media, from);
        return i >= 0 ? { i } : null;
      },
      `${type} of ${media} on ${channelId}`,
      timeoutMs,
      () => this.playbacksOn(channelId).map((p) => `${p?.state} ${p?.media_uri}`),
    );
    return found.i;
  }

  /** Hang up every channel, pause every agent and unset the globals the test set. */
  async reset(): Promise<void> {
    await this.ast.cli('channel request hangup all');
    await until(async () => (await this.channels()).length === 0, 'every channel to be gone', 15_000, async () => (await this.channels()).map((c) => c.name));
    for (const agent of AGENTS) await this.pause(agent);
    for (const variable of this.globalsSet) await this.rest('POST', '/asterisk/variable', { variable });
    this.globalsSet.clear();
    await this.rest('POST', '/asterisk/variable', { variable: 'CBT_SERVED' });
  }
}
