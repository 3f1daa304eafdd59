/**
 * Work on one key (a callback, a call) runs one piece at a time, in the order it was asked for;
 * different keys run side by side. With an asynchronous store, two PBX events for the same
 * callback could otherwise both read it before either writes, and one of them would be lost to
 * the optimistic check. The order is fixed when `run` is called, not when the work starts.
 */
export class Lanes {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T> | T): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests and status). */
  get busy(): number {
    return this.tails.size;
  }
}
