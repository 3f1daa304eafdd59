import path from 'node:path';
import { once } from 'node:events';
import { AriSimulator, type SimCall } from '../../src/asterisk/simulator';
import type { Config } from '../../src/config/types';
import { Daemon } from '../../src/daemon';
import type { Callback, Status } from '../../src/domain/types';
import { createSilentLogger } from '../../src/log';
import { createGateway } from '../../src/pbx/create-gateway';
import type { PbxGateway } from '../../src/pbx/gateway';
import { testConfig } from '../helpers/config';
import { FakeTimers, OffsetClock } from '../helpers/fake-timers';
import { removeDir, tempDir } from '../helpers/tmp';
import { idle, until } from '../helpers/wait';

export const MIN = 60_000;

/** A daemon driving the ARI simulator over the real wire, with a clock the test can move forward. */
export class AsteriskHarness {
  readonly dir = tempDir('callbackd-e2e-');
  readonly sim = new AriSimulator({ playbackMs: 5, dtmfGapMs: 20, secondMs: 1000 });
  readonly clock = new OffsetClock();
  readonly timers = new FakeTimers(this.clock);
  daemon!: Daemon;
  config!: Config;
  url = '';

  async start(transition: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<this> {
    this.url = (await this.sim.start()).url;
    this.config = testConfig({
      db: path.join(this.dir, 'callbackd.db'),
      pbx: 'asterisk',
      ari: { url: this.url, user: 'callbackd', password: 'callbackd', app: 'callbackd', reconnectMinMs: 50, reconnectMaxMs: 200, formVariables: ['CB_FORM_ACCOUNT'] },
      ivr: { firstDigitSeconds: 2, interDigitSeconds: 1 },
      transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0, maxAttempts: 3, retryMinutes: { busy: 5, no_answer: 10, agent_unanswered: 1 }, endpoint: 'PJSIP/{number}@trunk', callerId: '+420200000000', ringSeconds: 2, ...transition }],
      ...extra,
    });
    await this.boot();
    return this;
  }

  /** Start (or start again) a daemon on the same database. */
  async boot(): Promise<void> {
    const logger = createSilentLogger();
    const gateway = createGateway(this.config, logger, this.clock) as PbxGateway;
    this.daemon = await Daemon.open({ config: this.config, logger, clock: this.clock, timers: this.timers, gateway });
    await this.daemon.start();
    await this.until(() => gateway.isConnected(), 'the gateway to connect');
    await this.sim.waitForApp();
  }

  async stop(): Promise<void> {
    await this.daemon?.stop().catch(() => {});
    await this.sim.stop();
    removeDir(this.dir);
  }

  async callbacks(): Promise<Callback[]> {
    return (await this.daemon.store.list({ limit: 100 })).items;
  }

  /** Polls a condition the daemon reaches asynchronously over the wire (no fixed sleeps). */
  async until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    await until(check, what, timeoutMs);
  }

  async status(id: string, status: Status, timeoutMs = 10_000): Promise<Callback> {
    const get = () => this.daemon.store.get(id);
    await until(async () => (await get())?.status === status, async () => `callback ${id} to be ${status} (is ${(await get())?.status})`, timeoutMs);
    return (await get()) as Callback;
  }

  /** Moves the clock on, letting the daemon finish what each timer started (a claim, an attempt asked of the PBX). */
  async advance(ms: number): Promise<void> {
    await this.timers.advance(ms, () => idle(this.daemon));
  }

  /** The daemon has nothing in flight: what it asked of the PBX was asked. */
  idle(): Promise<void> {
    return idle(this.daemon);
  }

  /** Originations the simulator received for one customer number. */
  dialsTo(number: string): number {
    return this.sim.originations().filter((o) => String(o.endpoint ?? '').includes(number)).length;
  }

  /** A caller waiting in the queue, seen by the daemon. */
  async caller(number: string, queue = 'support'): Promise<SimCall> {
    const call = this.sim.callIntoQueue({ number, queue, form: { ACCOUNT: `acc-${number.slice(-3)}` } });
    await once(call, 'queued');
    await this.until(async () => (await this.daemon.store.getCall(call.channelId)) !== null, `call ${call.channelId} to be observed`);
    return call;
  }
}
