import pg from 'pg';
import { STORE_TYPES, WORK_CHANNEL } from './connection';

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;

/** How the listening connection shows in pg_stat_activity, beside the pool's 'callbackd'. */
export const LISTENER_NAME = 'callbackd work listener';

/**
 * Listens on the work channel over one dedicated connection (a pooled one would be handed to
 * other queries, and LISTEN belongs to a session). When the connection is lost it reconnects for
 * as long as anyone listens, backing off from 100 ms to 5 s, and after listening again tells every
 * listener once: notifications sent while it was away are lost, so they must look for themselves.
 */
export class WorkNotifications {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  private closed = false;

  constructor(private readonly url: string) {}

  /** Resolves once the channel is listened to, so a notification committed after it is heard. */
  async add(listener: () => void): Promise<() => void> {
    if (this.closed) throw new Error('the PostgreSQL store is closed');
    this.listeners.add(listener);
    try {
      if (!this.client) await (this.connecting ??= this.listen());
    } catch (err) {
      this.listeners.delete(listener);
      throw err;
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, types: STORE_TYPES, keepAlive: true, application_name: LISTENER_NAME });
    // Until the client is ours, its errors are the connect's (thrown below), not a lost connection.
    client.on('error', () => {});
    try {
      await client.connect();
      // LISTEN takes no parameters; the channel is our constant, not a value.
      await client.query(`LISTEN ${WORK_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    } finally {
      this.connecting = null;
    }
    // Nobody listens any more, or another connect (a listener added during a reconnect) won.
    if (this.closed || this.listeners.size === 0 || this.client) {
      client.end().catch(() => {});
      return;
    }
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === WORK_CHANNEL) this.tell();
    });
    let lost = false;
    const onLost = () => {
      if (lost || this.client !== client) return;
      lost = true;
      this.client = null;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', onLost);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.listeners.size === 0 || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const listening = this.client ? Promise.resolve() : (this.connecting ??= this.listen());
      listening.then(
        () => {
          if (!this.client) return;
          this.retryMs = FIRST_RETRY_MS;
          this.tell();
        },
        () => this.scheduleReconnect(),
      );
    }, delay);
    // A reconnect must not keep a process alive that has nothing else to do.
    this.retryTimer.unref();
  }

  private stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryMs = FIRST_RETRY_MS;
    const client = this.client;
    this.client = null;
    client?.end().catch(() => {});
  }

  private tell(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One listener's failure must not keep the others from hearing of work.
      }
    }
  }
}
