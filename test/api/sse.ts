import { OPERATOR } from './rig';

/** One server-sent event as a client reads it. */
export interface SseFrame {
  id: string | null;
  data: string | null;
  comments: string[];
  retry: number | null;
}

/**
 * A reader of /api/v1/events/stream over fetch, as an integration would write one: frames are
 * parsed as they arrive, and a test waits for what it needs to have arrived (no sleeps).
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  status = 0;
  private readonly abort = new AbortController();
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  private ended = false;
  private reading: Promise<void> = Promise.resolve();

  static async open(url: string, opts: { token?: string | null; lastEventId?: string } = {}): Promise<SseClient> {
    const client = new SseClient();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = opts.token === undefined ? OPERATOR : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    const res = await fetch(url, { headers, signal: client.abort.signal });
    client.status = res.status;
    client.contentType = res.headers.get('content-type');
    if (res.status !== 200 || !res.body) {
      client.refusal = await res.text();
      client.ended = true;
      return client;
    }
    client.reading = client.read(res.body);
    return client;
  }

  contentType: string | null = null;
  refusal = '';

  /** The events (frames with data), parsed. */
  get events(): Array<{ id: number; type: string; callbackId: string | null }> {
    return this.frames.filter((f) => f.data !== null).map((f) => JSON.parse(f.data as string));
  }

  get ids(): number[] {
    return this.frames.filter((f) => f.id !== null).map((f) => Number(f.id));
  }

  /** Resolves once `check` holds for what has arrived; rejects if the stream ends first. */
  until(check: () => boolean, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.ended) return Promise.reject(new Error(`the stream ended before ${what}`));
    return new Promise((resolve, reject) => {
      this.waiters.push({ check, resolve });
      void this.reading.then(() => {
        if (!check()) reject(new Error(`the stream ended before ${what}`));
      });
    });
  }

  /** The client goes away (a cut connection). */
  async cut(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let frame: SseFrame = { id: null, data: null, comments: [], retry: null };
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') {
            this.frames.push(frame);
            frame = { id: null, data: null, comments: [], retry: null };
            this.wake();
          } else if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) frame.id = line.slice(4);
          else if (line.startsWith('data: ')) frame.data = frame.data === null ? line.slice(6) : `${frame.data}\n${line.slice(6)}`;
          else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7));
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      this.ended = true;
    }
  }

  private wake(): void {
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) (waiter.check() ? waiter.resolve() : still.push(waiter));
    this.waiters = still;
  }
}
