import assert from 'assert';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseAriEvent } from '../../src/asterisk/events';
import { AriSimulator } from '../../src/asterisk/simulator';
import { Daemon } from '../../src/daemon';
import { createLogger } from '../../src/log';
import { createGateway } from '../../src/pbx/create-gateway';
import type { PbxGateway } from '../../src/pbx/gateway';
import { testConfig } from '../helpers/config';
import { removeDir, tempDir } from '../helpers/tmp';
import { until } from '../pbx/gateway-behaviour';

const MB = 1_000_000;
/** No log line may come near this; the logger's own cap is far below it. */
const SANE_LINE = 20_000;

function stasisStart(id: string, args: unknown[], caller: Record<string, unknown>): string {
  return JSON.stringify({ type: 'StasisStart', application: 'callbackd', args, channel: { id, name: `PJSIP/trunk-${id}`, state: 'Up', caller, dialplan: { context: 'x', exten: 's', priority: 1 } } });
}

/**
 * Events whose fields are of the wrong type or absurdly large, sent as raw frames by the
 * simulator to the real daemon: they are normalised at the adapter's edge (a number 5 is "5", a
 * megabyte number is refused) and no log line grows with them.
 */
describe('Asterisk ARI adapter against hostile event fields', function () {
  this.timeout(20000);
  let dir: string;
  let sim: AriSimulator;
  let daemon: Daemon;
  let chunks: string[];
  const lines = () => chunks.join('').split('\n').filter((l) => l !== '');

  beforeEach(async () => {
    dir = tempDir('callbackd-hostile-');
    sim = new AriSimulator({ playbackMs: 5 });
    const { url } = await sim.start();
    const config = testConfig({
      db: path.join(dir, 'callbackd.db'),
      pbx: 'asterisk',
      log: { level: 'debug' },
      ari: { url, user: 'callbackd', password: 'callbackd', app: 'callbackd', reconnectMinMs: 50, reconnectMaxMs: 200 },
      transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0 }],
    });
    chunks = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const logger = createLogger(config.log, { stream });
    const gateway = createGateway(config, logger) as PbxGateway;
    daemon = await Daemon.open({ config, logger, gateway });
    await daemon.start();
    await until(() => gateway.isConnected(), 'the gateway to connect');
    await sim.waitForApp();
  });
  afterEach(async () => {
    await daemon.stop().catch(() => undefined);
    await sim.stop();
    removeDir(dir);
  });

  const send = (frame: string) => assert.strictEqual(sim.sendRawEvent(frame), 1, 'the daemon is connected');
  const noHugeLines = () => {
    const longest = Math.max(...lines().map((l) => l.length));
    assert.ok(longest < SANE_LINE, `the longest log line has ${longest} characters`);
  };

  it('a caller number sent as the JSON number 5 is recorded as "5", without a stack trace', async () => {
    // Through the control API (POST /_sim/ws) this time, as a tool outside the process would send it.
    const res = await fetch(`${sim.url}/_sim/ws`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('callbackd:callbackd').toString('base64')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ frame: stasisStart('raw-number-5', ['observe', 'support'], { name: 'x', number: 5 }) }),
    });
    assert.deepStrictEqual(await res.json(), { sent: 1 });
    await until(async () => (await daemon.store.getCall('raw-number-5')) !== null, 'the queue call to be recorded');
    assert.strictEqual((await daemon.store.getCall('raw-number-5'))?.number, '5');
    assert.ok(!chunks.join('').includes('is not a function'), 'no TypeError was logged');
  });

  it('a one-megabyte caller number is refused with a short warning; the call is recorded without it', async () => {
    send(stasisStart('raw-huge-number', ['observe', 'support'], { name: 'x', number: '6'.repeat(MB) }));
    await until(async () => (await daemon.store.getCall('raw-huge-number')) !== null, 'the queue call to be recorded');
    const number = (await daemon.store.getCall('raw-huge-number'))?.number;
    assert.ok(number === null, `the number is refused, not kept (${String(number).length} characters)`);
    await until(() => lines().some((l) => l.includes('ARI event fields cut to size')), 'the warning');
    assert.match(lines().find((l) => l.includes('ARI event fields cut to size')) ?? '', /caller\.number: 1000000 characters, refused/);
    noHugeLines();
  });

  it('a one-megabyte CALLERID(num) over REST is refused: the call keeps the number its event had', async () => {
    sim.addQueue('support');
    sim.faults.add({ method: 'GET', path: /\/variable$/, times: 1, respond: { status: 200, body: JSON.stringify({ value: '7'.repeat(MB) }) } });
    const call = sim.callIntoQueue({ number: '+420601000009', queue: 'support' });
    await until(() => sim.requests().some((r) => r.path === `/channels/${call.channelId}/continue`), 'the observe hop to end');
    assert.strictEqual(sim.faults.taken, 1);
    assert.strictEqual((await daemon.store.getCall(call.channelId))?.number, '+420601000009');
    noHugeLines();
  });

  it('one-megabyte arguments are cut, and the unknown-arguments warning stays short', async () => {
    send(stasisStart('raw-huge-args', ['x'.repeat(MB), 'y'.repeat(MB)], { number: '+420601000001' }));
    await until(() => lines().some((l) => l.includes('unknown arguments')), 'the unknown-arguments warning');
    noHugeLines();
  });

  it('a one-megabyte event type or a frame that is not JSON is skipped in a short line', async () => {
    send(JSON.stringify({ type: 'T'.repeat(MB), channel: { id: 'raw-type' } }));
    send(`{"type":"StasisStart","channel":{"id":"${'z'.repeat(MB)}`);
    await until(() => lines().filter((l) => l.includes('ARI event')).length >= 2, 'two skipped frames');
    noHugeLines();
  });
});

