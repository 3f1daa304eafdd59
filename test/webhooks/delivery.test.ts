import { strict as assert } from 'node:assert';
import path from 'node:path';
import type { Config } from '../../src/config/types';
import { ManualClock } from '../../src/domain/clock';
import { ConflictError, NotFoundError } from '../../src/domain/errors';
import { createSilentLogger } from '../../src/log';
import { SqliteStore } from '../../src/store/sqlite-store';
import { retryDelayMs } from '../../src/webhooks/backoff';
import { WebhookDeliverer, type DelivererOptions } from '../../src/webhooks/delivery';
import { signBody, verifySignature } from '../../src/webhooks/signature';
import { testConfig } from '../helpers/config';
import { FakeTimers } from '../helpers/fake-timers';
import { removeDir, tempDir } from '../helpers/tmp';
import { Attempts, Receiver, type Behaviour } from './receiver';

const NOW = Date.parse('2026-11-24T09:00:00Z');
const SECRET = 'whsec-test-4f1c';
const nowSeconds = (clock: ManualClock) => Math.floor(clock.now() / 1000);

describe('webhooks: signatures', () => {
  const body = JSON.stringify({ callbackId: 'cb-1', outcome: 'answered' });

  it('signs t.body with HMAC-SHA256 as t=<seconds>,v1=<hex>, and verifies it within the tolerance', () => {
    const header = signBody(SECRET, 1_790_000_000, body);
    assert.match(header, /^t=1790000000,v1=[0-9a-f]{64}$/);
    assert.equal(verifySignature(SECRET, header, body, 1_790_000_000), true);
    assert.equal(verifySignature(SECRET, header, body, 1_790_000_300), true);
    assert.equal(verifySignature(SECRET, header, body, 1_789_999_700), true);
  });

  it('refuses a tampered body, another secret, a stale or future timestamp, and a malformed header', () => {
    const header = signBody(SECRET, 1_790_000_000, body);
    assert.equal(verifySignature(SECRET, header, body.replace('answered', 'busy'), 1_790_000_000), false);
    assert.equal(verifySignature('another-secret', header, body, 1_790_000_000), false);
    assert.equal(verifySignature(SECRET, header, body, 1_790_000_301), false);
    assert.equal(verifySignature(SECRET, header, body, 1_789_999_000), false);
    assert.equal(verifySignature(SECRET, header, body, 1_790_000_100, 60), false);
    // The timestamp is signed too: moving it forward breaks the signature.
    assert.equal(verifySignature(SECRET, header.replace('t=1790000000', 't=1790000100'), body, 1_790_000_100), false);
    for (const bad of ['', 'v1=abc', 't=1790000000', 't=x,v1=' + 'a'.repeat(64), `t=1790000000,v1=${'g'.repeat(64)}`]) {
      assert.equal(verifySignature(SECRET, bad, body, 1_790_000_000), false, bad);
    }
    assert.equal(verifySignature(SECRET, undefined, body, 1_790_000_000), false);
  });

  it('accepts any of several v1 signatures (a sender changing secrets)', () => {
    const fresh = signBody(SECRET, 1_790_000_000, body);
    const old = signBody('old-secret', 1_790_000_000, body);
    const both = `${old},v1=${fresh.split('v1=')[1]}`;
    assert.equal(verifySignature(SECRET, both, body, 1_790_000_000), true);
    assert.equal(verifySignature('old-secret', both, body, 1_790_000_000), true);
  });
});

describe('webhooks: backoff', () => {
  const policy = { firstDelaySeconds: 10, factor: 3, maxDelaySeconds: 3600 };

  it('waits first × factor^(n−1), capped at the maximum, shortened by at most a fifth at random', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, policy, () => 0)), [10_000, 30_000, 90_000, 270_000, 810_000, 2_430_000, 3_600_000]);
    assert.equal(retryDelayMs(1, policy, () => 0.5), 9_000);
    for (let i = 0; i < 50; i++) {
      const ms = retryDelayMs(3, policy);
      assert.ok(ms > 72_000 && ms <= 90_000, String(ms));
    }
    assert.equal(retryDelayMs(500, policy, () => 0), 3_600_000);
    assert.equal(retryDelayMs(3, { firstDelaySeconds: 0, factor: 3, maxDelaySeconds: 0 }, () => 0), 0);
  });
});

