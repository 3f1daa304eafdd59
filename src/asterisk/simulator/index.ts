import { EventEmitter } from 'node:events';
import './dialplan';
import { placeCall, SimCall, type CallerSpec } from './calls';
import { controlRequest } from './control-http';
import type { FaultRules } from './faults';
import { Pbx } from './pbx';
import { dispatch, SimMember, SimQueue } from './queues';
import { AriServer } from './server';
import type {
  ConversationInfo,
  DestinationScript,
  MemberConfig,
  OriginateRequest,
  QueueConfig,
  QueueEntryInfo,
  RequestLogEntry,
  SimulatorOptions,
} from './types';

export { SimCall } from './calls';
export type { CallerSpec, SimCallEvent } from './calls';
export type * from './types';
export type { FaultRule, FaultRules } from './faults';

/**
 * An in-process Asterisk 22 as far as callbackd sees it over ARI: REST + WebSocket on 127.0.0.1, the
 * shipped dialplan modelled in code, queues with agents, scripted outbound destinations. Tests and
 * `callbackd demo` drive it through this class. Events: 'ari-event' (event, appsDeliveredTo), 'warning'.
 */
export class AriSimulator extends EventEmitter {
  private readonly pbx: Pbx;
  private readonly server: AriServer;
  private readonly warningsSeen: Error[] = [];
  private readonly calls = new Map<string, SimCall>();
  private baseUrl: string | null = null;

  constructor(opts: SimulatorOptions = {}) {
    super();
    this.pbx = new Pbx({
      app: opts.app ?? 'callbackd',
      user: opts.user ?? 'callbackd',
      password: opts.password ?? 'callbackd',
      playbackMs: opts.playbackMs ?? 20,
      defaultOriginateTimeoutSec: opts.defaultOriginateTimeoutSec ?? 30,
      secondMs: opts.secondMs ?? 1000,
      defaultDestination: opts.defaultDestination ?? { outcome: 'answer', afterMs: 50 },
      dtmfGapMs: opts.dtmfGapMs ?? 50,
      asteriskId: opts.asteriskId ?? '02:fc:00:00:00:01',
    });
    this.pbx.bus.on('ari-event', (ev, to) => this.emit('ari-event', ev, to));
    this.pbx.bus.on('warning', (err: Error) => {
      this.warningsSeen.push(err);
      if (this.listenerCount('warning') > 0) this.emit('warning', err);
    });
    this.server = new AriServer(this.pbx);
    this.server.control = (method, path, body) => controlRequest(this, method, path, body);
  }

  /** Listen on 127.0.0.1 (port 0 = any free port). Returns the base URL, without /ari. */
  async start(port = 0): Promise<{ url: string }> {
    const actual = await this.server.listen(port);
    this.baseUrl = `http://127.0.0.1:${actual}`;
    return { url: this.baseUrl };
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('simulator not started');
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.pbx.shutdown();
    await this.server.close();
  }

  /** Close every WebSocket as a network drop would (no close frame); REST keeps working. */
  dropConnections(): void {
    this.server.dropWebSockets();
  }

  /** While unreachable, new HTTP and WebSocket connections are refused and open ones are cut; calls go on. */
  async setReachable(up: boolean): Promise<void> {
    if (up) await this.server.relisten();
    else await this.server.unlisten();
  }

  /** Duration of each media item of later playbacks. */
  setPlaybackMs(ms: number): void {
    this.pbx.opts.playbackMs = ms;
  }

  appConnected(app = this.pbx.opts.app): boolean {
    return this.pbx.apps.isActive(app);
  }

