import assert from 'assert';
import { AriGateway, type AriTiming } from '../../src/asterisk/ari-gateway';
import type { AdapterLogger } from '../../src/asterisk/logging';
import { AriSimulator, type DestinationScript, type SimCall } from '../../src/asterisk/simulator';
import type { AriConfig, IvrPrompts } from '../../src/config/types';
import { systemClock } from '../../src/domain/clock';
import { RecordingListener, describeGatewayBehaviour, planFor, until, type CustomerScript, type GatewayHarness, type PbxControl } from '../pbx/gateway-behaviour';

const APP = 'callbackd';
const USER = 'callbackd-test';
const PASSWORD = 'pw-never-in-logs-7731';
const FORM_VARIABLES = ['CB_FORM_ACCOUNT', 'CB_FORM_REASON'];

const PROMPTS: IvrPrompts = {
  yourNumber: ['cb-your-number'],
  confirmOrChange: ['cb-confirm-or-change'],
  enterNumber: ['cb-enter-number'],
  invalidNumber: ['cb-invalid'],
  booked: ['cb-booked'],
  refused: ['cb-refused'],
  goodbye: ['cb-goodbye'],
  agentCalling: ['cb-agent-calling'],
  agentCustomerUnavailable: ['cb-customer-unavailable'],
  customerPressOne: ['cb-press-one'],
  calledAgainBooked: ['cb-called-again-booked'],
  calledAgainOptions: ['cb-called-again-options'],
  calledAgainKept: ['cb-called-again-kept'],
  calledAgainCancelled: ['cb-called-again-cancelled'],
};

