import type { StoreWrite, StoreWriteListener } from '../domain/store';

/**
 * How long a store's writes take, told to whoever listens (metrics). Only writes that committed
 * are told; a listener that throws is reported as a warning, never as a failed write, since the
 * write has committed by then.
 */
export class WriteTimes {
  private readonly listeners = new Set<StoreWriteListener>();

  listen(listener: StoreWriteListener): () => void {
    const own: StoreWriteListener = (write) => listener(write);
    this.listeners.add(own);
    return () => {
      this.listeners.delete(own);
    };
  }

  /** A synchronous write (better-sqlite3 runs its transaction in the call). */
  time<T>(operation: StoreWrite['operation'], write: () => T): T {
    if (this.listeners.size === 0) return write();
    const start = process.hrtime.bigint();
    const result = write();
    this.tell(operation, start);
    return result;
  }

  async timeAsync<T>(operation: StoreWrite['operation'], write: () => Promise<T>): Promise<T> {
    if (this.listeners.size === 0) return write();
    const start = process.hrtime.bigint();
    const result = await write();
    this.tell(operation, start);
    return result;
  }

  private tell(operation: StoreWrite['operation'], start: bigint): void {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    for (const listener of [...this.listeners]) {
      try {
        listener({ operation, seconds });
      } catch (err) {
        process.emitWarning(`a store write listener failed: ${String((err as Error)?.stack ?? err)}`);
      }
    }
  }
}