describe('parseAriEvent field normalisation', () => {
  const parsed = (frame: string) => {
    const result = parseAriEvent(frame);
    assert.ok('event' in result, `parsed: ${JSON.stringify(result).slice(0, 200)}`);
    return result;
  };

  it('turns numbers into text, drops objects, cuts long text and refuses long numbers', () => {
    const { event, notes } = parsed(stasisStart('c1', ['observe', 7, { a: 1 }, 'q'.repeat(1000)], { name: { first: 'x' }, number: 420601000001 }));
    assert.ok(event.type === 'StasisStart');
    assert.deepStrictEqual(event.args.slice(0, 3), ['observe', '7', '']);
    assert.strictEqual(event.args[3].length, 257, '256 characters and an ellipsis');
    assert.deepStrictEqual(event.channel.caller, { number: '420601000001' });
    assert.ok(notes.some((n) => n.startsWith('channel.caller.name: not a string')));
    const long = parsed(stasisStart('c2', [], { number: '1'.repeat(65) }));
    assert.ok(long.event.type === 'StasisStart' && long.event.channel.caller?.number === undefined);
  });

  it('refuses a channel whose id is not a short string', () => {
    assert.deepStrictEqual(parseAriEvent(JSON.stringify({ type: 'StasisEnd', channel: { id: 42 } })), { skipped: 'channel missing', type: 'StasisEnd' });
    assert.deepStrictEqual(parseAriEvent(JSON.stringify({ type: 'StasisEnd', channel: { id: 'i'.repeat(300) } })), { skipped: 'channel missing', type: 'StasisEnd' });
  });

  it('keeps UserEvent fields that are strings, numbers or booleans, cut to size', () => {
    const { event } = parsed(JSON.stringify({ type: 'ChannelUserevent', eventname: 'CallbackdQueueCallGone', channel: { id: 'u1' }, userevent: { abandoned: 'TRUE', position: 3, x: { y: 1 }, big: 'b'.repeat(MB) } }));
    assert.ok(event.type === 'ChannelUserevent');
    assert.deepStrictEqual(Object.keys(event.userevent), ['abandoned', 'position', 'big']);
    assert.strictEqual(String(event.userevent.big).length, 257);
  });
});
