import type { CallbackStore } from '../../../src/domain/store';

/**
 * Resolves when `condition` holds after one of the events `subscribe` reports (checked at once
 * too); rejects after `timeoutMs`, naming what never happened. Waits on events, never on sleeps.
 */
export function waitFor(what: string, subscribe: (changed: () => void) => () => void, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    let unsubscribe: () => void = () => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const check = () => {
      if (!condition()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    unsubscribe = subscribe(check);
    check();
  });
}

/** A store's work listener that counts what it heard, and when. */
export class WorkHeard {
  count = 0;
  /** performance.now() of each wake. */
  readonly times: number[] = [];
  private readonly watchers = new Set<() => void>();
  private stop: () => void = () => undefined;

  static async on(store: CallbackStore): Promise<WorkHeard> {
    const heard = new WorkHeard();
    heard.stop = await store.onWork(() => {
      heard.count += 1;
      heard.times.push(performance.now());
      for (const watcher of [...heard.watchers]) watcher();
    });
    return heard;
  }

  /** Resolves once `count` wakes in all were heard. */
  reach(count: number, timeoutMs = 5000): Promise<void> {
    return waitFor(`${count} work announcement(s), heard ${this.count}`, (changed) => {
      this.watchers.add(changed);
      return () => this.watchers.delete(changed);
    }, () => this.count >= count, timeoutMs);
  }

  /** Resolves at the next wake after now. */
  next(timeoutMs = 5000): Promise<void> {
    return this.reach(this.count + 1, timeoutMs);
  }

  unsubscribe(): void {
    this.stop();
  }
}
