import { ringMember, type AgentLeg } from './agents';
import type { SimChannel } from './channels';
import { indicateRinging } from './local';
import type { Pbx } from './pbx';
import { extensionExists, type Step, type StepContext, type StepResult } from './runner';
import type { MemberConfig, MemberState, QueueConfig, QueueEntryInfo } from './types';

export class SimMember {
  answerAfterMs: number | null;
  talkMs: number | null;
  state: MemberState;
  /** The call leg ringing or talking to this member. */
  leg: AgentLeg | null = null;
  retryAt = 0;

  constructor(readonly name: string, cfg: MemberConfig) {
    this.answerAfterMs = cfg.answerAfterMs === undefined ? 1000 : cfg.answerAfterMs;
    this.talkMs = cfg.talkMs === undefined ? 3000 : cfg.talkMs;
    this.state = cfg.state ?? 'available';
  }
}

export interface QueueCaller {
  readonly ch: SimChannel;
  readonly queue: SimQueue;
  readonly enteredAt: number;
  leg: AgentLeg | null;
  talking: boolean;
  /** Queue()'s gosub argument: run on the member's channel when the member answers. */
  gosub: string | null;
  finish: (r: StepResult) => void;
  cancelTimeout: () => void;
}

export class SimQueue {
  readonly entries: QueueCaller[] = [];
  readonly members: SimMember[];
  exitContext: string | null;
  ringTimeoutMs: number;
  retryMs: number;

  constructor(readonly name: string, cfg: QueueConfig) {
    this.members = (cfg.members ?? []).map((m) => new SimMember(m.name, m));
    this.exitContext = cfg.exitContext === undefined ? 'callbackd-queue-exit' : cfg.exitContext;
    this.ringTimeoutMs = cfg.ringTimeoutMs ?? 15000;
    this.retryMs = cfg.retryMs ?? 1000;
  }

  positionOf(entry: QueueCaller): number {
    return this.entries.indexOf(entry) + 1;
  }

  info(): QueueEntryInfo[] {
    return this.entries.map((e, i) => ({
      channelId: e.ch.id,
      number: e.ch.caller.number,
      position: i + 1,
      enteredAt: e.enteredAt,
      placeholderFor: placeholderFor(e.ch),
    }));
  }
}

/** CB_ID of a channel that holds a callback's place ([callbackd-placeholder]), else null. */
export function placeholderFor(ch: SimChannel): string | null {
  return ch.dialplan.context === 'callbackd-placeholder' ? (ch.getVar('CB_ID') ?? null) : null;
}

/** Ring free members for waiting callers, in queue order, one member per caller. */
export function dispatch(pbx: Pbx, queue: SimQueue): void {
  const now = pbx.now();
  for (const entry of queue.entries) {
    if (entry.leg) continue;
    const member = queue.members.find((m) => m.state === 'available' && !m.leg && m.retryAt <= now);
    if (!member) return;
    ringMember(pbx, queue, entry, member);
  }
}

function waitVars(pbx: Pbx, e: QueueCaller): void {
  const ms = pbx.now() - e.enteredAt;
  pbx.setVar(e.ch, 'QUEUEWAIT', String(Math.floor(ms / pbx.opts.secondMs)));
  pbx.setVar(e.ch, 'QUEUEWAIT_MS', String(Math.round((ms * 1000) / pbx.opts.secondMs)));
}

function leftUnansweredVars(pbx: Pbx, e: QueueCaller): void {
  waitVars(pbx, e);
  const ms = Math.round(((pbx.now() - e.enteredAt) * 1000) / pbx.opts.secondMs);
  pbx.setVar(e.ch, 'DIALEDTIME', String(Math.floor(ms / 1000)));
  pbx.setVar(e.ch, 'DIALEDTIME_MS', String(ms));
  pbx.setVar(e.ch, 'ANSWEREDTIME', '0');
  pbx.setVar(e.ch, 'ANSWEREDTIME_MS', '0');
}

/** Take the caller out of the waiting list; returns the position it had. */
function remove(pbx: Pbx, e: QueueCaller): number {
  const pos = e.queue.positionOf(e);
  if (pos > 0) e.queue.entries.splice(pos - 1, 1);
  e.cancelTimeout();
  e.ch.dtmfHandler = null;
  if (e.leg && !e.talking) e.leg.cancelRing();
  pbx.bus.emit('queue-changed', e.queue.name);
  pbx.defer(() => dispatch(pbx, e.queue));
  return pos;
}

/** A member answered: the caller leaves the waiting list (QUEUEPOSITION set) and talks. */
export function callerAnswered(pbx: Pbx, e: QueueCaller): void {
  const pos = e.queue.positionOf(e);
  if (pos > 0) e.queue.entries.splice(pos - 1, 1);
  e.cancelTimeout();
  e.ch.dtmfHandler = null;
  e.talking = true;
  pbx.setVar(e.ch, 'QUEUEPOSITION', String(pos));
  waitVars(pbx, e);
  pbx.bus.emit('queue-changed', e.queue.name);
}

