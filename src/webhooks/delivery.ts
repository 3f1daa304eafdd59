import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import { DEFAULT_WEBHOOK } from '../config/defaults';
import type { WebhookConfig } from '../config/types';
import type { Clock } from '../domain/clock';
import { ConflictError, InvalidRequestError, NotFoundError } from '../domain/errors';
import type { CallbackStore, DeliveryPolicy, NewDelivery, NewDeliveryAttempt, WebhookDelivery } from '../domain/store';
import { MAX_TIMER_MS, realTimers, type Timers } from '../scheduler/timers';
import { afterFailure } from './backoff';
import { type Fetch, type SendResult, sendDelivery } from './send';

/** What a trigger hands over: one event for one webhook. */
export interface DeliveryInput {
  /**
   * The delivery's id (sent as Callbackd-Delivery), for a caller that must enqueue an event at most
   * once however often it is asked: a delivery already kept under it is left as it is. Printable
   * ASCII, at most 200. Default: a new UUID.
   */
  id?: string;
  /** The webhook's name; a configured webhook of that name lends its retry policy (the defaults otherwise). */
  webhook: string;
  /** http:// or https://. */
  url: string;
  /** Signs each attempt (Callbackd-Signature); absent or empty: unsigned. */
  secret?: string | null;
  /** Sent as Callbackd-Event, e.g. callback.answered. */
  event: string;
  /** Sent as the JSON body, the same at every attempt. */
  payload: object;
  /** Changes to the policy for this delivery alone. */
  policy?: Partial<DeliveryPolicy>;
}

/** What the deliverer needs of the store. */
export type DeliveryStore = Pick<
  CallbackStore,
  'addDelivery' | 'claimDueDeliveries' | 'nextDeliveryAt' | 'recordDeliveryAttempt' | 'replayDelivery' | 'getDelivery' | 'releaseDeliveryClaims'
>;

export interface DelivererOptions {
  store: DeliveryStore;
  clock: Clock;
  logger: Logger;
  /** Identifies this daemon's claims: its stable owner (as in its seat), so a restart takes its own back at once. */
  owner: string;
  /** config.webhooks: enqueueTo finds them by name, and a delivery to one takes its policy. */
  webhooks?: readonly WebhookConfig[];
  /** Default: real timers, unref'd (they never keep the process alive). */
  timers?: Timers;
  /** Look for work at least this often (deliveries other processes wrote, leases of a crashed daemon); default 30 s. */
  pollMs?: number;
  /** Deliveries claimed and sent at once; default 8. */
  batch?: number;
  /** How long a claim holds; default twice the longest timeout, at least a minute. */
  leaseMs?: number;
  /** Jitter of the retry delays, [0, 1); default Math.random. */
  random?: () => number;
  fetch?: Fetch;
}

export type AttemptResult = 'delivered' | 'retry' | 'dead';

/** One attempt, as onAttempt tells it (metrics, tests). */
export interface AttemptReport {
  /** The delivery as it was claimed, before this attempt. */
  delivery: WebhookDelivery;
  attempt: NewDeliveryAttempt;
  result: AttemptResult;
  /** When it is attempted next (result retry); null otherwise. */
  dueAt: number | null;
  /** False when the claim ran out before the attempt was recorded (another daemon took the delivery). */
  recorded: boolean;
}

export type AttemptListener = (report: AttemptReport) => void;

const DEFAULT_POLL_MS = 30_000;
const DEFAULT_BATCH = 8;
const MIN_LEASE_MS = 60_000;
/** The schema's ceiling for timeoutMs: a policy given in code is held to it too, so the lease always outlasts an attempt. */
const MAX_TIMEOUT_MS = 120_000;
/** What Callbackd-Event may carry: a header value, and a word a receiver can switch on. */
const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** A delivery id travels as a header value and a path segment of the API. */
const DELIVERY_ID = /^[\x21-\x7E]{1,200}$/;

