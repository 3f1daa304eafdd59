import type { Daemon } from '../../src/daemon';

/**
 * Resolves with `check`'s value once it is truthy, polling every `everyMs` (for state reached
 * asynchronously: over a wire, in another process); the error names what was awaited.
 */
export async function until<T>(check: () => T | Promise<T>, what: string | (() => string | Promise<string>), timeoutMs = 10_000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : await what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Resolves once the daemon has nothing left in flight: what it started has finished (Daemon.settled),
 * and the store's news of the writes made meanwhile ("work may have arrived", delivered on a later
 * turn of the event loop) was heard and what it started has finished too. Only then may a test
 * assert that something did not happen.
 */
export async function idle(daemon: Daemon): Promise<void> {
  let heard = false;
  // Listeners hear in the order they joined: when this one hears, the daemon's has already acted.
  const stop = await daemon.store.onWork(() => {
    heard = true;
  });
  try {
    do {
      heard = false;
      await daemon.settled();
      await new Promise<void>((resolve) => setImmediate(resolve));
    } while (heard);
  } finally {
    stop();
  }
}
