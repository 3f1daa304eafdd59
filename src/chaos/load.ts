import type { AriEvent, AriSimulator, SimCall } from '../asterisk/simulator';
import type { CliResult } from './processes';
import type { Random } from './random';
import type { CallerKind, CallerRecord, ManualRecord } from './records';
import { nationalDigits, SALES, SUPPORT, type Numbers, type Staff } from './scenario';

export interface LoadOptions {
  sim: AriSimulator;
  rng: Random;
  numbers: Numbers;
  team: readonly Staff[];
  /** Runs `callbackd <args>` against the daemon's database. */
  cli: (args: string[]) => Promise<CliResult>;
  /** Time between two arrivals, ms. */
  arrivalMs: [number, number];
}

type Arrival = CallerKind | 'manual';

const ARRIVALS: Record<Arrival, number> = {
  patient: 14,
  abandon: 16,
  press1: 12,
  'press1-other': 4,
  'press1-backout': 3,
  ivr0: 6,
  'ivr-delayed': 5,
  'ivr-other': 3,
  'ivr-anonymous': 3,
  recall: 8,
  manual: 5,
};

/** A caller who is given nothing for this long hangs up, as people do. */
const PATIENCE_MS = 30_000;
/** A caller who hears nothing inside the CallBack node for this long gives up. */
const SILENCE_MS = 8_000;

/**
 * Steady mixed traffic: callers who wait and are served, who give up, who press 1 and confirm
 * or key another number, who book a callback in the IVR now or later, who call again after
 * giving up (making their callback Neglected); manual callbacks from the command line; agents who
 * pause and come back so the queue fills and empties. Every outbound number gets a scripted
 * behaviour (answers, busy once, no answer once, invalid, ...) when it is first used.
 */
export class Load {
  readonly callers: CallerRecord[] = [];
  readonly manual: ManualRecord[] = [];
  private readonly live = new Map<string, SimCall>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly abandoned: Array<{ number: string; queue: string }> = [];
  private readonly paused = new Set<string>();
  private readonly watchers = new Map<string, (ev: AriEvent) => void>();
  private readonly onAriEvent = (ev: AriEvent) => {
    const channel = (ev.channel as { id?: string } | undefined)?.id;
    const target = (ev.playback as { target_uri?: string } | undefined)?.target_uri;
    const id = channel ?? (target?.startsWith('channel:') ? target.slice('channel:'.length) : undefined);
    if (id) this.watchers.get(id)?.(ev);
  };
  private arrivals = true;
  private cliBusy: Promise<void> | null = null;
  private seq = 0;

  constructor(private readonly o: LoadOptions) {}

  start(): void {
    this.o.sim.on('ari-event', this.onAriEvent);
    this.arrivals = true;
    this.nextArrival();
    this.nextStaffChange();
  }

  /** No new callers; those already calling carry on to the end of their story. */
  stopArrivals(): void {
    this.arrivals = false;
  }

  /** Every agent back at work, so what is left in the queues gets served. */
  staffAll(): void {
    this.paused.clear();
    for (const { queue, members } of this.o.team) for (const m of members) this.o.sim.setMember(queue, m.name, { state: 'available' });
  }

  /** Callers still on the line, and whether a command-line request is still running. */
  get busy(): number {
    return this.live.size + (this.cliBusy ? 1 : 0);
  }

