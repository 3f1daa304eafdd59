import { EventEmitter } from 'node:events';
import type { SimChannel } from './channels';
import { requestHangup } from './hangup';
import { newLocalPair } from './local';
import { Dialer } from './originate';
import type { Pbx } from './pbx';
import { startDialplan } from './runner';
import type { AriEvent } from './types';

export interface CallerSpec {
  number: string;
  queue: string;
  name?: string;
  /** Form fields the IVR collected; keys become CB_FORM_<KEY> unless they already are. */
  form?: Record<string, string>;
  /** Chosen id of the caller's phone channel (;1); the dialplan channel is `<id>;2`. */
  id?: string;
}

export type SimCallEvent = 'queued' | 'stasis' | 'answered-by-agent' | 'gone';

/**
 * A simulated caller: a Local pair whose ;1 half is the caller's phone and whose ;2 half runs the
 * site's dialplan into the shipped entry points. Emits 'queued', 'stasis' (args), 'answered-by-agent'
 * ({ member, queue }) and 'gone' ({ cause }).
 */
export class SimCall extends EventEmitter {
  readonly id: string;
  /** The ;2 channel, the one that runs the dialplan, enters Stasis and waits in queues. */
  readonly channelId: string;
  servedBy: { member: string; queue: string; at: number } | null = null;
  gone = false;
  cause: number | null = null;
  private readonly seen = new Map<SimCallEvent, unknown>();
  private readonly detach: Array<() => void> = [];

  constructor(
    private readonly pbx: Pbx,
    private readonly phone: SimChannel,
    private readonly line: SimChannel,
    readonly number: string,
    readonly queue: string,
  ) {
    super();
    this.id = phone.id;
    this.channelId = line.id;
    this.listen('queue-joined', (e: { channelId: string }) => e.channelId === line.id && this.fire('queued', e));
    this.listen('agent-answered', (e: { channelId: string; member: string; queue: string }) => {
      if (e.channelId !== line.id) return;
      this.servedBy = { member: e.member, queue: e.queue, at: pbx.now() };
      this.fire('answered-by-agent', { member: e.member, queue: e.queue });
    });
    this.listen('ari-event', (ev: AriEvent) => {
      const ch = ev.channel as { id?: string } | undefined;
      if (ev.type === 'StasisStart' && ch?.id === line.id) this.fire('stasis', ev.args);
    });
    line.life.once('destroyed', (cause: number) => {
      this.gone = true;
      this.cause = cause;
      for (const off of this.detach) off();
      this.fire('gone', { cause });
    });
  }

  private listen<T>(name: string, fn: (payload: T) => void): void {
    const handler = (payload: T): void => fn(payload);
    this.pbx.bus.on(name, handler);
    this.detach.push(() => this.pbx.bus.off(name, handler));
  }

  private fire(event: SimCallEvent, payload: unknown): void {
    this.seen.set(event, payload);
    this.emit(event, payload);
  }

  /** The caller keys digits (ChannelDtmfReceived on the dialplan channel, one per digit). */
  async pressDigits(digits: string, gapMs = this.pbx.opts.dtmfGapMs): Promise<void> {
    for (let i = 0; i < digits.length; i++) {
      if (i > 0) await new Promise<void>((r) => this.pbx.after(gapMs, r));
      if (!this.line.alive) return;
      this.pbx.dtmf(this.line, digits[i]);
    }
  }

  /** The caller hangs up their phone. */
  hangup(): void {
    const target = this.phone.alive ? this.phone : this.line;
    if (target.alive) requestHangup(this.pbx, target, 'explicit', 16);
  }

  /** Resolves with the event's payload; at once if it already happened. */
  waitFor(event: SimCallEvent, timeoutMs = 5000): Promise<unknown> {
    if (this.seen.has(event)) return Promise.resolve(this.seen.get(event));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off(event, onEvent);
        reject(new Error(`call ${this.id}: no '${event}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onEvent = (payload: unknown): void => {
        clearTimeout(timer);
        resolve(payload);
      };
      this.once(event, onEvent);
    });
  }
}

let callSeq = 0;

/** Place a caller into a simulated context (`sim-inbound` or `sim-ivr`), like a phone dialling in. */
export function placeCall(pbx: Pbx, context: string, spec: CallerSpec, extraVars: Record<string, string>): SimCall {
  if (spec.id && (pbx.channels.has(spec.id) || pbx.channels.has(`${spec.id};2`))) throw new Error(`channel ${spec.id} already exists`);
  const [phone, line] = newLocalPair(pbx, { exten: spec.queue, context, options: '' }, spec.id || `call-${++callSeq}`);
  pbx.dialplanStep(phone, { app_name: 'AppDial2', app_data: '(Outgoing Line)' });
  const cid = { name: spec.name ?? '', number: spec.number };
  const vars: Array<[string, string]> = [
    ...Object.entries(spec.form ?? {}).map(([k, v]): [string, string] => [k.startsWith('CB_FORM_') ? k : `CB_FORM_${k}`, v]),
    ...Object.entries(extraVars),
  ];
  for (const party of [phone, line]) {
    if (party === line) for (const [k, v] of [...vars].reverse()) pbx.setVar(line, k, v);
    party.caller = { ...cid };
    pbx.callerIdEvent(party);
    party.connected = { ...cid };
    pbx.publishChannel('ChannelConnectedLine', party);
    if (party === phone) for (const [k, v] of vars) pbx.setVar(phone, k, v);
  }
  const call = new SimCall(pbx, phone, line, spec.number, spec.queue);
  new Dialer(pbx, phone, `${spec.queue}@${context}`, { context: 'sim-caller', exten: 'wait', priority: 1 }, null).start();
  pbx.defer(() => line.alive && startDialplan(pbx, line, { context, exten: spec.queue, priority: 1 }));
  return call;
}