/** The policy a configured webhook gives its deliveries (the defaults' for a name not configured), with `override` on top. */
export function policyOf(webhook: WebhookConfig | undefined, override: Partial<DeliveryPolicy> = {}): DeliveryPolicy {
  const w = webhook ?? DEFAULT_WEBHOOK;
  const policy: DeliveryPolicy = {
    timeoutMs: w.timeoutMs,
    maxAttempts: w.maxAttempts,
    firstDelaySeconds: w.retry.firstDelaySeconds,
    factor: w.retry.factor,
    maxDelaySeconds: w.retry.maxDelaySeconds,
    ...override,
  };
  const whole = (n: number, min: number) => Number.isFinite(n) && n >= min;
  if (!whole(policy.timeoutMs, 1) || policy.timeoutMs > MAX_TIMEOUT_MS) throw new InvalidRequestError(`timeoutMs must be 1 to ${MAX_TIMEOUT_MS}`);
  if (!whole(policy.maxAttempts, 1) || !whole(policy.firstDelaySeconds, 0) || !whole(policy.factor, 1) || !whole(policy.maxDelaySeconds, 0)) {
    throw new InvalidRequestError('a webhook policy needs maxAttempts ≥ 1, factor ≥ 1 and delays ≥ 0');
  }
  return policy;
}

