import type { Logger } from 'winston';
import type { Clock } from '../domain/clock';
import type { CallbackStore } from '../domain/store';
import type { Callback } from '../domain/types';
import { MAX_TIMER_MS, type Timers } from './timers';

export interface SchedulerOptions {
  store: Pick<CallbackStore, 'claimNextDue' | 'nextDueAt'>;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Identifies this process's claims. */
  owner: string;
  /** The PBX whose callbacks it claims. */
  pbx: string;
  leaseMs: number;
  /** Attempt slots of the PBX (counted in the store, across every daemon that serves it). */
  maxConcurrent: number;
  queueLimits: Readonly<Record<string, number>>;
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
  private draining: Promise<void> | null = null;
  /** A poke arrived while draining: drain once more when this one is done. */
  private again = false;

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
    // A drain in progress arms for what it read before this change: it must read again.
    if (dueAt <= this.opts.clock.now() || this.draining) this.poke();
    else if (this.armedFor === null || dueAt < this.armedFor) this.arm(dueAt);
  }

  /** Claim and dispatch everything due that fits the limits, then arm for the next due time. */
  poke(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && this.running);
      } catch (err) {
        // The store could not be read (a database restart): the next poke or sweep tries again.
        this.opts.logger.error('could not claim due callbacks', { error: String(err) });
      } finally {
        this.draining = null;
      }
    })();
  }

  /** Resolves once the drain in progress (if any) is over: for tests and an orderly stop. */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    const { store, clock, owner, pbx, leaseMs, maxConcurrent, queueLimits } = this.opts;
    if (!this.opts.canDial()) {
      // Nothing to do until the PBX is back; its reconnect pokes us.
      this.disarm();
      return;
    }
    let fullQueues: readonly string[];
    let claimedUpTo: number;
    for (;;) {
      if (!this.running) return;
      claimedUpTo = clock.now();
      const claim = await store.claimNextDue({ owner, pbx, now: claimedUpTo, leaseMs, maxConcurrent, queueLimits });
      if (claim.free <= 0) {
        this.disarm(); // a finishing attempt pokes us (or, of another daemon, its store notification)
        return;
      }
      fullQueues = claim.fullQueues;
      const callback = claim.callback;
      if (!callback) break;
      this.opts.logger.debug('claimed due callback', { callbackId: callback.id, queue: callback.queue });
      this.opts.dispatch(callback);
    }
    // Queues at their limit are left out: a finishing attempt pokes us for them. Whatever else is
    // due came due after the claim's own reading of the clock, so the timer is armed for it
    // (even if that is already now): reading the clock again here and finding "due" would
    // otherwise look like "only full queues wait" and leave the timer disarmed.
    const next = await store.nextDueAt(pbx, fullQueues);
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
