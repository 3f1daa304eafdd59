import assert from 'assert';
import { gzipSync } from 'zlib';
import { AriGateway } from '../../src/asterisk/ari-gateway';
import { AriRequestError, type AriRest } from '../../src/asterisk/ari-rest';
import type { AdapterLogger } from '../../src/asterisk/logging';
import { AriSimulator } from '../../src/asterisk/simulator';
import type { FaultRule } from '../../src/asterisk/simulator/faults';
import type { IvrPrompts } from '../../src/config/types';
import { systemClock } from '../../src/domain/clock';
import { RecordingListener, until } from '../pbx/gateway-behaviour';

const PROMPTS = Object.fromEntries(
  ['yourNumber', 'confirmOrChange', 'enterNumber', 'invalidNumber', 'booked', 'refused', 'goodbye', 'agentCalling', 'agentCustomerUnavailable', 'customerPressOne'].map((k) => [k, []]),
) as unknown as IvrPrompts;

type Line = { level: string; message: string; meta: Record<string, unknown> };
class MemoryLogger implements AdapterLogger {
  readonly lines: Line[] = [];
  info = (message: string, meta: Record<string, unknown> = {}) => this.lines.push({ level: 'info', message, meta });
  warn = (message: string, meta: Record<string, unknown> = {}) => this.lines.push({ level: 'warn', message, meta });
  error = (message: string, meta: Record<string, unknown> = {}) => this.lines.push({ level: 'error', message, meta });
  debug = (message: string, meta: Record<string, unknown> = {}) => this.lines.push({ level: 'debug', message, meta });
  child = (): AdapterLogger => this;
  failedAttempts(): Line[] {
    return this.lines.filter((l) => l.message === 'ARI connection attempt failed');
  }
}

/**
 * Asterisk (or a proxy in front of it) answering with bodies ari-client cannot read: before, the
 * parse ran in an HTTP callback nothing catches and the daemon died with a stack trace. Now the
 * request rejects, or the connection attempt fails and is retried, and the process goes on.
 */
