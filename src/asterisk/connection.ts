import WebSocket from 'ws';
import type { AriConfig } from '../config/types';
import { missingOperations, type AriClientLike } from './ari-rest';
import './swagger-guard';
import { reconnectDelay } from './backoff';
import { parseAriEvent, type AriEvent } from './events';
import { describeError, redactUrl, type AdapterLogger } from './logging';

// ari-client ships no type declarations; this is the one function used from its module.
const ariClient = require('ari-client') as { connect(url: string, user: string, password: string): PromiseLike<AriClientLike> };

export interface ConnectionHandlers {
  event(event: AriEvent): void;
  up(): void;
  down(): void;
}

export interface ConnectionTiming {
  /** Deadline for loading the API description and opening the event socket. */
  connectTimeoutMs: number;
  /** WebSocket ping period; a ping unanswered by the next one closes the socket. 0 = off. */
  heartbeatMs: number;
}

/**
 * Keeps one ARI connection alive forever. Each attempt builds a fresh ari-client (which downloads
 * the swagger description and so proves the REST side works) and opens the event WebSocket, which
 * registers the Stasis application. Between failed attempts it waits with backoff between the
 * configured delays; it never gives up.
 *
 * Events are read from our own WebSocket rather than ari-client's `start()`: that one parses
 * messages inside the socket's data handler, where an event type missing from the swagger models
 * or a malformed frame throws and takes the process down; it also reconnects on its own (and stops
 * after ten tries), racing any reconnect of ours, and puts the password in the socket URL.
 */
export class AriConnection {
  private client: AriClientLike | null = null;
  private socket: WebSocket | null = null;
  private connected = false;
  private stopped = true;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly safeUrl: string;

  constructor(
    private readonly config: AriConfig,
    private readonly log: AdapterLogger,
    private readonly handlers: ConnectionHandlers,
    private readonly timing: ConnectionTiming,
  ) {
    this.safeUrl = redactUrl(config.url);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  /** Closes the socket and stops reconnecting. Channels on Asterisk are not touched. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.dropSocket();
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const done = setTimeout(() => {
          socket.terminate();
          resolve();
        }, 1000);
        socket.once('close', () => {
          clearTimeout(done);
          resolve();
        });
        socket.close();
      });
    }
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** The REST client, only while connected: requests made while down fail at once. */
  currentClient(): AriClientLike | null {
    return this.connected ? this.client : null;
  }

  /** One attempt; attempt() handles its own failures, and this backstop keeps "forever" true. */
  private run(): void {
    this.attempt().catch((err: unknown) => {
      this.log.error('ARI connection attempt failed unexpectedly', { error: describeError(err) });
      this.schedule(this.config.reconnectMaxMs);
    });
  }

  private async attempt(): Promise<void> {
    this.retryTimer = null;
    if (this.stopped) return;
    try {
      await this.probe();
      const client = await withDeadline(
        ariClient.connect(this.config.url, this.config.user, this.config.password),
        this.timing.connectTimeoutMs,
        'loading the ARI description',
      );
      if (this.stopped) return;
      const missing = missingOperations(client);
      if (missing.length > 0) throw new Error(`the ARI description lacks ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''}`);
      this.client = client;
      await this.openEvents();
    } catch (err) {
      if (this.stopped) return;
      this.client = null;
      const delay = reconnectDelay(this.failures, this.config.reconnectMinMs, this.config.reconnectMaxMs);
      this.failures += 1;
      this.log.warn('ARI connection attempt failed', { url: this.safeUrl, error: describeError(err), retryInMs: delay, failures: this.failures });
      this.schedule(delay);
    }
  }

  /**
   * Ask for the API description ourselves first: a refused password or an Asterisk without ARI
   * gets a clear message (and ari-client is only asked to load what is known to be there).
   */
  private async probe(): Promise<void> {
    const base = new URL(this.config.url);
    const res = await fetch(`${base.origin}/ari/api-docs/resources.json`, {
      headers: { Authorization: this.authorization(), Accept: 'application/json' },
      signal: AbortSignal.timeout(this.timing.connectTimeoutMs),
    });
    const body = await res.text().catch(() => '');
    if (res.status === 401 || res.status === 403) throw new Error(`ARI refused user "${this.config.user}" (HTTP ${res.status})`);
    if (!res.ok) throw new Error(`ARI description not available (HTTP ${res.status})`);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new Error(`ARI description is not JSON (${body.length} characters)`);
    }
    const apis = (doc as { apis?: unknown } | null)?.apis;
    if (!Array.isArray(apis) || !apis.every((api) => typeof (api as { path?: unknown } | null)?.path === 'string')) {
      throw new Error('ARI description has no list of APIs with paths');
    }
  }