  /** The end of the run: whoever is still on the line hangs up. */
  dispose(): void {
    this.arrivals = false;
    this.o.sim.off('ari-event', this.onAriEvent);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const call of this.live.values()) call.hangup();
  }

  async drainCli(): Promise<void> {
    while (this.cliBusy) await this.cliBusy;
  }

  /** Events about one channel (its own, and playbacks on it) while it lasts. */
  private watch(channelId: string, fn: (ev: AriEvent) => void): void {
    this.watchers.set(channelId, fn);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  private nextArrival(): void {
    if (!this.arrivals) return;
    this.later(this.o.rng.between(...this.o.arrivalMs), () => {
      if (!this.arrivals) return;
      this.arrive(this.o.rng.weighted(ARRIVALS));
      this.nextArrival();
    });
  }

  /**
   * Agents take short breaks, sometimes all of a queue's at once, so callers wait long enough to
   * give up, press 1, or be overtaken by a held place.
   */
  private nextStaffChange(): void {
    const { rng, sim, team } = this.o;
    this.later(rng.between(800, 2500), () => {
      if (!this.arrivals) return;
      const { queue, members } = rng.pick(team);
      const member = rng.pick(members);
      const key = `${queue}/${member.name}`;
      if (!this.paused.has(key)) {
        this.paused.add(key);
        sim.setMember(queue, member.name, { state: 'paused' });
        this.later(rng.between(2000, 6000), () => {
          if (!this.paused.delete(key)) return;
          sim.setMember(queue, member.name, { state: 'available' });
        });
      }
      this.nextStaffChange();
    });
  }

  /** A number nobody used yet, with how it behaves when called back. */
  private freshNumber(): string {
    const number = this.o.numbers.next();
    this.scriptDestination(number);
    return number;
  }

  private scriptDestination(number: string): void {
    const { rng, sim } = this.o;
    const answer = { outcome: 'answer' as const, afterMs: rng.int(80, 500), digitsAfterAnswer: '1', digitsDelayMs: rng.int(300, 600) };
    const kind = rng.weighted({ answer: 55, busyOnce: 10, noAnswerOnce: 8, invalid: 4, congestionOnce: 4, rejectedOnce: 3, silent: 6, shortTalk: 5, alwaysBusy: 5 });
    // The newest script wins until its `times` are used up, so a one-off goes on top of the lasting one.
    switch (kind) {
      case 'answer':
        return sim.scriptDestination(number, answer);
      case 'busyOnce':
        sim.scriptDestination(number, answer);
        return sim.scriptDestination(number, { outcome: 'busy', afterMs: 300, times: 1 });
      case 'noAnswerOnce':
        sim.scriptDestination(number, answer);
        return sim.scriptDestination(number, { outcome: 'noanswer', times: 1 });
      case 'invalid':
        return sim.scriptDestination(number, { outcome: 'invalid' });
      case 'congestionOnce':
        sim.scriptDestination(number, answer);
        return sim.scriptDestination(number, { outcome: 'congestion', afterMs: 200, times: 1 });
      case 'rejectedOnce':
        sim.scriptDestination(number, answer);
        return sim.scriptDestination(number, { outcome: 'rejected', afterMs: 200, times: 1 });
      case 'silent':
        // Answers but never presses 1: a customer-first attempt is not confirmed.
        return sim.scriptDestination(number, { outcome: 'answer', afterMs: answer.afterMs });
      case 'shortTalk':
        return sim.scriptDestination(number, { ...answer, talkMs: 300 });
      case 'alwaysBusy':
        return sim.scriptDestination(number, { outcome: 'busy', afterMs: 200 });
    }
  }

  private arrive(kind: Arrival): void {
    const { rng } = this.o;
    switch (kind) {
      case 'manual':
        return this.manualCallback();
      case 'recall': {
        const earlier = this.abandoned.length > 0 ? this.abandoned.splice(rng.int(0, this.abandoned.length - 1), 1)[0] : null;
        if (!earlier) return this.queueCaller('patient', this.freshNumber(), SUPPORT);
        return this.queueCaller('recall', earlier.number, earlier.queue);
      }
      case 'patient':
      case 'abandon':
        return this.queueCaller(kind, this.freshNumber(), rng.chance(kind === 'abandon' ? 0.4 : 0.3) ? SALES : SUPPORT);
      case 'press1':
      case 'press1-other':
      case 'press1-backout':
        return this.queueCaller(kind, this.freshNumber(), SUPPORT);
      case 'ivr0':
      case 'ivr-delayed':
      case 'ivr-other':
      case 'ivr-anonymous':
        return this.ivrCaller(kind, rng.chance(0.2) ? SALES : SUPPORT);
    }
  }

  private record(kind: CallerKind, call: SimCall, number: string, queue: string, entry: 'queue' | 'ivr'): CallerRecord {
    const rec: CallerRecord = { kind, callId: call.channelId, number, queue, entry, placedAt: Date.now(), queued: [], servedAt: null, goneAt: null, abandonedAt: null, waitedMs: null, stasis: [], heard: [] };
    this.callers.push(rec);
    this.live.set(call.channelId, call);
    call.on('queued', () => rec.queued.push(Date.now()));
    call.once('answered-by-agent', () => (rec.servedAt = Date.now()));
    call.once('gone', () => {
      rec.goneAt = Date.now();
      this.live.delete(call.channelId);
      this.watchers.delete(call.channelId);
    });
    // Nobody stays on the line forever, whatever the daemon does.
    this.later(PATIENCE_MS + 10_000, () => !call.gone && !call.servedBy && this.hangUp(call, rec));
    return rec;
  }

  private inQueue(call: SimCall, queue: string): boolean {
    return this.o.sim.queueEntries(queue).some((e) => e.channelId === call.channelId);
  }

  /** Hangs up; a caller still waiting unanswered in the queue is an abandon, with the time waited. */
  private hangUp(call: SimCall, rec: CallerRecord): void {
    if (call.gone) return;
    if (!call.servedBy && this.inQueue(call, rec.queue)) {
      rec.abandonedAt = Date.now();
      const joined = rec.queued[rec.queued.length - 1] ?? rec.placedAt;
      rec.waitedMs = rec.abandonedAt - joined;
    }
    call.hangup();
  }

  private queueCaller(kind: CallerKind, number: string, queue: string): void {
    const { sim, rng } = this.o;
    const call = sim.callIntoQueue({ number, queue, form: { ACCOUNT: String(10_000 + ++this.seq) } });
    const rec = this.record(kind, call, number, queue, 'queue');
    const giveUpAfter = (ms: number, remember: boolean) =>
      this.later(ms, () => {
        if (call.gone || call.servedBy) return;
        this.hangUp(call, rec);
        if (remember && rec.abandonedAt !== null) this.abandoned.push({ number, queue });
      });
    switch (kind) {
      case 'abandon':
        return giveUpAfter(rng.between(2600, 7000), true);
      case 'press1':
      case 'press1-other':
      case 'press1-backout':
        this.later(rng.between(300, 2500), () => {
          if (call.gone || call.servedBy || !this.inQueue(call, queue)) return;
          void call.pressDigits('1');
          this.answerIvr(call, rec, kind === 'press1' ? '1' : kind === 'press1-other' ? `2${nationalDigits(this.freshNumber())}#1` : null);
        });
        return giveUpAfter(PATIENCE_MS, false);
      default:
        return giveUpAfter(PATIENCE_MS, false);
    }
  }

  private ivrCaller(kind: CallerKind, queue: string): void {
    const { sim, rng } = this.o;
    const anonymous = kind === 'ivr-anonymous';
    const number = anonymous ? 'anonymous' : this.freshNumber();
    const delayMinutes = kind === 'ivr-delayed' ? rng.int(1, 2) : kind === 'ivr0' ? 0 : rng.int(0, 1);
    const call = sim.callIntoCallbackNode({ number, queue, delayMinutes, form: { ACCOUNT: String(10_000 + ++this.seq) } });
    const rec = this.record(kind, call, number, queue, 'ivr');
    const keys = anonymous ? `${nationalDigits(this.freshNumber())}#1` : kind === 'ivr-other' ? `2${nationalDigits(this.freshNumber())}#1` : '1';
    this.answerIvr(call, rec, keys);
    // With the daemon down the node sends the caller into the queue, where they wait like anyone.
    this.later(PATIENCE_MS, () => !call.gone && !call.servedBy && this.hangUp(call, rec));
  }

  /**
   * In the CallBack node the caller answers what they hear: they key `keys` (or hang up, for
   * null) once the dialog starts, and again whenever the daemon starts asking after a pause (a
   * dialog started again after a restart, or a question repeated because the keys were lost).
   * Digits are taken ahead of the prompts, so nobody waits for a prompt to end. A caller left in
   * silence gives up.
   */
  private answerIvr(call: SimCall, rec: CallerRecord, keys: string | null): void {
    const { rng } = this.o;
    let inNode = false;
    let lastHeard = 0;
    let keyedAt = 0;
    const respond = () => {
      if (call.gone || !inNode) return;
      keyedAt = lastHeard = Date.now();
      if (keys === null) this.later(rng.between(300, 800), () => this.hangUp(call, rec));
      else void call.pressDigits(keys);
    };
    const listenForSilence = () =>
      this.later(1000, () => {
        if (call.gone) return;
        if (inNode && Date.now() - lastHeard > SILENCE_MS) return this.hangUp(call, rec);
        listenForSilence();
      });
    this.watch(call.channelId, (ev) => {
      const now = Date.now();
      if (ev.type === 'StasisStart' && Array.isArray(ev.args) && ev.args[0] === 'callback') {
        inNode = true;
        lastHeard = now;
        this.later(rng.between(150, 400), respond);
        listenForSilence();
      } else if (ev.type === 'StasisEnd') {
        inNode = false;
      } else if (ev.type === 'PlaybackStarted') {
        const pause = now - lastHeard;
        lastHeard = now;
        if (keys !== null && pause > 800 && now - keyedAt > 800) this.later(rng.between(150, 400), respond);
      } else if (ev.type === 'PlaybackFinished') {
        lastHeard = now;
      }
    });
  }

  /** `callbackd create` while the daemon runs: now, in a few seconds, or as a lost call that the caller then makes useless. */
  private manualCallback(): void {
    if (this.cliBusy) return;
    const { rng } = this.o;
    const number = this.freshNumber();
    const queue = rng.chance(0.3) ? SALES : SUPPORT;
    const how = rng.weighted({ now: 4, soon: 3, lostThenRecall: 2 });
    const args = ['create', '--number', number, '--queue', queue];
    if (how === 'now') args.push('--delay-minutes', '0');
    if (how === 'soon') args.push('--due', new Date(Date.now() + rng.int(3000, 10_000)).toISOString());
    if (how === 'lostThenRecall') args.push('--lost-call-event', '--delay-minutes', '1');
    const at = Date.now();
    this.cliBusy = this.o
      .cli(args)
      .then((r) => {
        this.manual.push({ at, args, code: r.code, output: (r.stdout + r.stderr).trim() });
        if (how === 'lostThenRecall' && r.code === 0) this.later(rng.between(1000, 4000), () => this.arrivals && this.queueCaller('recall', number, queue));
      })
      .finally(() => {
        this.cliBusy = null;
      });
  }
}