/** The row a delivery starts as: checked, its body fixed as JSON text. Throws InvalidRequestError. */
export function newDelivery(input: DeliveryInput, policy: DeliveryPolicy, at: number): NewDelivery {
  const id = input.id ?? randomUUID();
  if (typeof id !== 'string' || !DELIVERY_ID.test(id) || id.includes('/')) throw new InvalidRequestError(`delivery id "${String(id)}" must be printable ASCII without / (at most 200 characters)`);
  if (typeof input.webhook !== 'string' || input.webhook === '') throw new InvalidRequestError('a delivery needs its webhook name');
  if (typeof input.event !== 'string' || !EVENT_NAME.test(input.event)) throw new InvalidRequestError(`event "${String(input.event)}" is not an event name (letters, digits, . _ : -; at most 100)`);
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new InvalidRequestError(`webhook ${input.webhook}: the URL is not one`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidRequestError(`webhook ${input.webhook}: the URL must be http:// or https://`);
  const body = JSON.stringify(input.payload);
  if (typeof body !== 'string') throw new InvalidRequestError('the payload must be an object JSON can carry');
  return { id, webhook: input.webhook, url: input.url, secret: input.secret ? input.secret : null, event: input.event, body, policy, createdAt: at, dueAt: at };
}

/** A delivered or dead delivery pending again from `now`, in a new round of attempts. Throws NotFoundError, or ConflictError while it is pending. */
export async function replayDelivery(store: Pick<CallbackStore, 'replayDelivery' | 'getDelivery'>, id: string, now: number): Promise<WebhookDelivery> {
  const replayed = await store.replayDelivery(id, now);
  if (replayed) return replayed;
  const found = await store.getDelivery(id);
  if (!found) throw new NotFoundError(`webhook delivery ${id}`, 'see GET /api/v1/webhooks/deliveries');
  throw new ConflictError(`webhook delivery ${id} is still pending (${found.attempts} of ${found.policy.maxAttempts} attempts made): only a delivered or dead delivery can be replayed`);
}

/**
 * Sends webhook deliveries, durably and at least once. enqueue writes the delivery to the store
 * first, then the worker attempts it; a failed attempt (no 2xx, no answer in time) is retried
 * with exponential backoff and jitter, and after the last one the delivery is dead, kept with its
 * last status and error until someone replays it. Deliveries are claimed in the store with a
 * lease, so daemons sharing a database never send one together and a crashed daemon's are taken
 * up once its lease runs out (its own at once, when it restarts). Receivers de-duplicate on the
 * delivery id (Callbackd-Delivery): a daemon killed between the answer and its record sends again.
 *
 * One timer, armed for the next due delivery (and at most pollMs away); nothing here throws into
 * a caller: failures are logged.
 */
export class WebhookDeliverer {
  private readonly timers: Timers;
  private readonly pollMs: number;
  private readonly batch: number;
  private readonly leaseMs: number;
  private readonly random: () => number;
  private readonly byName: ReadonlyMap<string, WebhookConfig>;
  private readonly listeners = new Set<AttemptListener>();
  private timer: unknown = null;
  private armedFor: number | null = null;
  private running = false;
  private draining: Promise<void> | null = null;
  private again = false;

  constructor(private readonly opts: DelivererOptions) {
    this.timers = opts.timers ?? realTimers;
    this.pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    this.batch = opts.batch ?? DEFAULT_BATCH;
    this.random = opts.random ?? Math.random;
    this.byName = new Map((opts.webhooks ?? []).map((w) => [w.name, w]));
    const longest = Math.max(DEFAULT_WEBHOOK.timeoutMs, ...[...this.byName.values()].map((w) => w.timeoutMs));
    this.leaseMs = opts.leaseMs ?? Math.max(MIN_LEASE_MS, 2 * Math.min(longest, MAX_TIMEOUT_MS));
  }

  /** The configured webhooks' names (metrics start a series for each). */
  get webhookNames(): string[] {
    return [...this.byName.keys()];
  }

  /** When the timer is armed for, for status displays and tests. */
  get nextWake(): number | null {
    return this.armedFor;
  }

  /** Take back this owner's claims of a previous run, then send whatever is due (deliveries from before a restart included). */
  async start(): Promise<void> {
    try {
      const freed = await this.opts.store.releaseDeliveryClaims(this.opts.owner);
      if (freed > 0) this.opts.logger.info(`took back ${freed} webhook delivery(ies) this daemon was sending when it stopped`);
    } catch (err) {
      // Its lease runs out on its own: they are sent late, not lost.
      this.opts.logger.warn('could not take back webhook deliveries claimed before a restart', { error: String(err) });
    }
    this.running = true;
    this.poke();
  }

  /** Stop waking; resolves once the attempts under way are recorded (each is bounded by its timeout). */
  async stop(): Promise<void> {
    this.running = false;
    this.disarm();
    await this.settled();
  }

  /**
   * Keep a delivery of `input.event` to `input.webhook`, due at `at` (default now), then attempt it.
   * Resolves once it is written (not sent), with the delivery; null, and an error logged, when it
   * could not be written or the input is not one. Never rejects.
   */
  async enqueue(input: DeliveryInput, at: number = this.opts.clock.now()): Promise<WebhookDelivery | null> {
    try {
      const delivery = await this.opts.store.addDelivery(newDelivery(input, policyOf(this.byName.get(input.webhook), input.policy), at));
      this.opts.logger.debug(`webhook ${delivery.webhook}: delivery of ${delivery.event} enqueued`, this.ids(delivery));
      this.poke();
      return delivery;
    } catch (err) {
      this.opts.logger.error(`webhook ${String(input?.webhook)}: could not enqueue ${String(input?.event)}; it will not be sent`, { webhook: input?.webhook, event: input?.event, error: String(err) });
      return null;
    }
  }

  /** enqueue to the configured webhook `name`, with its URL and secret (and `id`, if given). Null (logged) when no webhook has that name. */
  async enqueueTo(name: string, event: string, payload: object, at?: number, id?: string): Promise<WebhookDelivery | null> {
    const webhook = this.byName.get(name);
    if (!webhook) {
      this.opts.logger.error(`no webhook named "${name}" is configured (webhooks[].name); ${event} is not sent`, { webhook: name, event });
      return null;
    }
    return this.enqueue({ id, webhook: name, url: webhook.url, secret: webhook.secret, event, payload }, at);
  }

  /** A delivered or dead delivery pending again now, with a new round of attempts. Throws NotFoundError, or ConflictError while it is pending. */
  async replay(id: string): Promise<WebhookDelivery> {
    const delivery = await replayDelivery(this.opts.store, id, this.opts.clock.now());
    this.opts.logger.info(`webhook ${delivery.webhook}: delivery -[replay]-> pending (round ${delivery.round})`, this.ids(delivery));
    this.poke();
    return delivery;
  }

  /** Hear every attempt as it is recorded. Returns a function that stops it. */
  onAttempt(listener: AttemptListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Something may be due now (a delivery written by someone else in this process): send what is. */
  poke(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && this.running);
      } catch (err) {
        // The store could not be read (a database restart): try again at the next poll.
        this.opts.logger.error('could not claim due webhook deliveries; trying again later', { error: String(err) });
        this.arm(this.opts.clock.now() + this.pollMs);
      } finally {
        this.draining = null;
      }
    })();
  }

  /** Resolves once the drain under way (if any) is over: for tests and an orderly stop. */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    const { store, clock, owner } = this.opts;
    let claimedAt = clock.now();
    for (;;) {
      if (!this.running) return;
      claimedAt = clock.now();
      const claimed = await store.claimDueDeliveries({ owner, now: claimedAt, leaseMs: this.leaseMs, limit: this.batch });
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    }
    if (!this.running) return;
    const next = await store.nextDeliveryAt();
    const poll = claimedAt + this.pollMs;
    // Whatever is due came due after the claim read the clock: armed for it, even if that is now.
    this.arm(next === null ? poll : Math.min(poll, Math.max(next, claimedAt + 1)));
  }

  /** One attempt of a claimed delivery, recorded with what follows it. Never throws. */
  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const { store, clock, owner, logger } = this.opts;
    try {
      const at = clock.now();
      // Elapsed time of the request itself, not a time of day: measured on the monotonic clock.
      const started = performance.now();
      const sent = await sendDelivery(delivery, at, this.opts.fetch);
      const durationMs = Math.round(performance.now() - started);
      const seq = delivery.attempts + 1;
      const next = sent.ok ? ({ status: 'delivered' } as const) : afterFailure(seq, delivery.policy, clock.now(), this.random);
      const attempt: NewDeliveryAttempt = { deliveryId: delivery.id, at, durationMs, statusCode: sent.statusCode, error: sent.error };
      const recorded = await store.recordDeliveryAttempt(owner, attempt, next);
      const result: AttemptResult = next.status === 'delivered' ? 'delivered' : next.status === 'dead' ? 'dead' : 'retry';
      const dueAt = next.status === 'pending' ? next.dueAt : null;
      this.log(delivery, seq, sent, result, dueAt, recorded);
      this.tell({ delivery, attempt, result, dueAt, recorded });
    } catch (err) {
      // Not recorded: the claim runs out and the delivery is attempted again (at least once).
      logger.error(`webhook ${delivery.webhook}: an attempt could not be recorded; it is made again once its claim runs out`, { ...this.ids(delivery), error: String(err) });
    }
  }

  private log(delivery: WebhookDelivery, seq: number, sent: SendResult, result: AttemptResult, dueAt: number | null, recorded: boolean): void {
    const { logger } = this.opts;
    const fields = { ...this.ids(delivery), attempt: seq, of: delivery.policy.maxAttempts, statusCode: sent.statusCode, error: sent.error };
    if (!recorded) {
      logger.warn(`webhook ${delivery.webhook}: attempt ${seq} made, but another daemon took the delivery meanwhile (its claim ran out)`, fields);
      return;
    }
    const head = `webhook ${delivery.webhook}: delivery pending -[${sent.ok ? 'answered' : 'failed'}]->`;
    if (result === 'delivered') logger.debug(`${head} delivered`, fields);
    else if (result === 'retry') logger.warn(`${head} pending, attempt ${seq + 1} in ${Math.round(((dueAt ?? 0) - this.opts.clock.now()) / 1000)} s`, { ...fields, dueAt });
    else logger.error(`${head} dead after ${seq} attempt(s): ${sent.error ?? 'failed'} (replay it: POST /api/v1/webhooks/deliveries/${delivery.id}/replay)`, fields);
  }

  private tell(report: AttemptReport): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(report);
      } catch (err) {
        this.opts.logger.warn('a webhook attempt listener failed', { error: String(err) });
      }
    }
  }

  private ids(delivery: WebhookDelivery): Record<string, string> {
    return { deliveryId: delivery.id, webhook: delivery.webhook, event: delivery.event };
  }

  private arm(at: number): void {
    if (!this.running) return;
    this.disarm();
    const delay = Math.min(Math.max(0, at - this.opts.clock.now()), MAX_TIMER_MS);
    this.armedFor = at;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.armedFor = null;
      this.poke();
    }, delay);
  }

  private disarm(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = null;
  }
}