describe('webhooks: the deliverer', () => {
  let dir: string;
  let receiver: Receiver;
  let store: SqliteStore;
  let clock: ManualClock;
  let timers: FakeTimers;
  const running: WebhookDeliverer[] = [];

  beforeEach(() => {
    dir = tempDir('callbackd-webhooks-');
    store = SqliteStore.open(path.join(dir, 'cb.db'));
    clock = new ManualClock(NOW);
    timers = new FakeTimers(clock);
  });

  afterEach(async () => {
    for (const deliverer of running.splice(0)) await deliverer.stop();
    await receiver?.close();
    await store.close();
    removeDir(dir);
  });

  /** A webhook `crm` at the receiver, signed, with the policy given. */
  function config(webhook: Record<string, unknown> = {}): Config {
    return testConfig({ webhooks: [{ name: 'crm', url: receiver.url, secret: SECRET, ...webhook }] });
  }

  async function open(behaviours: Behaviour[], webhook: Record<string, unknown> = {}, options: Partial<DelivererOptions> = {}) {
    receiver = await Receiver.start(behaviours);
    const cfg = config(webhook);
    const deliverer = new WebhookDeliverer({ store, clock, timers, logger: createSilentLogger(), owner: 'daemon-1', webhooks: cfg.webhooks, random: () => 0, ...options });
    running.push(deliverer);
    return { deliverer, attempts: new Attempts(deliverer), cfg };
  }

  const settle = (deliverer: WebhookDeliverer) => () => deliverer.settled();

  it('delivers on a 2xx answer: JSON body, event and delivery headers, a signature the receiver verifies', async () => {
    const { deliverer, attempts } = await open([204]);
    await deliverer.start();
    const payload = { callbackId: 'cb-7', status: 'Succeeded', number: '+420601111222' };
    const enqueued = await deliverer.enqueueTo('crm', 'callback.succeeded', payload);
    assert.ok(enqueued);
    const [report] = await attempts.reach(1);
    assert.deepEqual([report.result, report.recorded, report.attempt.statusCode, report.attempt.error], ['delivered', true, 204, null]);

    const [request] = receiver.received;
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['callbackd-event'], 'callback.succeeded');
    assert.equal(request.headers['callbackd-delivery'], enqueued.id);
    assert.deepEqual(JSON.parse(request.body), payload);
    const signature = request.headers['callbackd-signature'] as string;
    assert.equal(signature.split(',')[0], `t=${nowSeconds(clock)}`);
    assert.equal(verifySignature(SECRET, signature, request.body, nowSeconds(clock)), true);

    const stored = await store.getDelivery(enqueued.id);
    assert.deepEqual(stored && [stored.status, stored.attempts, stored.lastStatusCode, stored.dueAt, stored.claimOwner], ['delivered', 1, 204, null, null]);
    assert.equal((await store.deliveryAttempts(enqueued.id)).length, 1);
  });

  it('sends no signature without a secret', async () => {
    const { deliverer, attempts } = await open([200], { secret: '' });
    await deliverer.start();
    await deliverer.enqueueTo('crm', 'ping', {});
    await attempts.reach(1);
    assert.equal(receiver.received[0].headers['callbackd-signature'], undefined);
  });

  it('retries a 500 after the first delay (not before), then delivers on the 200, signed afresh', async () => {
    const { deliverer, attempts } = await open([500, 200], { retry: { firstDelaySeconds: 10, factor: 3, maxDelaySeconds: 3600 } });
    await deliverer.start();
    const enqueued = await deliverer.enqueueTo('crm', 'callback.failed', { callbackId: 'cb-8' });
    assert.ok(enqueued);
    const [first] = await attempts.reach(1);
    assert.deepEqual([first.result, first.attempt.statusCode, first.attempt.error, first.dueAt], ['retry', 500, 'HTTP 500 Internal Server Error', NOW + 10_000]);
    await deliverer.settled();
    assert.equal(deliverer.nextWake, NOW + 10_000);

    await timers.advance(9_999, settle(deliverer));
    assert.equal(receiver.received.length, 1);
    await timers.advance(1, settle(deliverer));
    const [, second] = await attempts.reach(2);
    assert.equal(second.result, 'delivered');
    const later = receiver.received[1];
    assert.equal(later.headers['callbackd-delivery'], enqueued.id);
    assert.equal(later.body, receiver.received[0].body);
    assert.equal(verifySignature(SECRET, later.headers['callbackd-signature'] as string, later.body, nowSeconds(clock)), true);
    assert.deepEqual((await store.deliveryAttempts(enqueued.id)).map((a) => [a.seq, a.at, a.statusCode]), [[1, NOW, 500], [2, NOW + 10_000, 200]]);
  });

  it('gives up after maxAttempts with the last status and error (dead), and a replay delivers it', async () => {
    const { deliverer, attempts } = await open([503, 502, 500], { maxAttempts: 3, retry: { firstDelaySeconds: 1, factor: 2, maxDelaySeconds: 60 } });
    await deliverer.start();
    const enqueued = await deliverer.enqueueTo('crm', 'callback.expired', { callbackId: 'cb-9' });
    assert.ok(enqueued);
    await attempts.reach(1);
    await timers.advance(1_000, settle(deliverer));
    await attempts.reach(2);
    assert.equal(attempts.reports[1].dueAt, clock.now() + 2_000);
    await timers.advance(2_000, settle(deliverer));
    const reports = await attempts.reach(3);
    assert.deepEqual(reports.map((r) => r.result), ['retry', 'retry', 'dead']);
    await deliverer.settled();
    const dead = await store.getDelivery(enqueued.id);
    assert.deepEqual(dead && [dead.status, dead.attempts, dead.lastStatusCode, dead.lastError, dead.dueAt], ['dead', 3, 500, 'HTTP 500 Internal Server Error', null]);
    assert.deepEqual((await store.listDeliveries({ status: 'dead', limit: 10 })).items.map((d) => d.id), [enqueued.id]);
    // Nothing is attempted any more, however long one waits.
    await timers.advance(3_600_000, settle(deliverer));
    assert.equal(receiver.received.length, 3);

    await assert.rejects(deliverer.replay('no-such-delivery'), NotFoundError);
    const replayed = await deliverer.replay(enqueued.id);
    assert.deepEqual([replayed.status, replayed.attempts, replayed.round], ['pending', 0, 1]);
    await assert.rejects(deliverer.replay(enqueued.id), ConflictError);
    const [, , , fourth] = await attempts.reach(4);
    assert.equal(fourth.result, 'delivered');
    assert.deepEqual((await store.deliveryAttempts(enqueued.id)).map((a) => [a.round, a.seq, a.statusCode]), [[0, 1, 503], [0, 2, 502], [0, 3, 500], [1, 1, 200]]);
  });

  it('retries a request that is not answered within timeoutMs', async () => {
    const { deliverer, attempts } = await open(['hang', 200], { timeoutMs: 50 });
    await deliverer.start();
    const enqueued = await deliverer.enqueueTo('crm', 'callback.succeeded', {});
    assert.ok(enqueued);
    const [first] = await attempts.reach(1);
    assert.deepEqual([first.result, first.attempt.statusCode, first.attempt.error], ['retry', null, 'no answer within 50 ms']);
    await timers.advance(10_000, settle(deliverer));
    assert.equal((await attempts.reach(2))[1].result, 'delivered');
  });

  it('retries when nothing listens (connection refused)', async () => {
    const { deliverer, attempts, cfg } = await open([]);
    await receiver.close();
    await deliverer.start();
    await deliverer.enqueue({ webhook: 'crm', url: cfg.webhooks[0].url, event: 'ping', payload: {} });
    const [first] = await attempts.reach(1);
    assert.equal(first.result, 'retry');
    assert.equal(first.attempt.statusCode, null);
    assert.match(first.attempt.error ?? '', /^no answer: .*ECONNREFUSED/);
    receiver = await Receiver.start();
  });

  it('takes up after a restart what was pending, and what it was sending when it stopped', async () => {
    const { deliverer: before } = await open([200, 200]);
    // Never started: written, never attempted (as if the daemon stopped right after).
    const waiting = await before.enqueueTo('crm', 'callback.created', { n: 1 });
    const sending = await before.enqueueTo('crm', 'callback.created', { n: 2 }, NOW + 1);
    assert.ok(waiting && sending);
    // The other one was claimed, as if a request to the receiver was under way when the process died.
    clock.advance(1);
    assert.equal((await store.claimDueDeliveries({ owner: 'daemon-1', now: clock.now(), leaseMs: 60_000, limit: 1 }))[0]?.id, waiting.id);
    await store.close();

    store = SqliteStore.open(path.join(dir, 'cb.db'));
    const after = new WebhookDeliverer({ store, clock, timers, logger: createSilentLogger(), owner: 'daemon-1', webhooks: config().webhooks, random: () => 0 });
    running.push(after);
    const attempts = new Attempts(after);
    await after.start();
    const reports = await attempts.reach(2);
    assert.deepEqual(reports.map((r) => r.delivery.id).sort(), [waiting.id, sending.id].sort());
    assert.ok(reports.every((r) => r.result === 'delivered'));
    assert.deepEqual(receiver.received.map((r) => r.headers['callbackd-delivery']).sort(), [waiting.id, sending.id].sort());
  });

  it('sends an event enqueued twice under one id once', async () => {
    const { deliverer, attempts } = await open([200, 200]);
    const first = await deliverer.enqueueTo('crm', 'callback.failed', { n: 1 }, NOW, 'failed-trigger:17');
    const again = await deliverer.enqueueTo('crm', 'callback.failed', { n: 1 }, NOW + 5, 'failed-trigger:17');
    assert.deepEqual(again, first);
    await deliverer.start();
    await attempts.reach(1);
    await deliverer.settled();
    await timers.advance(60_000, settle(deliverer));
    assert.deepEqual(receiver.received.map((r) => r.headers['callbackd-delivery']), ['failed-trigger:17']);
    assert.equal(await deliverer.enqueueTo('crm', 'ping', {}, NOW, 'has/slash'), null);
  });

  it('never throws into the caller: a bad event name or an unknown webhook is logged and gives null', async () => {
    const { deliverer } = await open([]);
    assert.equal(await deliverer.enqueueTo('nobody', 'ping', {}), null);
    assert.equal(await deliverer.enqueue({ webhook: 'crm', url: receiver.url, event: 'bad\nname', payload: {} }), null);
    assert.equal(await deliverer.enqueue({ webhook: 'crm', url: 'ftp://example.com/', event: 'ping', payload: {} }), null);
    await store.close();
    // The store is gone: still no exception.
    assert.equal(await deliverer.enqueueTo('crm', 'ping', {}), null);
    store = SqliteStore.open(path.join(dir, 'cb.db'));
  });
});
