import assert from 'assert';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { WebSocketServer, type WebSocket } from 'ws';
import { AriGateway } from '../../src/asterisk/ari-gateway';
import type { AdapterLogger } from '../../src/asterisk/logging';
import { AriSimulator } from '../../src/asterisk/simulator';
import type { IvrPrompts } from '../../src/config/types';
import { systemClock } from '../../src/domain/clock';
import { RecordingListener, until } from '../pbx/gateway-behaviour';

const PROMPTS: IvrPrompts = {
  yourNumber: [],
  confirmOrChange: [],
  enterNumber: [],
  invalidNumber: [],
  booked: [],
  refused: [],
  goodbye: [],
  agentCalling: [],
  agentCustomerUnavailable: [],
  customerPressOne: [],
  calledAgainBooked: [],
  calledAgainOptions: [],
  calledAgainKept: [],
  calledAgainCancelled: [],
};

class MemoryLogger implements AdapterLogger {
  constructor(readonly lines: Array<{ message: string; meta: Record<string, unknown> }> = []) {}
  info(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ message, meta });
  }
  warn(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ message, meta });
  }
  error(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ message, meta });
  }
  debug(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ message, meta });
  }
  child(): AdapterLogger {
    return this;
  }
}

/**
 * What arrives on the wire that the simulator would never send: frames that are not events, event
 * types the adapter does not know, and an API description that fails half-way. None may stop the
 * daemon. A small HTTP front passes REST to a simulator and serves the event socket itself.
 */
interface Front {
  url: string;
  sockets: WebSocket[];
  failApi: boolean;
  close(): Promise<void>;
}

async function front(backend: string): Promise<Front> {
  const target = new URL(backend);
  const wss = new WebSocketServer({ noServer: true });
  const state: Front = { url: '', sockets: [], failApi: false, close: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (state.failApi && req.url?.startsWith('/ari/api-docs/') && !req.url.includes('resources.json')) {
      res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"message":"Internal Server Error"}');
      return;
    }
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => state.sockets.push(ws)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const ws of state.sockets) ws.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

describe('Asterisk ARI adapter on a hostile wire', function () {
  this.timeout(15000);
  let sim: AriSimulator;
  let fake: Front;
  let gateway: AriGateway;
  let logger: MemoryLogger;
  let listener: RecordingListener;

  beforeEach(async () => {
    sim = new AriSimulator({ app: 'callbackd', user: 'u', password: 'p' });
    fake = await front((await sim.start()).url);
    logger = new MemoryLogger();
    listener = new RecordingListener();
    gateway = new AriGateway({
      ari: { url: fake.url, user: 'u', password: 'p', app: 'callbackd', reconnectMinMs: 30, reconnectMaxMs: 100, formVariables: [] },
      prompts: PROMPTS,
      formVariables: [],
      logger,
      clock: systemClock,
      timing: { requestTimeoutMs: 1000, connectTimeoutMs: 1000 },
    });
  });
  afterEach(async () => {
    await gateway.stop();
    await fake.close();
    await sim.stop();
  });

  it('logs and skips frames that are not usable events, and keeps handling the good ones', async () => {
    await gateway.start(listener);
    await listener.next('connection', (r) => r.up);
    const ws = fake.sockets[0];
    for (const frame of ['{not json', '[]', '{"type":"StasisStart"}', '{"type":"Dial","peer":null}', '{"type":"BrandNewEvent","x":1}']) ws.send(frame);
    ws.send(JSON.stringify({ type: 'StasisStart', args: ['somebody-else'], channel: { id: 'stray-1' } }));
    await until(() => logger.lines.some((l) => l.message.startsWith('channel entered the application with unknown arguments')), 'the good event is handled');
    const skipped = logger.lines.filter((l) => l.message === 'ARI event skipped');
    assert.strictEqual(skipped.length, 4, 'unknown event types are skipped quietly, broken ones with a warning');
    assert.strictEqual(gateway.isConnected(), true);
    assert.deepStrictEqual(listener.of('connection').map((r) => r.up), [true]);
  });

  it('retries an API description that fails half-way instead of crashing', async () => {
    fake.failApi = true;
    await gateway.start(listener);
    await until(() => logger.lines.filter((l) => l.message === 'ARI connection attempt failed').length >= 2, 'two failed attempts');
    assert.strictEqual(gateway.isConnected(), false);
    fake.failApi = false;
    await listener.next('connection', (r) => r.up);
  });

  it('reconnects forever, with growing delays, while Asterisk stays away', async () => {
    await sim.setReachable(false);
    await gateway.start(listener);
    await until(() => logger.lines.filter((l) => l.message === 'ARI connection attempt failed').length >= 4, 'four failed attempts');
    const delays = logger.lines.filter((l) => l.message === 'ARI connection attempt failed').map((l) => l.meta.retryInMs);
    assert.deepStrictEqual(delays.slice(0, 4), [30, 60, 100, 100]);
    await sim.setReachable(true);
    await listener.next('connection', (r) => r.up, 3000);
  });
});
