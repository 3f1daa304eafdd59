import assert from 'node:assert/strict';
import { VIEWER, openApiRig, seeded, type ApiRig } from './rig';
import { SseClient } from './sse';

describe('api: the event log and its live stream', () => {
  let rig: ApiRig;
  const clients: SseClient[] = [];
  beforeEach(async () => {
    rig = await openApiRig({ stream: { heartbeatMs: 50 } });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.cut();
    await rig.close();
  });

  const open = async (query = '', opts: { token?: string | null; lastEventId?: string } = {}) => {
    const client = await SseClient.open(`${rig.url}/api/v1/events/stream${query}`, opts);
    clients.push(client);
    return client;
  };
  const storeIds = async (after = 0) => (await rig.store.eventsAfter(after, 10_000)).map((e) => e.id);

  it('GET /api/v1/events pages through the log in id order, with callbackId on every line', async () => {
    const a = await seeded(rig, '+420601111001');
    const b = await seeded(rig, '+420601111002');
    await rig.service.cancel({ id: a.id, by: 'test' });
    const all = await storeIds();
    const first = await rig.get('/api/v1/events?limit=2');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.items.map((e: { id: number }) => e.id), all.slice(0, 2));
    assert.deepEqual(first.body.items.map((e: { callbackId: string }) => e.callbackId), [a.id, b.id]);
    const rest = await rig.get(`/api/v1/events?after=${first.body.next}`);
    assert.deepEqual(rest.body.items.map((e: { id: number }) => e.id), all.slice(2));
    const end = await rig.get(`/api/v1/events?after=${rest.body.next}`);
    assert.deepEqual([end.body.items, end.body.next], [[], rest.body.next]);
    for (const [query, message] of [['after=-1', /query\.after must be >= 0/], ['after=x', /query\.after must be integer/], ['limit=0', /query\.limit must be >= 1/]] as const) {
      const r = await rig.get(`/api/v1/events?${query}`);
      assert.equal(r.status, 400, query);
      assert.match(r.body.error.message, message);
    }
  });

  it('streams with event ids; after a cut, Last-Event-ID resumes with every event written meanwhile, once each', async () => {
    await seeded(rig, '+420601111001');
    const client = await open('?after=0');
    assert.equal(client.status, 200);
    assert.match(client.contentType ?? '', /^text\/event-stream/);
    const before = await storeIds();
    await client.until(() => client.ids.length >= before.length, 'the events written before it connected');
    // Live: what the API creates arrives.
    const created = await rig.post('/api/v1/callbacks', { number: '+420601111002', queue: 'support' });
    const live = await storeIds();
    await client.until(() => client.ids.length >= live.length, 'the event of a callback created while connected');
    assert.ok(client.events.some((e) => e.callbackId === created.body.callback.id));
    await client.cut();
    const lastSeen = client.ids[client.ids.length - 1];

    // While the client is away, callbacks are created and one is cancelled.
    const away = [await seeded(rig, '+420601111003'), await seeded(rig, '+420601111004'), await seeded(rig, '+420601111005')];
    await rig.service.cancel({ id: away[0].id, by: 'test', reason: 'while away' });
    const missed = await storeIds(lastSeen);
    assert.ok(missed.length >= 4);

    // The header wins over the URL's ?after= (a browser keeps the URL it first opened).
    const resumed = await open('?after=0', { lastEventId: String(lastSeen) });
    await resumed.until(() => resumed.ids.length >= missed.length, 'the events written while it was away');
    await seeded(rig, '+420601111006');
    const everything = await storeIds(lastSeen);
    await resumed.until(() => resumed.ids.length >= everything.length, 'a new event after the resume');
    assert.deepEqual(resumed.ids, everything);
    assert.deepEqual([...client.ids, ...resumed.ids], await storeIds(0));
    assert.ok(resumed.events.some((e) => e.type === 'Note' && e.callbackId === away[0].id));
  });

  it('without a position starts after the newest event (live only), and sends heartbeats', async () => {
    await seeded(rig, '+420601111001');
    const client = await open();
    await client.until(() => client.frames.some((f) => f.retry !== null), 'the opening frame');
    const next = await seeded(rig, '+420601111002');
    await client.until(() => client.events.length > 0, 'the next event');
    assert.equal(client.events[0].callbackId, next.id);
    await client.until(() => client.frames.some((f) => f.comments.includes('heartbeat')), 'a heartbeat');
  });

  it('needs a token (the viewer\'s will do) and refuses a bad Last-Event-ID', async () => {
    const anonymous = await open('', { token: null });
    assert.equal(anonymous.status, 401);
    assert.equal(JSON.parse(anonymous.refusal).error.code, 'unauthorized');
    const viewer = await open('', { token: VIEWER });
    assert.equal(viewer.status, 200);
    const bad = await open('', { lastEventId: 'ten' });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.refusal).error.message, /headers\.last-event-id/);
  });

  it('ends open streams when the server closes, so a stop is not held up', async () => {
    const client = await open('?after=0');
    await client.until(() => client.frames.length > 0, 'the opening frame');
    await rig.api.close();
    await client.until(() => false, 'never').catch(() => undefined);
    await rig.restart();
  });
});
