import { WakeSocket, sendWake } from './wake-socket';

/**
 * "Work may have arrived", for a SQLite file. Listeners are the daemon's, in its own process; a
 * writer with listeners of its own (the daemon) calls them, one without (a CLI command) tells the
 * daemon through its wake socket.
 */
export class WorkSignal {
  private readonly listeners = new Set<() => void>();
  private socket: WakeSocket | null = null;
  /** The socket being opened or closed, so a listener added meanwhile waits for it instead of racing it. */
  private changing: Promise<void> = Promise.resolve();
  private dispatchQueued = false;

  /** `socketPath` null: an in-memory database, which no other process can write. */
  constructor(private readonly socketPath: string | null) {}

  async listen(listener: () => void): Promise<() => void> {
    this.listeners.add(listener);
    try {
      await this.openSocket();
    } catch (err) {
      this.listeners.delete(listener);
      throw err;
    }
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) void this.closeSocket();
    };
  }

  /** Resolves once the news is out: listeners queued (they run after the caller's transaction), or the line written to the daemon. */
  async announce(): Promise<void> {
    if (this.listeners.size > 0) this.dispatch();
    else if (this.socketPath) await sendWake(this.socketPath);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.closeSocket();
  }

  /** Several announcements before the listeners run are one call each: they only mean "look again". */
  private dispatch(): void {
    if (this.dispatchQueued) return;
    this.dispatchQueued = true;
    setImmediate(() => {
      this.dispatchQueued = false;
      for (const listener of [...this.listeners]) {
        try {
          listener();
        } catch (err) {
          // One listener's bug must not keep the others from hearing, nor fail the write that announced.
          process.emitWarning(`a work listener failed: ${String((err as Error)?.stack ?? err)}`);
        }
      }
    });
  }

  private openSocket(): Promise<void> {
    const path = this.socketPath;
    this.changing = this.changing.catch(() => undefined).then(async () => {
      if (!path || this.socket || this.listeners.size === 0) return;
      const socket = new WakeSocket(path, () => this.dispatch());
      await socket.listen();
      this.socket = socket;
    });
    return this.changing;
  }

  private closeSocket(): Promise<void> {
    this.changing = this.changing.catch(() => undefined).then(async () => {
      if (!this.socket || this.listeners.size > 0) return;
      const socket = this.socket;
      this.socket = null;
      await socket.close();
    });
    return this.changing;
  }
}
