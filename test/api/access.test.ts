import assert from 'node:assert/strict';
import { checkApiAccess, isLoopback, startApi } from '../../src/api/server';
import { Tokens } from '../../src/api/access';
import { ConfigError } from '../../src/domain/errors';
import { createSilentLogger } from '../../src/log';
import { testConfig } from '../helpers/config';
import { OPERATOR, VIEWER, openApiRig, seeded, storeState, type ApiRig } from './rig';

/** One route of each kind: reads, writes that create, writes that change. */
const READS = ['/api/v1/callbacks', '/api/v1/calls', '/api/v1/events', '/api/v1/stats', '/api/v1/openapi.json', '/api/v1/calls/x/history', '/metrics'];

describe('api: access, limits and refusals', () => {
  let rig: ApiRig;
  afterEach(() => rig?.close());

  describe('tokens', () => {
    beforeEach(async () => {
      rig = await openApiRig();
    });

    it('refuses every route but /healthz, /readyz and the page without a token, or with a wrong one (401), and says why', async () => {
      const cb = await seeded(rig);
      const before = await storeState(rig);
      const writes: Array<[string, unknown]> = [
        ['/api/v1/callbacks', { number: '+420601111333', queue: 'support' }],
        [`/api/v1/callbacks/${cb.id}/cancel`, {}],
        ['/api/v1/calls/call-1/callbacks', { number: '+420601111333', queue: 'support' }],
      ];
      for (const token of [null, 'not-the-token', `${OPERATOR}x`, '']) {
        for (const path of READS) {
          const r = await rig.get(path, { token });
          assert.deepEqual([r.status, r.body?.error?.code], [401, 'unauthorized'], `${path} with ${token}`);
          assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="callbackd"');
        }
        for (const [path, body] of writes) assert.equal((await rig.post(path, body, { token })).status, 401, `${path} with ${token}`);
      }
      assert.match((await rig.get('/api/v1/stats', { token: null })).body.error.message, /needs a token: send "Authorization: Bearer TOKEN"/);
      assert.match((await rig.get('/api/v1/stats', { token: 'nope' })).body.error.message, /not one this daemon knows/);
      const basic = await rig.get('/api/v1/stats', { token: null, headers: { authorization: `Basic ${OPERATOR}` } });
      assert.equal(basic.status, 401);
      assert.equal(await storeState(rig), before);
      for (const open of ['/healthz', '/readyz', '/']) assert.equal((await rig.get(open, { token: null })).status, 200, open);
    });

    it('lets the viewer token read everything (metrics too) and refuses its writes (403), changing nothing', async () => {
      const cb = await seeded(rig);
      for (const path of READS.filter((p) => !p.includes('history'))) {
        const r = await rig.get(path, { token: VIEWER });
        assert.equal(r.status, 200, path);
        assert.equal(r.headers.get('www-authenticate'), null, `${path}: only a 401 asks for credentials`);
      }
      const before = await storeState(rig);
      for (const [path, body] of [
        ['/api/v1/callbacks', { number: '+420601111333', queue: 'support' }],
        [`/api/v1/callbacks/${cb.id}/cancel`, { reason: 'viewer' }],
        [`/api/v1/callbacks/${cb.id}/reschedule`, { delayMinutes: 5 }],
        [`/api/v1/callbacks/${cb.id}/call-now`, {}],
        ['/api/v1/calls/call-1/callbacks', { number: '+420601111333', queue: 'support' }],
      ] as const) {
        const r = await rig.post(path, body, { token: VIEWER });
        assert.deepEqual([r.status, r.body.error.code], [403, 'forbidden'], path);
        assert.match(r.body.error.message, /viewer token may only read/);
      }
      assert.equal(await storeState(rig), before);
    });

    it('answers unknown routes 404 in the same JSON shape (401 first under /api without a token)', async () => {
      const r = await rig.get('/api/v1/nothing-here');
      assert.deepEqual([r.status, r.body.error.code], [404, 'not_found']);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal((await rig.get('/api/v1/nothing-here', { token: null })).status, 401);
      const method = await rig.call('DELETE', '/api/v1/callbacks');
      assert.deepEqual([method.status, method.body.error.code], [404, 'not_found']);
      const outside = await rig.get('/nothing-here', { token: null });
      assert.deepEqual([outside.status, outside.body.error.code], [404, 'not_found']);
    });

    it('compares tokens whatever their length, and tells the two roles apart', () => {
      const tokens = new Tokens({ token: OPERATOR, viewerToken: VIEWER });
      assert.equal(tokens.roleOf(OPERATOR)?.role, 'operator');
      assert.equal(tokens.roleOf(VIEWER)?.role, 'viewer');
      for (const wrong of ['', 'x', OPERATOR.slice(0, -1), `${OPERATOR}${OPERATOR}`, 'é'.repeat(1000)]) assert.equal(tokens.roleOf(wrong), null);
      assert.notEqual(tokens.roleOf(OPERATOR)?.scope, tokens.roleOf(VIEWER)?.scope);
      assert.equal(new Tokens({ token: '', viewerToken: '' }).none, true);
    });
  });

  it('with no token configured (loopback only) refuses every request but health (401), naming the key', async () => {
    rig = await openApiRig({ doc: { api: { token: '', viewerToken: '' } } });
    const r = await rig.get('/api/v1/callbacks', { token: 'anything' });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /no token configured: set api\.token \(CALLBACKD_API_TOKEN\)/);
    assert.equal((await rig.get('/healthz', { token: null })).status, 200);
  });

  it('refuses to listen beyond loopback without an operator token (a ConfigError on api.token: exit 78)', async () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '128.0.0.1']) assert.equal(isLoopback(host), false, host);
    const open = testConfig({ http: { host: '0.0.0.0', port: 0 } });
    assert.throws(() => checkApiAccess(open), (err: ConfigError) => err instanceof ConfigError && err.key === 'api.token' && /0\.0\.0\.0/.test(err.message));
    await assert.rejects(startApi({ service: null as never, config: open, logger: createSilentLogger() }), ConfigError);
    assert.doesNotThrow(() => checkApiAccess(testConfig({ http: { host: '0.0.0.0', port: 0 }, api: { token: 't0ken' } })));
    assert.doesNotThrow(() => checkApiAccess(testConfig({ http: { host: '127.0.0.1', port: 0 } })));
  });

  it('limits requests per minute for one token (429 with Retry-After), health not counted', async () => {
    rig = await openApiRig({ doc: { api: { rateLimitPerMinute: 3 } } });
    for (let i = 0; i < 3; i++) assert.equal((await rig.get('/api/v1/stats')).status, 200);
    const over = await rig.get('/api/v1/stats');
    assert.deepEqual([over.status, over.body.error.code], [429, 'rate_limited']);
    assert.match(over.body.error.message, /more than 3 requests a minute.*api\.rateLimitPerMinute/);
    assert.ok(over.headers.get('retry-after'));
    // Another token has its own budget; health never runs out.
    assert.equal((await rig.get('/api/v1/stats', { token: VIEWER })).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await rig.get('/healthz', { token: null })).status, 200);
  });

  it('takes a smaller body limit from api.bodyLimitBytes', async () => {
    rig = await openApiRig({ doc: { api: { bodyLimitBytes: 1024 } } });
    const r = await rig.post('/api/v1/callbacks', { number: '+420601111222', queue: 'support', note: 'n'.repeat(1100) });
    assert.deepEqual([r.status, r.body.error.code], [413, 'payload_too_large']);
    assert.match(r.body.error.message, /larger than 1024 bytes/);
  });

  it('answers no CORS by default, and only the origins api.cors lists', async () => {
    rig = await openApiRig();
    const plain = await rig.get('/api/v1/stats', { headers: { origin: 'https://wallboard.example.com' } });
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
    await rig.close();
    rig = await openApiRig({ doc: { api: { cors: ['https://wallboard.example.com'] } } });
    const allowed = await rig.get('/api/v1/stats', { headers: { origin: 'https://wallboard.example.com' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://wallboard.example.com');
    const other = await rig.get('/api/v1/stats', { headers: { origin: 'https://evil.example.com' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const preflight = await rig.call('OPTIONS', '/api/v1/callbacks', {
      token: null,
      headers: { origin: 'https://wallboard.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Idempotency-Key/);
  });

  it('refuses an api.cors entry that is not an origin, naming the key', () => {
    assert.throws(() => testConfig({ api: { cors: ['https://x.example.com/path'] } }), /api\.cors.*scheme, host and port only/);
    assert.throws(() => testConfig({ api: { token: 'same', viewerToken: 'same' } }), /api\.viewerToken.*must differ from api\.token/);
  });
});