describe('Asterisk ARI adapter against hostile REST answers', function () {
  this.timeout(15000);
  let sim: AriSimulator;
  let faults: AriSimulator['faults'];
  let gateway: AriGateway;
  let logger: MemoryLogger;
  let listener: RecordingListener;
  const uncaught: unknown[] = [];
  const recordUncaught = (err: unknown) => uncaught.push(err);

  before(() => process.on('uncaughtException', recordUncaught));
  after(() => process.off('uncaughtException', recordUncaught));

  beforeEach(async () => {
    uncaught.length = 0;
    sim = new AriSimulator({ app: 'callbackd', user: 'u', password: 'p' });
    await sim.start();
    faults = sim.faults;
    sim.addQueue('support', { members: [{ name: 'agent1', state: 'paused' }] });
    logger = new MemoryLogger();
    listener = new RecordingListener();
    gateway = new AriGateway({
      ari: { url: sim.url, user: 'u', password: 'p', app: 'callbackd', reconnectMinMs: 30, reconnectMaxMs: 100, formVariables: [] },
      prompts: PROMPTS,
      formVariables: [],
      logger,
      clock: systemClock,
      timing: { requestTimeoutMs: 2000, connectTimeoutMs: 2000 },
    });
  });
  afterEach(async () => {
    await gateway.stop();
    await sim.stop();
  });
  /** Mocha fails a test on an uncaught exception too; this says so in the test's own words. */
  const noneEscaped = () => assert.deepStrictEqual(uncaught.map(String), [], 'nothing escaped to the process');

  const connected = async () => {
    await gateway.start(listener);
    await listener.next('connection', (r) => r.up);
  };
  /** A REST round trip through the gateway: a reconcile of an unknown call asks Asterisk and resolves. */
  const restWorks = async () => {
    const before = sim.requests().length;
    await gateway.reconcile({ attempts: [], waitingCallIds: ['no-such-call'] });
    assert.ok(sim.requests().slice(before).some((r) => r.path === '/channels/no-such-call' && r.status === 404), 'the channel was looked up');
  };

  it('a variable answered 200 with truncated JSON fails that read only; the call goes through and the next one is read', async () => {
    await connected();
    faults.add({ method: 'GET', path: /\/variable$/, times: 1, respond: { status: 200, body: '{"value":"+42060' } });
    const first = sim.callIntoQueue({ number: '+420601000001', queue: 'support' });
    await listener.next('entered', (r) => r.e.callId === first.channelId);
    const failedRead = () => logger.lines.find((l) => l.message === 'could not read the queue call; letting it through');
    await until(() => failedRead() !== undefined, 'the failed read to be logged');
    assert.match(String(failedRead()?.meta.error), /could not be read/);
    const second = sim.callIntoQueue({ number: '+420601000002', queue: 'support' });
    await listener.next('entered', (r) => r.e.callId === second.channelId && r.e.number === '+420601000002');
    assert.strictEqual(gateway.isConnected(), true);
    noneEscaped();
  });

  const channelAnswers: Array<[string, FaultRule['respond']]> = [
    ['truncated JSON', { status: 200, body: '{"id":"x","state":"Up"' }],
    ['the JSON null', { status: 200, body: 'null' }],
    ['an HTML page as text/html', { status: 200, body: '<html><body>Bad gateway</body></html>', contentType: 'text/html' }],
    ['a JSON array', { status: 200, body: '[1,2,3]' }],
    ['a body labelled gzip that is neither gzip nor JSON', { status: 200, body: 'not gzip', headers: { 'Content-Encoding': 'gzip' } }],
  ];
  for (const [what, respond] of channelAnswers) {
    it(`GET /channels/{id} answered 200 with ${what}: the request rejects, the next one works`, async () => {
      await connected();
      faults.add({ method: 'GET', path: /^\/ari\/channels\/[^/]+$/, times: 1, respond });
      await assert.rejects(gateway.reconcile({ attempts: [], waitingCallIds: ['some-call'] }), (err: unknown) => {
        assert.ok(err instanceof AriRequestError, `an AriRequestError, not ${String(err)}`);
        assert.strictEqual(err.unanswered, true, 'an answer that cannot be read may hide a request that happened');
        return true;
      });
      await restWorks();
      noneEscaped();
    });
  }

  it('a gzip-encoded answer (never asked for, but well formed) is decoded and used', async () => {
    await connected();
    const body = gzipSync(JSON.stringify({ id: 'zipped-call', state: 'Up' }));
    faults.add({ method: 'GET', path: '/ari/channels/zipped-call', times: 1, respond: { status: 200, body, headers: { 'Content-Encoding': 'gzip' } } });
    const rest = (gateway as unknown as { rest: AriRest }).rest;
    assert.deepStrictEqual(await rest.getChannel('zipped-call'), { id: 'zipped-call', state: 'Up' });
    assert.strictEqual(faults.taken, 1);
    noneEscaped();
  });

  it('faults can be set and cleared over the control API (POST and DELETE /_sim/faults)', async () => {
    await connected();
    const control = (method: string, body?: unknown) =>
      fetch(`${sim.url}/_sim/faults`, { method, headers: { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    assert.strictEqual((await control('POST', { method: 'GET', pattern: '^/ari/channels/[^/]+$', respond: { status: 200, body: '{"id":' } })).status, 204);
    assert.strictEqual((await control('POST', { respond: { status: 200, body: '' } })).status, 400, 'a rule needs a path');
    await assert.rejects(gateway.reconcile({ attempts: [], waitingCallIds: ['some-call'] }), AriRequestError);
    assert.strictEqual((await control('DELETE')).status, 204);
    await restWorks();
    noneEscaped();
  });

  const descriptions: Array<[string, FaultRule]> = [
    ['resources.json as truncated JSON', { path: '/ari/api-docs/resources.json', respond: { status: 200, body: '{"apis":[{"path":' } }],
    ['resources.json as null', { path: '/ari/api-docs/resources.json', respond: { status: 200, body: 'null' } }],
    ['resources.json without paths', { path: '/ari/api-docs/resources.json', respond: { status: 200, body: '{"swaggerVersion":"1.2","apis":[{}]}' } }],
    ['channels.json as null', { path: '/ari/api-docs/channels.json', respond: { status: 200, body: 'null' } }],
    ['channels.json as truncated JSON', { path: '/ari/api-docs/channels.json', respond: { status: 200, body: '{"apiVersion":"2.0.0","apis":[' } }],
    ['channels.json without its operations', { path: '/ari/api-docs/channels.json', respond: { status: 200, body: '{"swaggerVersion":"1.2","resourcePath":"/api-docs/channels.{format}"}' } }],
    ['channels.json as text/plain garbage', { path: '/ari/api-docs/channels.json', respond: { status: 200, body: 'oops', contentType: 'text/plain' } }],
  ];
  for (const [what, rule] of descriptions) {
    it(`an API description (${what}) fails the attempt with a reason, and it is retried until it is good`, async () => {
      faults.add(rule);
      await gateway.start(listener);
      await until(() => logger.failedAttempts().length >= 3, 'three failed attempts', 8000);
      assert.strictEqual(gateway.isConnected(), false);
      for (const line of logger.failedAttempts()) assert.ok(String(line.meta.error).length > 0, 'each failure says why');
      assert.deepStrictEqual(logger.failedAttempts().slice(0, 3).map((l) => l.meta.retryInMs), [30, 60, 100], 'with backoff');
      faults.clear();
      await listener.next('connection', (r) => r.up, 5000);
      await restWorks();
      noneEscaped();
    });
  }

  it("swagger-client's own download of resources.json answered with null fails that attempt, and the next one connects", async () => {
    // The adapter's probe and ari-client's reachability check come first; the third download is swagger-client's.
    faults.add({ path: '/ari/api-docs/resources.json', after: 2, times: 1, respond: { status: 200, body: 'null' } });
    await gateway.start(listener);
    await listener.next('connection', (r) => r.up, 5000);
    assert.strictEqual(faults.taken, 1, 'the fault was hit');
    assert.strictEqual(logger.failedAttempts().length, 1);
    assert.match(String(logger.failedAttempts()[0].meta.error), /could not be read.*resources\.json/);
    await restWorks();
    noneEscaped();
  });
});