  private authorization(): string {
    return `Basic ${Buffer.from(`${this.config.user}:${this.config.password}`).toString('base64')}`;
  }

  private schedule(delay: number): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => this.run(), delay);
  }

  private openEvents(): Promise<void> {
    const base = new URL(this.config.url);
    const scheme = base.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${base.host}/ari/events?app=${encodeURIComponent(this.config.app)}`;
    const socket = new WebSocket(url, { headers: { Authorization: this.authorization() }, handshakeTimeout: this.timing.connectTimeoutMs });

    return new Promise<void>((resolve, reject) => {
      let opened = false;
      socket.on('open', () => {
        opened = true;
        if (this.stopped) {
          socket.close();
          reject(new Error('stopped'));
          return;
        }
        // Flip state synchronously: the first events can follow the upgrade in the same tick.
        this.socket = socket;
        this.connected = true;
        this.failures = 0;
        this.startHeartbeat(socket);
        this.log.info('connected to ARI', { url: this.safeUrl, app: this.config.app });
        resolve();
        this.safely('connection up', () => this.handlers.up());
      });
      socket.on('message', (data: WebSocket.RawData) => this.receive(data));
      socket.on('unexpected-response', (_req, res) => {
        socket.terminate();
        reject(new Error(`event socket refused with HTTP ${res.statusCode ?? '?'}`));
      });
      socket.on('error', (err: Error) => {
        if (!opened) reject(err);
        else this.log.warn('ARI event socket error', { error: describeError(err) });
      });
      socket.on('close', () => {
        if (!opened) {
          reject(new Error('event socket closed before opening'));
          return;
        }
        if (this.socket === socket) this.lost();
      });
    });
  }

  private receive(data: WebSocket.RawData): void {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseAriEvent(text);
    if ('skipped' in parsed) {
      // Types we do not act on are ordinary (PlaybackStarted's siblings, bridge events); broken frames are not.
      if (parsed.skipped === 'not used') this.log.debug('ARI event ignored', { type: parsed.type });
      else this.log.warn('ARI event skipped', { reason: parsed.skipped, type: parsed.type, length: text.length });
      return;
    }
    // The event goes on with the fields that made sense; say once which did not, briefly.
    if (parsed.notes.length > 0) this.log.warn('ARI event fields cut to size', { type: parsed.event.type, fields: parsed.notes.slice(0, 8), length: text.length });
    this.safely(`event ${parsed.event.type}`, () => this.handlers.event(parsed.event));
  }

  private lost(): void {
    this.dropSocket();
    if (this.stopped) return;
    const delay = reconnectDelay(0, this.config.reconnectMinMs, this.config.reconnectMaxMs);
    this.failures = 1;
    this.log.warn('ARI connection lost', { url: this.safeUrl, retryInMs: delay });
    this.safely('connection down', () => this.handlers.down());
    this.schedule(delay);
  }

  private dropSocket(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.socket = null;
    this.client = null;
    this.connected = false;
  }

  private startHeartbeat(socket: WebSocket): void {
    if (this.timing.heartbeatMs <= 0) return;
    let answered = true;
    socket.on('pong', () => {
      answered = true;
    });
    this.heartbeat = setInterval(() => {
      if (!answered) {
        this.log.warn('ARI event socket stopped answering pings', { url: this.safeUrl });
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, this.timing.heartbeatMs);
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('ARI handler failed', { what, error: describeError(err) });
    }
  }
}

function withDeadline<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(describeError(err)));
      },
    );
  });
}
