import assert from 'node:assert/strict';
import os from 'node:os';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerHealth, type HealthDeps } from '../../src/api/health';
import type { CallbackStore } from '../../src/domain/store';
import { openTestStore } from '../helpers/store';
import { removeDir, tempDir } from '../helpers/tmp';
import type { SqliteStore } from '../../src/store/sqlite-store';

const OWNER = 'default/ari:callbackd';
const STALE_MS = 30_000;

interface Served {
  app: FastifyInstance;
  get(path: '/healthz' | '/readyz'): Promise<{ status: number; body: Record<string, unknown>; cacheControl: string | null }>;
}

async function serve(deps: HealthDeps): Promise<Served> {
  const app = Fastify();
  registerHealth(app, deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return {
    app,
    async get(path) {
      const response = await fetch(`http://127.0.0.1:${address.port}${path}`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, cacheControl: response.headers.get('cache-control') };
    },
  };
}

describe('api: /healthz and /readyz', () => {
  let dir: string;
  let store: SqliteStore;
  let served: Served;
  let pbxUp: boolean;
  let started: boolean;
  const joinedAt = Date.now() - 10_000;

  beforeEach(async () => {
    dir = tempDir('callbackd-health-');
    store = openTestStore(dir);
    // The daemon's seat, as Daemon.start takes it, with a heartbeat some time ago.
    assert.deepEqual(await store.join({ owner: OWNER, host: os.hostname(), pid: process.pid, pbx: 'default' }, joinedAt, STALE_MS, () => true), { ok: true });
    pbxUp = true;
    started = true;
    served = await serve({ store, pbxConnected: () => pbxUp, owner: OWNER, ready: () => started });
  });

  afterEach(async () => {
    await served.app.close();
    await store.close();
    removeDir(dir);
  });

  describe('/healthz', () => {
    it("is 200 when the store takes a write (the daemon's heartbeat) and the PBX is connected", async () => {
      const health = await served.get('/healthz');
      assert.deepEqual([health.status, health.body, health.cacheControl], [200, { status: 'ok', store: 'ok', pbx: 'connected' }, 'no-store']);
      const [seat] = await store.seats();
      assert.ok(seat.heartbeatAt > joinedAt, 'the probe renewed the seat');
    });

    it('is 503 naming the PBX when its connection is down', async () => {
      pbxUp = false;
      const health = await served.get('/healthz');
      assert.deepEqual([health.status, health.body], [503, { status: 'unavailable', store: 'ok', pbx: 'disconnected', reasons: ['PBX not connected'] }]);
      pbxUp = true;
      assert.equal((await served.get('/healthz')).status, 200);
    });

    it('is 503 naming the store once it is closed, and each reason when both fail', async () => {
      await store.close();
      let health = await served.get('/healthz');
      assert.equal(health.status, 503);
      assert.deepEqual([health.body.status, health.body.store, health.body.pbx], ['unavailable', 'unavailable', 'connected']);
      assert.deepEqual(health.body.reasons, ['store not writable: The database connection is not open']);
      pbxUp = false;
      health = await served.get('/healthz');
      assert.deepEqual(health.body.reasons, ['store not writable: The database connection is not open', 'PBX not connected']);
    });

    it('is 503 when the daemon lost its seat (another daemon took the database over)', async () => {
      await store.leave(OWNER);
      assert.deepEqual(await store.join({ owner: 'other/ari:callbackd', host: 'elsewhere', pid: 1, pbx: 'default' }, Date.now(), STALE_MS, () => false), { ok: true });
      const health = await served.get('/healthz');
      assert.equal(health.status, 503);
      assert.deepEqual(health.body.reasons, [`store not writable: the seat of ${OWNER} is not held (not joined yet, or another daemon took the database over)`]);
    });

    it('is 503 when the store does not answer in time', async () => {
      const hanging = new Proxy(store, {
        get: (target, key, receiver) => (key === 'heartbeat' ? () => new Promise<boolean>(() => {}) : Reflect.get(target, key, receiver)),
      }) as CallbackStore;
      const slow = await serve({ store: hanging, pbxConnected: () => true, owner: OWNER, probeTimeoutMs: 20 });
      try {
        const health = await slow.get('/healthz');
        assert.deepEqual([health.status, health.body.reasons], [503, ['store not writable: no answer within 20 ms']]);
      } finally {
        await slow.app.close();
      }
    });

    it('without a seat to renew, only reads the store; without a PBX, does not count one', async () => {
      const readOnly = await serve({ store, pbxConnected: () => null });
      try {
        const health = await readOnly.get('/healthz');
        assert.deepEqual([health.status, health.body], [200, { status: 'ok', store: 'ok', pbx: 'none' }]);
        assert.equal((await store.seats())[0].heartbeatAt, joinedAt, 'nothing written');
        await store.close();
        assert.deepEqual((await readOnly.get('/healthz')).body.reasons, ['store not writable: The database connection is not open']);
      } finally {
        await readOnly.app.close();
      }
    });
  });

  describe('/readyz', () => {
    it('is 200 once the daemon has started and the store answers, even while the PBX is still connecting', async () => {
      pbxUp = false;
      const ready = await served.get('/readyz');
      assert.deepEqual([ready.status, ready.body, ready.cacheControl], [200, { status: 'ready' }, 'no-store']);
      assert.equal((await served.get('/healthz')).status, 503);
    });

    it('is 503 before the daemon has started and while it stops', async () => {
      started = false;
      const ready = await served.get('/readyz');
      assert.deepEqual([ready.status, ready.body], [503, { status: 'not_ready', reasons: ['the daemon has not started, or is stopping'] }]);
      started = true;
      assert.equal((await served.get('/readyz')).status, 200);
    });

    it('is 503 while the server closes (fastify answers every request so)', async () => {
      const app = Fastify();
      registerHealth(app, { store, pbxConnected: () => true, ready: () => true });
      let during: number | null = null;
      app.addHook('preClose', async () => {
        const address = app.server.address() as { port: number };
        during = (await fetch(`http://127.0.0.1:${address.port}/readyz`)).status;
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      assert.equal((await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/readyz`)).status, 200);
      await app.close();
      assert.equal(during, 503);
    });

    it('is 503 once the store is closed', async () => {
      await store.close();
      const ready = await served.get('/readyz');
      assert.deepEqual([ready.status, ready.body], [503, { status: 'not_ready', reasons: ['store not open: The database connection is not open'] }]);
    });
  });
});
