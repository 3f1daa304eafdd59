import type { Timers } from '../../src/scheduler/timers';

interface Pending {
  at: number;
  fn: () => void;
  id: number;
}

/** A clock tests can move: ManualClock, or OffsetClock when real time must pass too. */
export interface SettableClock {
  now(): number;
  set(ms: number): void;
}

/** Real time plus an offset that tests move forward, for tests that also talk to a live PBX. */
export class OffsetClock implements SettableClock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  set(ms: number): void {
    this.offset = ms - Date.now();
  }
}

/** Timers driven by a settable clock: advancing it fires what came due, in order. */
export class FakeTimers implements Timers {
  private pending: Pending[] = [];
  private nextId = 1;
  constructor(readonly clock: SettableClock) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const entry = { at: this.clock.now() + ms, fn, id: this.nextId++ };
    this.pending.push(entry);
    return entry.id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  /** How many timers are armed now. */
  get armed(): number {
    return this.pending.length;
  }

  /** The time the earliest armed timer fires, or null. */
  get nextAt(): number | null {
    return this.pending.length ? Math.min(...this.pending.map((p) => p.at)) : null;
  }

  /**
   * Moves the clock forward by `ms`, firing what comes due in order. After each timer `settle` is
   * awaited (the work the timer started, which may arm the next timer before `ms` is over).
   */
  async advance(ms: number, settle: () => Promise<void> = async () => undefined): Promise<void> {
    const until = this.clock.now() + ms;
    await settle();
    for (;;) {
      const due = this.pending.filter((p) => p.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.clock.set(Math.max(this.clock.now(), due.at));
      due.fn();
      await settle();
    }
    this.clock.set(until);
  }
}
