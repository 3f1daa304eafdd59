import type { Clock } from '../domain/clock';
import type { Timers } from '../scheduler/timers';

/**
 * Demo time. At factor 1 it is wall-clock time; at factor N everything (the daemon's clock and
 * scheduler, the simulated Asterisk, callers and agents) runs N times faster, so a test sees a
 * two-minute demo, one-minute retries included, in a fraction of that.
 */
export interface Timescale {
  readonly factor: number;
  /** The daemon's clock: epoch ms of demo time. */
  readonly clock: Clock;
  /** The scheduler's timers: a wait of N demo ms takes N / factor real ms. */
  readonly timers: Timers;
  /** Real milliseconds for `demoMs` of demo time. */
  real(demoMs: number): number;
  /** Demo seconds since the start. */
  elapsedSeconds(): number;
  /** Run `fn` after `demoSeconds` of demo time; the timer does not keep the process alive past stop(). */
  after(demoSeconds: number, fn: () => void): NodeJS.Timeout;
}

export function timescale(factor = 1, start = Date.now()): Timescale {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new Error(`timescale must be a positive number, not ${factor}`);
  const clock: Clock = { now: () => start + Math.round((Date.now() - start) * factor) };
  const real = (demoMs: number) => Math.max(0, Math.round(demoMs / factor));
  return {
    factor,
    clock,
    timers: {
      setTimeout: (fn, ms) => {
        const handle = setTimeout(fn, real(ms));
        handle.unref?.();
        return handle;
      },
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    },
    real,
    elapsedSeconds: () => ((Date.now() - start) * factor) / 1000,
    after: (demoSeconds, fn) => setTimeout(fn, real(demoSeconds * 1000)),
  };
}

/** A small seeded generator (mulberry32), so a run can be repeated exactly in a test. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