  /** Resolves when `app` has a WebSocket connected. */
  async waitForApp(app = this.pbx.opts.app, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.appConnected(app)) {
      if (Date.now() > until) throw new Error(`application ${app} did not connect within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  addQueue(name: string, cfg: QueueConfig = {}): void {
    this.pbx.queues.set(name, new SimQueue(name, cfg));
  }

  /** Change a member at runtime (pause, make available, timings); adds the member if unknown. */
  setMember(queue: string, member: string, patch: Partial<Omit<MemberConfig, 'name'>>): void {
    const q = this.queue(queue);
    let m = q.members.find((x) => x.name === member);
    if (!m) {
      m = new SimMember(member, { name: member, ...patch });
      q.members.push(m);
    }
    if (patch.state !== undefined) m.state = patch.state;
    if (patch.answerAfterMs !== undefined) m.answerAfterMs = patch.answerAfterMs;
    if (patch.talkMs !== undefined) m.talkMs = patch.talkMs;
    this.pbx.defer(() => dispatch(this.pbx, q));
  }

  /** Callers now waiting in the queue, in queue order (placeholders included). */
  queueEntries(name: string): QueueEntryInfo[] {
    return this.queue(name).info();
  }

  private queue(name: string): SimQueue {
    const q = this.pbx.queues.get(name);
    if (!q) throw new Error(`no queue ${name}`);
    return q;
  }

  /** A caller dials in and is put into `queue` through `Gosub(callbackd-queue,s,1(queue[,timeout]))`. */
  callIntoQueue(spec: CallerSpec & { timeoutSec?: number }): SimCall {
    const extra: Record<string, string> = spec.timeoutSec ? { SIM_QUEUE_TIMEOUT: String(spec.timeoutSec) } : {};
    return this.track(placeCall(this.pbx, 'sim-inbound', spec, extra));
  }

  /** A caller reaches the CallBack IVR node: `Gosub(callbackd-callback,s,1(queue,delayMinutes))`. */
  callIntoCallbackNode(spec: CallerSpec & { delayMinutes: number }): SimCall {
    return this.track(placeCall(this.pbx, 'sim-ivr', spec, { SIM_DELAY_MINUTES: String(spec.delayMinutes) }));
  }

  /** A call placed by callIntoQueue / callIntoCallbackNode, by its id, while it lasts. */
  call(id: string): SimCall | undefined {
    return this.calls.get(id);
  }

  private track(call: SimCall): SimCall {
    this.calls.set(call.id, call);
    call.once('gone', () => this.calls.delete(call.id));
    return call;
  }

  /**
   * How an outbound number or endpoint behaves when originated. `pattern`: the endpoint
   * (`PJSIP/+420601111222@trunk`, `Local/busy@outcomes`), its resource or number, a `*` glob or a RegExp.
   */
  scriptDestination(pattern: string | RegExp, script: DestinationScript): void {
    this.pbx.destinations.add(pattern, script);
  }

  /** Every POST /channels (originate) request, parameters merged, in arrival order. */
  originations(): OriginateRequest[] {
    return this.pbx.originations.map((o) => ({ ...o }));
  }

  /** REST requests (not the Swagger downloads), in arrival order. */
  /** Rules that answer matching requests as they say (broken bodies, delays), for tests of hostile answers. */
  get faults(): FaultRules {
    return this.server.faults;
  }

  /** Send a raw text frame on every event WebSocket; returns how many sockets got it. */
  sendRawEvent(frame: string): number {
    return this.server.sendRawFrame(frame);
  }

  /** Global dialplan variables as they stand (the dialplan's served marks among them). */
  globals(): Map<string, string> {
    return new Map(this.pbx.globals);
  }

  requests(): RequestLogEntry[] {
    return [...this.server.requestLog];
  }

  /** Live channels as ARI shows them. */
  channels(): Array<Record<string, unknown>> {
    return this.pbx.channels.all().map((c) => c.snapshot());
  }

  /** A live channel's variables (what GET /channels/{id}/variable would find), or null if gone. */
  channelVariables(id: string): Record<string, string> | null {
    const ch = this.pbx.channels.find(id);
    return ch ? Object.fromEntries(ch.vars) : null;
  }

  /** Who talked to whom, in the order agents answered. */
  conversations(): ConversationInfo[] {
    return this.pbx.conversations.map((c) => ({ ...c }));
  }

  bridges(): Array<Record<string, unknown>> {
    return [...this.pbx.bridges.values()].map((b) => b.snapshot());
  }

  /** Errors caught inside the simulator (a test can assert there were none). */
  warnings(): Error[] {
    return [...this.warningsSeen];
  }
}
