import type { AriSimulator, SimCall } from '../asterisk/simulator';

/** How synthetic callers behave; fractions of arrivals, the rest wait patiently. */
export interface TrafficMix {
  /** Mean seconds between arrivals. */
  arrivalSeconds: number;
  pressOne: number;
  callbackNode: number;
  /** Of the abandoned callers, how many call again later (they make their callback Neglected). */
  callAgain: number;
  /** Seconds a patient caller waits before hanging up (uniform between these). */
  patience: [number, number];
  /** Outbound: fractions of callbacks that meet a busy line or no answer. */
  busy: number;
  noAnswer: number;
}

export const DEFAULT_MIX: TrafficMix = {
  arrivalSeconds: 4,
  pressOne: 0.25,
  callbackNode: 0.1,
  callAgain: 0.3,
  patience: [8, 40],
  busy: 0.12,
  noAnswer: 0.08,
};

export interface TrafficStats {
  arrived: number;
  pressedOne: number;
  callbackNode: number;
  abandoned: number;
  calledAgain: number;
}

const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

/**
 * Synthetic callers for the demo: they arrive at random, some wait until served, some give up,
 * some press 1 to keep their place, some book a callback in the IVR; a few who gave up call again.
 */
export class Traffic {
  readonly stats: TrafficStats = { arrived: 0, pressedOne: 0, callbackNode: 0, abandoned: 0, calledAgain: 0 };
  private timer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;

  constructor(
    private readonly sim: AriSimulator,
    private readonly queue: string,
    private readonly mix: TrafficMix = DEFAULT_MIX,
  ) {}

  start(): void {
    const next = () => {
      this.timer = setTimeout(() => {
        this.arrive();
        next();
      }, between(0.3, 1.7) * this.mix.arrivalSeconds * 1000);
    };
    next();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(seconds: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, seconds * 1000);
    this.timers.add(t);
  }

  private newNumber(): string {
    this.seq++;
    const number = `+42060${String(1_000_000 + Math.floor(Math.random() * 8_999_999))}`;
    const roll = Math.random();
    if (roll < this.mix.busy) this.sim.scriptDestination(number, { outcome: 'busy', afterMs: 1500, times: 1 });
    else if (roll < this.mix.busy + this.mix.noAnswer) this.sim.scriptDestination(number, { outcome: 'noanswer', times: 1 });
    return number;
  }

  private arrive(number = this.newNumber(), again = false): void {
    this.stats.arrived++;
    if (again) this.stats.calledAgain++;
    const roll = Math.random();
    if (!again && roll < this.mix.callbackNode) return this.bookInIvr(number);
    const call = this.sim.callIntoQueue({ number, queue: this.queue, form: { ACCOUNT: String(10000 + this.seq) } });
    if (!again && roll < this.mix.callbackNode + this.mix.pressOne) {
      this.later(between(3, 10), () => {
        if (call.gone || call.servedBy) return;
        this.stats.pressedOne++;
        void call.pressDigits('1');
        this.confirmInIvr(call);
      });
      return;
    }
    this.later(between(...this.mix.patience), () => {
      if (call.gone || call.servedBy) return;
      this.stats.abandoned++;
      call.hangup();
      if (Math.random() < this.mix.callAgain) this.later(between(10, 30), () => this.arrive(number, true));
    });
  }

  private bookInIvr(number: string): void {
    this.stats.callbackNode++;
    const call = this.sim.callIntoCallbackNode({ number, queue: this.queue, delayMinutes: 1 });
    this.confirmInIvr(call);
  }

  /** Barge-in: the caller confirms the number as soon as the node starts talking. */
  private confirmInIvr(call: SimCall): void {
    call.once('stasis', () => this.later(0.5, () => void call.pressDigits('1')));
  }
}
