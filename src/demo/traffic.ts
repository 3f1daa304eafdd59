import type { AriSimulator, DestinationScript, SimCall } from '../asterisk/simulator';
import type { Callbacks } from '../engine/callbacks';
import type { NumberBook } from './numbers';
import { HUDDLE, IVR_DELAY_MINUTES, ROUND_SECONDS, SALES, SUPPORT, TIMING, type DemoQueue, type Load, type Staff } from './scenario';
import type { Timescale } from './timescale';

export interface TrafficDeps {
  sim: AriSimulator;
  /** The daemon's lifecycle service: manual callbacks are made through it, as `callbackd create` does. */
  callbacks: Callbacks;
  numbers: NumberBook;
  time: Timescale;
  random: () => number;
  load: Record<DemoQueue, Load>;
  staff: Staff;
}

/** What a caller in a queue does, in demo seconds from joining it. */
interface Behaviour {
  /** Press 1 (leave the queue for the CallBack node, place kept) if still waiting then. */
  pressOneAfter?: number;
  /** Once in the CallBack node: hang up instead of confirming the number. */
  backOut?: boolean;
  /** Hang up if still waiting then. */
  giveUpAfter?: number;
  /** Having given up, call again this long after (and wait patiently). */
  callAgainAfter?: number;
}

/**
 * The callers, the called-back customers' phones and the supervisor of the demo. Two kinds of
 * traffic: background callers arriving at random (rate from the load computation, so the queues
 * stay steady), and a scripted cast, every round of two minutes, that makes sure each mechanism,
 * outcome and status shows up within the round. The traffic only places calls and requests:
 * what became of them is read from callbackd's database (snapshot.ts), never from here.
 */
export class Traffic {
  /** Channel ids (callbackd's call ids) of the calls placed into each queue. */
  readonly queueCalls: Record<DemoQueue, string[]> = { support: [], sales: [] };
  /** Call ids of the callers sent straight to the CallBack IVR node. */
  readonly ivrCalls: string[] = [];
  /** Callback ids of the supervisor's manual requests (what callbackd returned). */
  readonly manual: string[] = [];
  /** Anything that did not go as the traffic meant (a refused request); shown on screen. */
  readonly problems: string[] = [];
  /** Whether the agents are in their team huddle now. */
  huddle = false;
  /** Rounds of the cast begun so far. */
  rounds = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private account = 10000;

  constructor(private readonly deps: TrafficDeps) {}

