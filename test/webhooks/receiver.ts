import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AttemptReport, WebhookDeliverer } from '../../src/webhooks/delivery';
import { waitFor } from '../store/helpers/wait';

/** A request as the receiver got it: raw body, headers in lower case. */
export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  method: string;
}

/** What the receiver does with the next request: answer with a status, or never answer. */
export type Behaviour = number | 'hang';

/**
 * A real HTTP server on a free port standing for a webhook receiver. It answers each request
 * with the next behaviour given (then `fallback`), and keeps what it received.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly server: http.Server;
  private readonly watchers = new Set<() => void>();
  url = '';

  private constructor(
    private readonly behaviours: Behaviour[],
    private readonly fallback: Behaviour,
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), method: req.method ?? '' });
        for (const watcher of [...this.watchers]) watcher();
        const behaviour = this.behaviours.shift() ?? this.fallback;
        if (behaviour === 'hang') return;
        res.writeHead(behaviour, { 'content-type': 'text/plain' }).end(`answer ${behaviour}`);
      });
    });
  }

  static async start(behaviours: Behaviour[] = [], fallback: Behaviour = 200): Promise<Receiver> {
    const receiver = new Receiver([...behaviours], fallback);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
    return receiver;
  }

  /** Resolves once `count` requests in all were received. */
  reach(count: number): Promise<void> {
    return waitFor(`${count} request(s) at the receiver, got ${this.received.length}`, (changed) => {
      this.watchers.add(changed);
      return () => this.watchers.delete(changed);
    }, () => this.received.length >= count);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Every attempt a deliverer reports, and a way to wait for the nth. */
export class Attempts {
  readonly reports: AttemptReport[] = [];
  private readonly watchers = new Set<() => void>();
  readonly stop: () => void;

  constructor(deliverer: WebhookDeliverer) {
    this.stop = deliverer.onAttempt((report) => {
      this.reports.push(report);
      for (const watcher of [...this.watchers]) watcher();
    });
  }

  /** Resolves with the reports once `count` attempts in all were recorded. */
  async reach(count: number): Promise<AttemptReport[]> {
    await waitFor(`${count} webhook attempt(s), got ${this.reports.length}`, (changed) => {
      this.watchers.add(changed);
      return () => this.watchers.delete(changed);
    }, () => this.reports.length >= count);
    return this.reports;
  }
}