/** Keeps every line (with its metadata) so tests can look for leaked secrets. */
class MemoryLogger implements AdapterLogger {
  constructor(
    readonly lines: Array<{ level: string; message: string; meta: Record<string, unknown> }> = [],
    private readonly base: Record<string, unknown> = {},
  ) {}
  info(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'info', message, meta: { ...this.base, ...meta } });
  }
  warn(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'warn', message, meta: { ...this.base, ...meta } });
  }
  error(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'error', message, meta: { ...this.base, ...meta } });
  }
  debug(message: string, meta: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'debug', message, meta: { ...this.base, ...meta } });
  }
  child(meta: Record<string, unknown>): AdapterLogger {
    return new MemoryLogger(this.lines, { ...this.base, ...meta });
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.meta)}`).join('\n');
  }
}

const SCRIPTS: Record<CustomerScript, DestinationScript['outcome']> = {
  answer: 'answer',
  busy: 'busy',
  no_answer: 'noanswer',
  congestion: 'congestion',
  rejected: 'rejected',
  invalid_number: 'invalid',
};

interface SimHarness extends GatewayHarness {
  sim: AriSimulator;
  logger: MemoryLogger;
}

async function simHarness(options: { password?: string; timing?: Partial<AriTiming> } = {}): Promise<SimHarness> {
  // One simulated "second" is 100 ms: ring timeouts and queue waits stay short.
  const sim = new AriSimulator({ app: APP, user: USER, password: PASSWORD, secondMs: 100, playbackMs: 10, dtmfGapMs: 15 });
  for (const queue of ['support', 'sales']) {
    sim.addQueue(queue, { members: [{ name: `agent-${queue}`, answerAfterMs: 30, talkMs: 1500, state: 'paused' }], ringTimeoutMs: 2000, retryMs: 50 });
  }
  const { url } = await sim.start();
  const ari: AriConfig = { url, user: USER, password: options.password ?? PASSWORD, app: APP, reconnectMinMs: 30, reconnectMaxMs: 200, formVariables: FORM_VARIABLES };
  const logger = new MemoryLogger();
  const newGateway = () =>
    new AriGateway({
      ari,
      prompts: PROMPTS,
      formVariables: FORM_VARIABLES,
      logger,
      clock: systemClock,
      timing: { requestTimeoutMs: 2000, connectTimeoutMs: 2000, confirmDigitMs: 400, orphanGraceMs: 2000, ...options.timing },
    });
  const calls = new Map<string, SimCall>();
  const endpointFor = (number: string) => `PJSIP/${number}@trunk`;
  const call = (id: string): SimCall => {
    const found = calls.get(id);
    if (!found) throw new Error(`unknown call ${id}`);
    return found;
  };
  const pbx: PbxControl = {
    async callerEntersQueue({ number, queue, form }) {
      const placed = sim.callIntoQueue({ number, queue, form });
      calls.set(placed.channelId, placed);
      return placed.channelId;
    },
    async callerEntersCallbackNode({ number, queue, delayMinutes, form }) {
      const placed = sim.callIntoCallbackNode({ number, queue, delayMinutes, form });
      calls.set(placed.channelId, placed);
      return placed.channelId;
    },
    callerPresses: (callId, digits) => call(callId).pressDigits(digits),
    async callerHangsUp(callId) {
      call(callId).hangup();
    },
    isUp: (callId) => sim.channels().some((c) => c.id === callId),
    async agentsAvailable(queue) {
      sim.setMember(queue, `agent-${queue}`, { state: 'available' });
    },
    async agentsPaused(queue) {
      sim.setMember(queue, `agent-${queue}`, { state: 'paused' });
    },
    async agentsTalkFor(queue, ms) {
      sim.setMember(queue, `agent-${queue}`, { talkMs: ms });
    },
    waiting: async (queue) => sim.queueEntries(queue).length,
    scriptCustomer(number, outcome, opts = {}) {
      sim.scriptDestination(endpointFor(number), { outcome: SCRIPTS[outcome], afterMs: opts.ringMs ?? 40, digitsAfterAnswer: opts.digitsAfterAnswer, digitsDelayMs: 80, talkMs: opts.talkMs });
    },
    dialledCount: (number) => sim.originations().filter((o) => o.endpoint === endpointFor(number)).length,
    unusableEndpoint: () => 'Bogus/nowhere',
    endpointFor,
    cutLink: () => sim.setReachable(false),
    restoreLink: () => sim.setReachable(true),
    liveCalls: () => sim.channels().length,
  };
  const harness: SimHarness = {
    gateway: newGateway(),
    listener: new RecordingListener(),
    pbx,
    sim,
    logger,
    async restart() {
      await harness.gateway.stop();
      harness.gateway = newGateway();
      harness.listener = new RecordingListener();
      await harness.gateway.start(harness.listener);
    },
    async close() {
      await harness.gateway.stop();
      await sim.stop();
    },
  };
  await harness.gateway.start(harness.listener);
  return harness;
}

describeGatewayBehaviour('Asterisk ARI (simulated)', simHarness);

describe('Asterisk ARI adapter specifics (simulated)', function () {
  this.timeout(15000);
  let h: SimHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('originates the placeholder as the shipped dialplan expects, with ids chosen before the request', async () => {
    h = await simHarness();
    await h.listener.next('connection', (r) => r.up);
    await h.pbx.agentsPaused('support');
    const plan = planFor(h.pbx, { number: '+420607777001', queue: 'support', mode: 'agent-first', position: 3 });
    await h.gateway.startAttempt(plan);
    const [origination] = h.sim.originations();
    assert.strictEqual(origination.endpoint, 'Local/s@callbackd-placeholder/n');
    assert.strictEqual(origination.app, APP);
    assert.strictEqual(origination.appArgs, `placeholder,${plan.attemptId}`);
    assert.strictEqual(origination.channelId, plan.placeholderRef);
    assert.strictEqual(String(origination.timeout), '-1');
    assert.match(String(origination.callerId), /\+420607777001/);
    const variables = h.sim.channelVariables(plan.placeholderRef as string);
    assert.ok(variables);
    assert.strictEqual(variables.CB_ID, plan.callbackId);
    assert.strictEqual(variables.CB_QUEUE, 'support');
    assert.strictEqual(variables.CB_POS, '3');
    assert.strictEqual(variables.CB_ATTEMPT, plan.attemptId);
    const subscribed = h.sim.requests().some((r) => r.method === 'POST' && r.path === `/applications/${APP}/subscription`);
    assert.ok(subscribed, 'the placeholder channel is subscribed to explicitly');
  });

  it('joins agent and customer in a mixing bridge with channel as a query parameter, and deletes it afterwards', async () => {
    h = await simHarness();
    await h.listener.next('connection', (r) => r.up);
    const number = '+420607777002';
    h.pbx.scriptCustomer(number, 'answer', { talkMs: 200 });
    await h.pbx.agentsAvailable('support');
    const plan = planFor(h.pbx, { number, queue: 'support', mode: 'agent-first' });
    await h.gateway.startAttempt(plan);
    assert.strictEqual((await h.listener.next('ended', (r) => r.ref.attemptId === plan.attemptId)).outcome, 'answered');
    const add = h.sim.requests().find((r) => r.method === 'POST' && /\/bridges\/[^/]+\/addChannel$/.test(r.path));
    assert.ok(add, 'addChannel was called');
    assert.strictEqual(add.status, 204);
    assert.strictEqual(add.query.channel, `${plan.placeholderRef},${plan.customerRef}`);
    const customer = h.sim.originations().find((o) => o.channelId === plan.customerRef);
    assert.ok(customer);
    assert.strictEqual(customer.appArgs, `customer,${plan.attemptId}`);
    assert.strictEqual(String(customer.timeout), String(plan.ringSeconds));
    await until(() => h.sim.bridges().length === 0, 'the Stasis bridge is deleted');
    await until(() => h.pbx.liveCalls() === 0, 'nobody is left on the line');
  });

  it('never logs the ARI password, also when Asterisk refuses it', async () => {
    h = await simHarness({ password: 'wrong-password-5521' });
    await until(() => h.logger.lines.some((l) => l.message === 'ARI connection attempt failed'), 'a refused attempt is logged');
    assert.strictEqual(h.gateway.isConnected(), false);
    assert.ok(!h.logger.text().includes('wrong-password-5521'), h.logger.text());
  });

  it('comes back by itself after a network drop without a close frame', async () => {
    h = await simHarness();
    await h.listener.next('connection', (r) => r.up);
    h.sim.dropConnections();
    await h.listener.next('connection', (r) => !r.up);
    await until(() => h.listener.of('connection').filter((r) => r.up).length >= 2, 'connected again');
    await h.sim.waitForApp();
  });

  it('frees an agent who took the placeholder of an attempt nobody adopted after a restart', async () => {
    h = await simHarness({ timing: { orphanGraceMs: 300 } });
    await h.listener.next('connection', (r) => r.up);
    await h.pbx.agentsPaused('support');
    const plan = planFor(h.pbx, { number: '+420607777004', queue: 'support', mode: 'agent-first' });
    await h.gateway.startAttempt(plan);
    await until(async () => (await h.pbx.waiting('support')) === 1, 'the placeholder waits');
    await h.restart();
    await h.listener.next('connection', (r) => r.up);
    await h.pbx.agentsAvailable('support');
    await until(() => h.pbx.liveCalls() === 0, 'the placeholder is hung up after the grace period');
    assert.strictEqual(h.listener.of('placeholderAnswered').length, 0);
    assert.strictEqual(h.sim.originations().length, 1, 'nobody was dialled');
  });

  it('logs call lines with the call id and queue', async () => {
    h = await simHarness();
    await h.listener.next('connection', (r) => r.up);
    await h.pbx.agentsPaused('support');
    const callId = await h.pbx.callerEntersQueue({ number: '+420607777003', queue: 'support' });
    await h.listener.next('entered', (r) => r.e.callId === callId);
    const line = h.logger.lines.find((l) => l.message === 'queue call entered');
    assert.ok(line);
    assert.strictEqual(line.meta.callId, callId);
    assert.strictEqual(line.meta.queue, 'support');
    assert.ok(!h.logger.text().includes(PASSWORD));
    assert.deepStrictEqual(h.sim.warnings(), []);
  });
});