  start(): void {
    const { sim, time } = this.deps;
    // Every called-back customer answers after a ring or two and, when asked (customer-first), presses 1.
    sim.scriptDestination(/^PJSIP\//, { outcome: 'answer', afterMs: time.real(TIMING.customerAnswerMs), digitsAfterAnswer: '1', digitsDelayMs: time.real(TIMING.customerKeyMs) });
    this.round(0);
    for (const queue of [SUPPORT, SALES] as const) this.arrivals(queue);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(seconds: number, fn: () => void): void {
    if (this.stopped) return;
    const t = this.deps.time.after(seconds, () => {
      this.timers.delete(t);
      if (this.stopped) return;
      try {
        fn();
      } catch (err) {
        this.problems.push(String((err as Error).message ?? err));
      }
    });
    this.timers.add(t);
  }

  private between(lo: number, hi: number): number {
    return lo + this.deps.random() * (hi - lo);
  }

  /** How the customer's phone behaves when callbackd calls this number back. */
  private phone(number: string, script: Omit<DestinationScript, 'afterMs' | 'digitsDelayMs' | 'talkMs'> & { afterMs?: number; digitsDelayMs?: number; talkMs?: number }): void {
    const { time } = this.deps;
    this.deps.sim.scriptDestination(number, {
      ...script,
      afterMs: script.afterMs === undefined ? undefined : time.real(script.afterMs),
      digitsDelayMs: script.digitsDelayMs === undefined ? undefined : time.real(script.digitsDelayMs),
      talkMs: script.talkMs === undefined ? undefined : time.real(script.talkMs),
    });
  }

  private busy(number: string, times: number): void {
    this.phone(number, { outcome: 'busy', afterMs: TIMING.busyAfterMs, times });
  }

  private noAnswer(number: string): void {
    this.phone(number, { outcome: 'noanswer', times: 1 });
  }

  /** A caller dials `queue` and behaves as `b` says. */
  callQueue(queue: DemoQueue, number: string, b: Behaviour): SimCall {
    const call = this.deps.sim.callIntoQueue({ number, queue, form: { ACCOUNT: String(++this.account) } });
    this.queueCalls[queue].push(call.channelId);
    const waiting = () => !call.gone && !call.servedBy;
    if (b.pressOneAfter !== undefined) {
      this.later(b.pressOneAfter, () => {
        if (!waiting()) return;
        // The next StasisStart of this call is the CallBack node (the first was the queue's observe hop).
        call.once('stasis', () => (b.backOut ? this.later(2, () => call.hangup()) : this.confirm(call)));
        void call.pressDigits('1');
      });
    }
    if (b.giveUpAfter !== undefined) {
      this.later(b.giveUpAfter, () => {
        if (!waiting()) return;
        call.hangup();
        if (b.callAgainAfter !== undefined) this.later(b.callAgainAfter, () => this.callQueue(queue, number, { giveUpAfter: this.between(60, 90) }));
      });
    }
    return call;
  }

  /** A caller dials the CallBack IVR node directly (support, call back in IVR_DELAY_MINUTES) and confirms. */
  callIvr(number: string): SimCall {
    const call = this.deps.sim.callIntoCallbackNode({ number, queue: SUPPORT, delayMinutes: IVR_DELAY_MINUTES, form: { ACCOUNT: String(++this.account) } });
    this.ivrCalls.push(call.channelId);
    call.once('stasis', () => this.confirm(call));
    return call;
  }

  /** Barge-in: the caller confirms the number read back (key 1) as soon as the node starts talking. */
  private confirm(call: SimCall): void {
    this.later(0.5, () => void call.pressDigits('1'));
  }

  /** A supervisor asks for a callback, through the same service `callbackd create` uses. */
  async requestManual(queue: DemoQueue, number: string, delayMinutes: number, note: string): Promise<string | null> {
    try {
      const { callback } = await this.deps.callbacks.request({ number, queue, mechanism: 'manual', delayMinutes, note, by: 'supervisor (demo)', birthEvent: 'Created', shifted: false });
      this.manual.push(callback.id);
      return callback.id;
    } catch (err) {
      this.problems.push(`manual callback for ${number} refused: ${(err as Error).message}`);
      return null;
    }
  }

  private setHuddle(on: boolean): void {
    this.huddle = on;
    for (const queue of [SUPPORT, SALES] as const) {
      for (const member of this.deps.staff[queue]) this.deps.sim.setMember(queue, member.name, { state: on ? 'paused' : 'available' });
    }
  }

  /**
   * The scripted cast of one round (times in seconds from the round's start). The huddle makes
   * callers wait, so some press 1 and some give up; callbacks are then dialled with one-minute
   * retries, so everything below is settled within the round:
   *  - IvrCallBack for later: a caller books "call me back in 1 minute" in the IVR (Completed);
   *  - IvrCallBack, place kept: a caller presses 1 in the queue (Completed when an agent reaches it);
   *    another one's line is busy twice (busy, busy: Failed); a third backs out of the IVR (Cancelled);
   *  - LostShift: a caller gives up (Completed a minute later); another gives up and calls again,
   *    gets through, and the callback is Neglected; a sales caller gives up (customer-first, at once);
   *  - manual: no answer, then answered; busy, then answered; one cancelled by the supervisor;
   *    on sales (customer-first, expires after 1 minute) one customer presses 2 (not_confirmed) and
   *    one hangs up in the queue before an agent answers (agent_unanswered): both Expired.
   */
  private round(n: number): void {
    this.rounds = n + 1;
    // Called at the round's start: times are from now.
    const at = (seconds: number, fn: () => void) => this.later(seconds, fn);
    const fresh = () => this.deps.numbers.fresh();
    at(HUDDLE.start, () => this.setHuddle(true));
    at(HUDDLE.end, () => this.setHuddle(false));
    at(2, () => this.callIvr(fresh()));
    at(3.5, () => this.callQueue(SUPPORT, fresh(), { pressOneAfter: 3 }));
    at(4, () => {
      const number = fresh();
      this.busy(number, 2);
      this.callQueue(SUPPORT, number, { pressOneAfter: 3 });
    });
    at(4.5, () => this.callQueue(SUPPORT, fresh(), { pressOneAfter: 3, backOut: true }));
    at(5, () => this.callQueue(SALES, fresh(), { giveUpAfter: 6.5 }));
    at(5, () => this.callQueue(SUPPORT, fresh(), { giveUpAfter: 6.5, callAgainAfter: 15 }));
    at(5.5, () => this.callQueue(SUPPORT, fresh(), { giveUpAfter: 6.5 }));
    at(6, () => {
      const number = fresh();
      this.phone(number, { outcome: 'answer', afterMs: TIMING.customerAnswerMs, digitsAfterAnswer: '1', digitsDelayMs: TIMING.customerKeyMs, talkMs: 3000, times: 1 });
      void this.requestManual(SALES, number, 0, 'quote follow-up (will hang up while queued)');
    });
    at(8, () => {
      const number = fresh();
      this.noAnswer(number);
      void this.requestManual(SUPPORT, number, 0, 'asked by email to be called');
    });
    at(16, () => {
      const number = fresh();
      this.phone(number, { outcome: 'answer', afterMs: TIMING.customerAnswerMs, digitsAfterAnswer: '2', digitsDelayMs: TIMING.customerKeyMs, times: 1 });
      void this.requestManual(SALES, number, 0, 'order question (will press 2)');
    });
    at(18, () => {
      void this.requestManual(SUPPORT, fresh(), 5, 'call back in 5 minutes').then((id) => {
        if (id) this.later(22, () => void this.cancelManual(id));
      });
    });
    at(20, () => {
      const number = fresh();
      this.busy(number, 1);
      void this.requestManual(SUPPORT, number, 0, 'invoice question');
    });
    at(ROUND_SECONDS, () => this.round(n + 1));
  }

  private async cancelManual(id: string): Promise<void> {
    try {
      await this.deps.callbacks.cancel(id, 'supervisor (demo)', 'the customer wrote that the call is no longer needed');
    } catch (err) {
      this.problems.push(`could not cancel ${id}: ${(err as Error).message}`);
    }
  }

  /**
   * Background callers at the rate the load computation set: gaps drawn evenly between half and
   * one and a half times the mean, steadier than a Poisson stream over a two-minute demo.
   */
  private arrivals(queue: DemoQueue): void {
    const mean = 60 / this.deps.load[queue].arrivalsPerMinute;
    const next = () => {
      const gap = this.between(0.5, 1.5) * mean;
      this.later(gap, () => {
        this.background(queue);
        next();
      });
    };
    next();
  }

  private background(queue: DemoQueue): void {
    const number = this.deps.numbers.fresh();
    const phone = this.deps.random();
    if (phone < 0.1) this.busy(number, 1);
    else if (phone < 0.16) this.noAnswer(number);
    const who = this.deps.random();
    if (queue === SALES) {
      this.callQueue(queue, number, who < 0.25 ? { giveUpAfter: this.between(6, 15) } : { giveUpAfter: this.between(60, 90) });
      return;
    }
    if (who < 0.08) this.callIvr(number);
    else if (who < 0.2) this.callQueue(queue, number, { pressOneAfter: this.between(3, 8), giveUpAfter: this.between(60, 90) });
    else if (who < 0.34) this.callQueue(queue, number, { giveUpAfter: this.between(6, 15), callAgainAfter: this.deps.random() < 0.5 ? this.between(10, 30) : undefined });
    else this.callQueue(queue, number, { giveUpAfter: this.between(60, 90) });
  }
}
