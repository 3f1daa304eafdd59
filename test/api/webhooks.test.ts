import { strict as assert } from 'node:assert';
import { buildApi } from '../../src/api/server';
import { createSilentLogger } from '../../src/log';
import { WebhookDeliverer } from '../../src/webhooks/delivery';
import { verifySignature } from '../../src/webhooks/signature';
import { FakeTimers } from '../helpers/fake-timers';
import { Attempts, Receiver, type Behaviour } from '../webhooks/receiver';
import { OPERATOR, VIEWER, openApiRig, type ApiRig } from './rig';

const SECRET = 'whsec-api-9d2e7b';

describe('api: webhooks', () => {
  let receiver: Receiver;
  let rig: ApiRig;
  let timers: FakeTimers;
  let deliverer: WebhookDeliverer;
  let attempts: Attempts;

  async function open(behaviours: Behaviour[]) {
    receiver = await Receiver.start(behaviours);
    rig = await openApiRig({
      doc: {
        webhooks: [
          { name: 'crm', url: receiver.url, secret: SECRET, maxAttempts: 3, retry: { firstDelaySeconds: 5, factor: 2, maxDelaySeconds: 60 } },
          { name: 'bi', url: 'https://reporter:pa55word@bi.example.com/in?token=abc123', secret: '' },
        ],
      },
    });
    timers = new FakeTimers(rig.clock);
    deliverer = new WebhookDeliverer({ store: rig.store, clock: rig.clock, timers, logger: createSilentLogger(), owner: 'daemon-1', webhooks: rig.config.webhooks, random: () => 0 });
    attempts = new Attempts(deliverer);
    rig.service.useWebhooks(deliverer);
    await deliverer.start();
  }

  afterEach(async () => {
    // The receiver goes first: a request it holds unanswered then fails at once, rather than at its timeout.
    const stopping = deliverer?.stop();
    await receiver?.close();
    await stopping;
    await rig?.close();
  });

  const settle = () => deliverer.settled();

  it('lists the configured webhooks, their secrets never, credentials in URLs masked; a viewer may read', async () => {
    await open([]);
    const answer = await rig.get('/api/v1/webhooks', { token: VIEWER });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.items[0], {
      name: 'crm',
      url: receiver.url,
      signed: true,
      secretEnv: null,
      timeoutMs: 5000,
      maxAttempts: 3,
      retry: { firstDelaySeconds: 5, factor: 2, maxDelaySeconds: 60 },
    });
    assert.equal(answer.body.items[1].signed, false);
    assert.equal(answer.body.items[1].url.includes('pa55word') || answer.body.items[1].url.includes('abc123'), false, answer.body.items[1].url);
    assert.equal(answer.text.includes(SECRET), false);
    assert.equal((await rig.get('/api/v1/webhooks', { token: null })).status, 401);
  });

  it('pings a webhook: 202 with the pending delivery, sent and signed, then shown delivered with its attempt', async () => {
    await open([200]);
    const answer = await rig.post('/api/v1/webhooks/crm/test');
    assert.equal(answer.status, 202, answer.text);
    const { delivery } = answer.body;
    assert.deepEqual([delivery.webhook, delivery.event, delivery.status, delivery.attempts, delivery.maxAttempts, delivery.round], ['crm', 'ping', 'pending', 0, 3, 0]);
    await attempts.reach(1);
    const [request] = receiver.received;
    assert.equal(request.headers['callbackd-event'], 'ping');
    assert.equal(request.headers['callbackd-delivery'], delivery.id);
    assert.equal(verifySignature(SECRET, request.headers['callbackd-signature'] as string, request.body, Math.floor(rig.clock.now() / 1000)), true);
    assert.equal(JSON.parse(request.body).webhook, 'crm');

    const shown = await rig.get(`/api/v1/webhooks/deliveries/${delivery.id}`, { token: VIEWER });
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual([shown.body.delivery.status, shown.body.delivery.lastStatusCode, shown.body.payload.event], ['delivered', 200, 'ping']);
    assert.deepEqual(shown.body.attempts.map((a: Record<string, unknown>) => [a.round, a.seq, a.statusCode, a.error]), [[0, 1, 200, null]]);
    assert.equal(typeof shown.body.attempts[0].durationMs, 'number');
    assert.equal(shown.text.includes(SECRET), false);
  });

  it('refuses a ping without the operator token, and to a webhook not configured', async () => {
    await open([]);
    assert.equal((await rig.post('/api/v1/webhooks/crm/test', undefined, { token: VIEWER })).status, 403);
    assert.equal((await rig.post('/api/v1/webhooks/crm/test', undefined, { token: null })).status, 401);
    const unknown = await rig.post('/api/v1/webhooks/nobody/test');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /webhook "nobody" not found/);
    assert.equal((await rig.post('/api/v1/webhooks/crm/test', { extra: 1 })).status, 400);
    assert.equal((await rig.get('/api/v1/webhooks/deliveries', { token: VIEWER })).body.items.length, 0);
  });

  it('a delivery that always fails is dead after maxAttempts with the last error, listed as dead; a replay through the API delivers it', async () => {
    await open([500, 500, 503, 200]);
    const { delivery } = (await rig.post('/api/v1/webhooks/crm/test')).body;
    await attempts.reach(1);
    await timers.advance(5_000, settle);
    await attempts.reach(2);
    await timers.advance(10_000, settle);
    await attempts.reach(3);
    await deliverer.settled();

    const dead = await rig.get('/api/v1/webhooks/deliveries?status=dead', { token: VIEWER });
    assert.equal(dead.status, 200, dead.text);
    assert.deepEqual(dead.body.items.map((d: Record<string, unknown>) => [d.id, d.status, d.attempts, d.lastStatusCode, d.lastError, d.dueAt]), [[delivery.id, 'dead', 3, 503, 'HTTP 503 Service Unavailable', null]]);
    assert.deepEqual((await rig.get('/api/v1/webhooks/deliveries?status=pending', { token: VIEWER })).body.items, []);

    assert.equal((await rig.post(`/api/v1/webhooks/deliveries/${delivery.id}/replay`, undefined, { token: VIEWER })).status, 403);
    const replayed = await rig.post(`/api/v1/webhooks/deliveries/${delivery.id}/replay`);
    assert.equal(replayed.status, 200, replayed.text);
    assert.deepEqual([replayed.body.delivery.status, replayed.body.delivery.attempts, replayed.body.delivery.round], ['pending', 0, 1]);
    const [, , , fourth] = await attempts.reach(4);
    assert.equal(fourth.result, 'delivered');
    assert.equal(receiver.received[3].headers['callbackd-delivery'], delivery.id);

    const shown = (await rig.get(`/api/v1/webhooks/deliveries/${delivery.id}`)).body;
    assert.equal(shown.delivery.status, 'delivered');
    assert.deepEqual(shown.attempts.map((a: Record<string, unknown>) => [a.round, a.seq, a.statusCode]), [[0, 1, 500], [0, 2, 500], [0, 3, 503], [1, 1, 200]]);
  });

  it('refuses to replay a pending delivery (409) or one that does not exist (404)', async () => {
    await open(['hang']);
    const { delivery } = (await rig.post('/api/v1/webhooks/crm/test')).body;
    const pending = await rig.post(`/api/v1/webhooks/deliveries/${delivery.id}/replay`);
    assert.equal(pending.status, 409, pending.text);
    assert.match(pending.body.error.message, /still pending/);
    assert.equal((await rig.post('/api/v1/webhooks/deliveries/nope/replay')).status, 404);
    assert.equal((await rig.get('/api/v1/webhooks/deliveries/nope')).status, 404);
  });

  it('lists deliveries newest first, by webhook and status, a page at a time; a bad filter is refused', async () => {
    await open([200, 200, 200]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await rig.post('/api/v1/webhooks/crm/test')).body.delivery.id);
      rig.clock.advance(1000);
    }
    await attempts.reach(3);
    const first = await rig.get('/api/v1/webhooks/deliveries?limit=2&webhook=crm', { token: VIEWER });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.items.map((d: { id: string }) => d.id), [ids[2], ids[1]]);
    const second = await rig.get(`/api/v1/webhooks/deliveries?limit=2&webhook=crm&cursor=${first.body.nextCursor}`, { token: VIEWER });
    assert.deepEqual([second.body.items.map((d: { id: string }) => d.id), second.body.nextCursor], [[ids[0]], null]);
    assert.equal((await rig.get('/api/v1/webhooks/deliveries?webhook=bi', { token: VIEWER })).body.items.length, 0);
    const bad = await rig.get('/api/v1/webhooks/deliveries?status=lost', { token: VIEWER });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /status/);
    assert.equal((await rig.get('/api/v1/webhooks/deliveries?cursor=garbage', { token: VIEWER })).status, 400);
  });

  it('counts attempts in callbackd_webhook_deliveries_total{webhook,result} when the deliverer is given to the metrics', async () => {
    await open([500, 200]);
    const { app } = await buildApi({
      service: rig.service,
      config: rig.config,
      logger: createSilentLogger(),
      metrics: { feed: rig.feed, store: rig.store, pbxConnected: () => null, clock: rig.clock, webhooks: deliverer },
    });
    try {
      await rig.post('/api/v1/webhooks/crm/test');
      await attempts.reach(1);
      await timers.advance(5_000, settle);
      await attempts.reach(2);
      const text = (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${OPERATOR}` } })).body;
      assert.match(text, /callbackd_webhook_deliveries_total\{webhook="crm",result="retry"\} 1/);
      assert.match(text, /callbackd_webhook_deliveries_total\{webhook="crm",result="delivered"\} 1/);
      assert.match(text, /callbackd_webhook_deliveries_total\{webhook="crm",result="dead"\} 0/);
      assert.match(text, /callbackd_webhook_deliveries_total\{webhook="bi",result="delivered"\} 0/);
    } finally {
      await app.close();
    }
  });
});