/** The conversation is over (the agent hung up): Queue() returns and, without the `g` option, the caller is hung up. */
export function talkEnded(pbx: Pbx, e: QueueCaller, answeredAt: number): void {
  const talk = Math.round(((pbx.now() - answeredAt) * 1000) / pbx.opts.secondMs);
  const total = Math.round(((pbx.now() - e.enteredAt) * 1000) / pbx.opts.secondMs);
  pbx.setVar(e.ch, 'ANSWEREDTIME', String(Math.floor(talk / 1000)));
  pbx.setVar(e.ch, 'ANSWEREDTIME_MS', String(talk));
  pbx.setVar(e.ch, 'DIALEDTIME', String(Math.floor(total / 1000)));
  pbx.setVar(e.ch, 'DIALEDTIME_MS', String(total));
  e.finish({ kind: 'hangup' });
}

function join(pbx: Pbx, x: StepContext, queue: SimQueue, position: number, timeoutMs: number | null, gosub: string | null, finish: (r: StepResult) => void): () => void {
  const e: QueueCaller = { ch: x.ch, queue, enteredAt: pbx.now(), leg: null, talking: false, gosub, finish, cancelTimeout: () => undefined };
  const at = position > 0 ? Math.min(position - 1, queue.entries.length) : queue.entries.length;
  queue.entries.splice(at, 0, e);
  if (timeoutMs !== null) {
    e.cancelTimeout = pbx.after(timeoutMs, () => {
      leftUnansweredVars(pbx, e);
      const pos = remove(pbx, e);
      pbx.setVar(e.ch, 'QUEUEPOSITION', String(pos));
      pbx.setVar(e.ch, 'QUEUESTATUS', 'TIMEOUT');
      finish({ kind: 'next' });
    });
  }
  const exit = queue.exitContext;
  if (exit) {
    x.ch.dtmfHandler = (digit) => {
      if (e.talking || !extensionExists(pbx, exit, digit, x.ch)) return;
      leftUnansweredVars(pbx, e);
      const pos = remove(pbx, e);
      pbx.dialplanStep(x.ch, { context: exit, exten: digit, priority: 1 });
      pbx.setVar(x.ch, 'QUEUEPOSITION', String(pos));
      finish({ kind: 'goto', context: exit, exten: digit, priority: 1 });
    };
  }
  pbx.bus.emit('queue-joined', { queue: queue.name, channelId: x.ch.id });
  pbx.bus.emit('queue-changed', queue.name);
  pbx.defer(() => dispatch(pbx, queue));
  return () => {
    if (e.talking) {
      e.leg?.callerGone();
      const talk = Math.round(((pbx.now() - (e.leg?.answeredAt ?? pbx.now())) * 1000) / pbx.opts.secondMs);
      pbx.setVar(e.ch, 'ANSWEREDTIME', String(Math.floor(talk / 1000)));
      pbx.setVar(e.ch, 'ANSWEREDTIME_MS', String(talk));
    } else {
      e.leg?.cancelRing();
      leftUnansweredVars(pbx, e);
      const pos = remove(pbx, e);
      pbx.setVar(e.ch, 'ABANDONED', 'TRUE');
      pbx.setVar(e.ch, 'QUEUEPOSITION', String(pos));
    }
    finish({ kind: 'interrupted' });
  };
}

/** `Queue(name,options,URL,announceoverride,timeout,AGI,gosub,rule,position)` (Asterisk 22 argument order). */
export function queueApp(data: (x: StepContext) => string): Step {
  return {
    app: 'Queue',
    data,
    run: (x, text) => {
      const args = text.split(',');
      const queue = x.pbx.queues.get(args[0]);
      if (!queue) {
        x.pbx.setVar(x.ch, 'QUEUESTATUS', 'JOINUNAVAIL');
        return { kind: 'next' };
      }
      for (const v of ['ANSWEREDTIME', 'ANSWEREDTIME_MS', 'DIALEDTIME', 'DIALEDTIME_MS', 'QUEUEWAIT', 'QUEUEWAIT_MS']) x.pbx.setVar(x.ch, v, '');
      if ((args[1] ?? '').includes('r')) indicateRinging(x.ch);
      const timeoutSec = Number(args[4]);
      const position = Number(args[8]);
      const timeoutMs = args[4] && timeoutSec > 0 ? x.pbx.seconds(timeoutSec) : null;
      const gosub = args[6] ? args[6] : null;
      return x.block((finish) => join(x.pbx, x, queue, position > 0 ? position : 0, timeoutMs, gosub, finish));
    },
  };
}
