import type { Logger } from 'winston';
import type { Clock } from '../domain/clock';
import type { CallbackStore } from '../domain/store';
import type { Callback } from '../domain/types';
import { MAX_TIMER_MS, type Timers } from './timers';

export interface SchedulerOptions {
  store: Pick<CallbackStore, 'claimNextDue' | 'nextDueAt' | 'releaseClaim'>;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Identifies this process's claims. */
  owner: string;
  leaseMs: number;
  /** Free attempt slots now: all queues together, and the queues that are at their own limit. */
  capacity: () => { free: number; fullQueues: readonly string[] };
  /** Hands a claimed callback to the dialer. Must not throw; failures are the dialer's to record. */
  dispatch: (callback: Callback) => void;
  /** False while the PBX is unreachable: nothing is claimed then. */
  canDial: () => boolean;
}

/**
 * Wakes exactly when the next callback is due: one timer, armed for the earliest due time and
 * re-armed when that changes. There is no periodic scan; work arrives through `poke` (a slot
 * freed, the PBX came back) and `dueAt` (a callback became due at some time).
 */
export class Scheduler {
  private timer: unknown = null;
  private armedFor: number | null = null;
  private running = false;
  private draining = false;

  constructor(private readonly opts: SchedulerOptions) {}

  start(): void {
    this.running = true;
    this.poke();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /** When the armed time for the earliest due callback is, for status displays and tests. */
  get nextWake(): number | null {
    return this.armedFor;
  }

  /** A callback became due at `dueAt`; wake earlier if that is before the armed time. */
  dueAt(dueAt: number): void {
    if (!this.running) return;
    if (dueAt <= this.opts.clock.now()) this.poke();
    else if (this.armedFor === null || dueAt < this.armedFor) this.arm(dueAt);
  }

  /** Claim and dispatch everything due that fits the limits, then arm for the next due time. */
  poke(): void {
    if (!this.running || this.draining) return;
    this.draining = true;
    try {
      this.drain();
    } finally {
      this.draining = false;
    }
  }

  private drain(): void {
    const { store, clock, owner, leaseMs } = this.opts;
    if (!this.opts.canDial()) {
      // Nothing to do until the PBX is back; its reconnect pokes us.
      this.disarm();
      return;
    }
    let fullQueues: readonly string[];
    let claimedUpTo: number;
    for (;;) {
      const capacity = this.opts.capacity();
      if (capacity.free <= 0) {
        this.disarm(); // a finishing attempt pokes us
        return;
      }
      fullQueues = capacity.fullQueues;
      claimedUpTo = clock.now();
      const callback = store.claimNextDue(owner, claimedUpTo, leaseMs, fullQueues);
      if (!callback) break;
      this.opts.logger.debug('claimed due callback', { callbackId: callback.id, queue: callback.queue });
      this.opts.dispatch(callback);
    }
    // Queues at their limit are left out: a finishing attempt pokes us for them. Whatever else is
    // due came due after the claim's own reading of the clock, so the timer is armed for it
    // (even if that is already now): reading the clock again here and finding "due" would
    // otherwise look like "only full queues wait" and leave the timer disarmed.
    const next = store.nextDueAt(fullQueues);
    if (next === null) this.disarm();
    else this.arm(Math.max(next, claimedUpTo + 1));
  }

  private arm(at: number): void {
    this.disarm();
    const delay = Math.min(Math.max(0, at - this.opts.clock.now()), MAX_TIMER_MS);
    this.armedFor = at;
    this.timer = this.opts.timers.setTimeout(() => {
      this.timer = null;
      this.armedFor = null;
      this.poke();
    }, delay);
  }

  private disarm(): void {
    if (this.timer !== null) this.opts.timers.clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = null;
  }
}
