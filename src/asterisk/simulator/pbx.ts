import { EventEmitter } from 'node:events';
import { ChannelRegistry, stripInheritance, type SimChannel } from './channels';
import { AppRegistry, type Topics } from './events';
import { ariTimestamp, hex8 } from './format';
import type { SimBridge } from './bridges';
import type { SimPlayback } from './playbacks';
import type { SimQueue } from './queues';
import { DestinationBook } from './destinations';
import type { AriEvent, ChannelState, ConversationInfo, DestinationScript, OriginateRequest } from './types';

export interface ResolvedOptions {
  app: string;
  user: string;
  password: string;
  playbackMs: number;
  defaultOriginateTimeoutSec: number;
  secondMs: number;
  defaultDestination: DestinationScript;
  dtmfGapMs: number;
  asteriskId: string;
}

/**
 * The simulated Asterisk core: registries of channels, bridges, queues and applications, the clock and
 * timers, and the primitives that publish events the way Asterisk's Stasis does.
 */
export class Pbx {
  readonly channels = new ChannelRegistry();
  readonly apps: AppRegistry;
  readonly queues = new Map<string, SimQueue>();
  readonly bridges = new Map<string, SimBridge>();
  readonly playbacks = new Map<string, SimPlayback>();
  readonly conversations: ConversationInfo[] = [];
  /** Parameters of every POST /channels (query and body merged), in arrival order. */
  readonly originations: OriginateRequest[] = [];
  /** Global dialplan variables (GET/POST /asterisk/variable). */
  readonly globals = new Map<string, string>();
  /** Simulator-level notifications: 'ari-event', 'warning', 'channel-destroyed', 'queue-changed'. */
  readonly bus = new EventEmitter();
  readonly destinations = new DestinationBook();
  readonly bootEpoch = Math.floor(Date.now() / 1000);
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private uniqueSeq = 0;
  private nameSeq = 0;
  private stopped = false;

  constructor(readonly opts: ResolvedOptions) {
    this.bus.setMaxListeners(0);
    this.apps = new AppRegistry(opts.asteriskId, (ev, to) => this.bus.emit('ari-event', ev, to));
  }

  now(): number {
    return Date.now();
  }

  timestamp(): string {
    return ariTimestamp(this.now());
  }

  seconds(sec: number): number {
    return sec * this.opts.secondMs;
  }

  /** Asterisk unique ids look like `1795493588.50`. */
  uniqueId(): string {
    return `${this.bootEpoch}.${this.uniqueSeq++}`;
  }

  nameSuffix(): string {
    return hex8(this.nameSeq++);
  }

  /** Run later, as another Asterisk thread would; errors become 'warning' instead of crashing the host. */
  after(ms: number, fn: () => void): () => void {
    if (this.stopped) return () => undefined;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.guard(fn);
    }, Math.max(0, ms));
    this.timers.add(t);
    return () => {
      clearTimeout(t);
      this.timers.delete(t);
    };
  }

  defer(fn: () => void): void {
    if (this.stopped) return;
    const i = setImmediate(() => {
      this.immediates.delete(i);
      this.guard(fn);
    });
    this.immediates.add(i);
  }

  guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.warn(err);
    }
  }

  warn(err: unknown): void {
    this.bus.emit('warning', err instanceof Error ? err : new Error(String(err)));
  }

  shutdown(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    for (const i of this.immediates) clearImmediate(i);
    this.timers.clear();
    this.immediates.clear();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  publish(event: AriEvent, topics: Topics): void {
    this.apps.publish(event, topics);
  }

  /** A channel event. `lead` fields go before `type`, as Asterisk orders ChannelVarset and ChannelHangupRequest. */
  publishChannel(type: string, ch: SimChannel, fields: Record<string, unknown> = {}, lead = false, onlyApp?: string): void {
    const base = { type, timestamp: this.timestamp() };
    const event = (lead ? { ...fields, ...base, channel: ch.snapshot() } : { ...base, ...fields, channel: ch.snapshot() }) as AriEvent;
    this.publish(event, { channels: [ch.id], onlyApp });
  }

  setVar(ch: SimChannel, name: string, value: string): void {
    ch.vars.set(stripInheritance(name), value);
    this.publishChannel('ChannelVarset', ch, { variable: name, value }, true);
  }

  setState(ch: SimChannel, state: ChannelState): void {
    if (ch.state === state) return;
    ch.state = state;
    this.publishChannel('ChannelStateChange', ch);
  }

  /** The channel moves to a dialplan location and starts an application there. */
  dialplanStep(ch: SimChannel, loc: Partial<SimChannel['dialplan']>): void {
    ch.dialplan = { ...ch.dialplan, ...loc };
    this.publishChannel('ChannelDialplan', ch, { dialplan_app: ch.dialplan.app_name, dialplan_app_data: ch.dialplan.app_data });
  }

  callerIdEvent(ch: SimChannel): void {
    this.publishChannel('ChannelCallerId', ch, { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
  }

  /** Dial events belong to both the calling and the dialled channel's topics. */
  dial(peer: SimChannel, dialstatus: string, dialstring: string, caller?: SimChannel): void {
    const event: AriEvent = { type: 'Dial', timestamp: this.timestamp(), dialstatus, forward: '', dialstring };
    if (caller) event.caller = caller.snapshot();
    event.peer = peer.snapshot();
    const channels = caller ? [caller.id, peer.id] : [peer.id];
    this.publish(event, { channels });
  }

  dtmf(ch: SimChannel, digit: string): void {
    if (!ch.alive) return;
    this.publishChannel('ChannelDtmfReceived', ch, { digit, duration_ms: 100 });
    ch.dtmfHandler?.(digit);
  }

  hangupRequestEvent(ch: SimChannel, cause: number, soft: boolean): void {
    this.publishChannel('ChannelHangupRequest', ch, soft ? { cause, soft: true } : { cause }, true);
  }
}
