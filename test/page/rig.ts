import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startApi, type ApiHandle } from '../../src/api/server';
import { AriSimulator, type SimCall } from '../../src/asterisk/simulator';
import type { Config } from '../../src/config/types';
import { Daemon } from '../../src/daemon';
import type { Callback, Status } from '../../src/domain/types';
import { createSilentLogger } from '../../src/log';
import { createGateway } from '../../src/pbx/create-gateway';
import type { PbxGateway } from '../../src/pbx/gateway';
import { testConfig } from '../helpers/config';
import { removeDir, tempDir } from '../helpers/tmp';
import { until } from '../helpers/wait';

export const CHROMIUM = '/usr/bin/chromium';
export const OPERATOR_TOKEN = 'page-test-operator-token';
export const VIEWER_TOKEN = 'page-test-viewer-token';
/** Where the screenshots go (git-ignored): test-output/page under the repository. */
export const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'page');

/** Without the background-networking flags Chromium keeps reaching out, and on a closed network that makes it slow. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Whether the page's suites can run: Debian's Chromium at /usr/bin/chromium. Missing: the suite is
 * pending with the reason printed, except on CI (CI=true), where it fails.
 */
export function requireChromium(ctx: Mocha.Context): void {
  if (fs.existsSync(CHROMIUM)) return;
  const why = `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to drive the supervisor page`;
  if (process.env.CI === 'true') throw new Error(why);
  console.log(`      (pending: ${why})`);
  ctx.skip();
}

/**
 * A real daemon (SQLite in a temp dir, real clock and timers) driving the ARI simulator, its HTTP
 * API and the page on a free port, and a headless Chromium to look at it.
 */
export class PageRig {
  readonly dir = tempDir('callbackd-page-');
  readonly sim = new AriSimulator({ playbackMs: 5, dtmfGapMs: 20, secondMs: 1000 });
  daemon!: Daemon;
  config!: Config;
  url = '';
  private api: ApiHandle | null = null;
  private context: BrowserContext | null = null;
  private browserDir = '';
  /** Every URL the page asked for: nothing may leave the daemon's origin. */
  readonly requested: string[] = [];

  async start(): Promise<this> {
    const ari = (await this.sim.start()).url;
    // support: a caller who waits under 20 s and hangs up gets no automatic callback (the grid's button is for them);
    // sales: every abandoned call becomes a LostShift callback.
    const rule = { endpoint: 'PJSIP/{number}@trunk', callerId: '+420200000000', ringSeconds: 2, maxAttempts: 2, retryMinutes: { busy: 30, no_answer: 30, agent_unanswered: 5 } };
    this.config = testConfig({
      db: path.join(this.dir, 'callbackd.db'),
      pbx: 'asterisk',
      ari: { url: ari, user: 'callbackd', password: 'callbackd', app: 'callbackd', reconnectMinMs: 50, reconnectMaxMs: 200, formVariables: ['CB_FORM_ACCOUNT'] },
      ivr: { firstDigitSeconds: 2, interDigitSeconds: 1 },
      http: { host: '127.0.0.1', port: 0 },
      api: { token: OPERATOR_TOKEN, viewerToken: VIEWER_TOKEN },
      transitions: [
        { name: 'support', sourceQueue: 'support', minWaitSeconds: 20, delayMinutes: 0, ...rule },
        { name: 'sales', sourceQueue: 'sales', minWaitSeconds: 0, delayMinutes: 0, ...rule },
      ],
    });
    for (const queue of ['support', 'sales']) this.sim.addQueue(queue, { members: [{ name: `${queue}-agent`, answerAfterMs: 50, talkMs: 150 }] });
    const logger = createSilentLogger();
    const gateway = createGateway(this.config, logger) as PbxGateway;
    this.daemon = await Daemon.open({ config: this.config, logger, gateway });
    await this.daemon.start();
    await until(() => gateway.isConnected(), 'the gateway to connect');
    await this.sim.waitForApp();
    const api = await startApi({ service: this.daemon.service, config: this.config, logger, health: { store: this.daemon.store, pbxConnected: () => gateway.isConnected(), owner: this.daemon.owner } });
    this.api = api;
    this.url = api.url.replace(/\/$/, '');
    return this;
  }

  /** A new browser tab (one profile, in a fresh temp dir, for the rig's life), `size`, at `pathAndQuery` on the daemon. */
  async open(pathAndQuery = `/?token=${OPERATOR_TOKEN}`, size = { width: 1280, height: 800 }): Promise<Page> {
    if (!this.context) {
      this.browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-chromium-'));
      this.context = await chromium.launchPersistentContext(this.browserDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: size });
      this.context.on('request', (r) => this.requested.push(r.url()));
    }
    const page = await this.context.newPage();
    await page.setViewportSize(size);
    page.on('pageerror', (err) => console.log(`      page error: ${err.message}`));
    page.on('console', (msg) => {
      // The browser's own line for every refused request is left out: the tests provoke refusals and check their words on the page.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) console.log(`      page console: ${msg.text()}`);
    });
    await page.goto(this.url + pathAndQuery);
    return page;
  }

  /** The page once signed in: the grid read and the live stream connected. */
  async openLive(size?: { width: number; height: number }): Promise<Page> {
    const page = await this.open(undefined, size);
    await page.locator('#conn[data-state=live]').waitFor();
    await page.locator('#callbacks-grid tbody tr, #view-callbacks .empty:not([hidden])').first().waitFor();
    return page;
  }

  /** Cuts every open connection to the API (the page's event stream among them), as a proxy or a network would. */
  cutConnections(): void {
    this.api?.app.server.closeAllConnections();
  }

  async shot(page: Page, name: string): Promise<string> {
    fs.mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
    return file;
  }

  async stop(): Promise<void> {
    await this.context?.close().catch(() => {});
    if (this.browserDir) removeDir(this.browserDir);
    await this.api?.close().catch(() => {});
    await this.daemon?.stop().catch(() => {});
    await this.sim.stop();
    removeDir(this.dir);
  }

  /** A manual callback made through the service (as the CLI or another front end would). */
  async manual(number: string, queue: string, delayMinutes: number, note: string | null = null): Promise<Callback> {
    return (await this.daemon.service.create({ number, queue, delayMinutes, note, by: 'test' })).callback;
  }

  async status(id: string, status: Status, timeoutMs = 10_000): Promise<Callback> {
    const get = () => this.daemon.store.get(id);
    await until(async () => (await get())?.status === status, async () => `callback ${id} to be ${status} (is ${(await get())?.status})`, timeoutMs);
    return (await get()) as Callback;
  }

  /** A caller who waits in `queue` (nobody free to answer) and hangs up: an abandoned call, decided. */
  async abandoned(number: string, queue: string): Promise<SimCall> {
    this.sim.setMember(queue, `${queue}-agent`, { state: 'paused' });
    const call = this.sim.callIntoQueue({ number, queue, form: { ACCOUNT: `acc-${number.slice(-3)}` } });
    await once(call, 'queued');
    await until(async () => (await this.daemon.store.getCall(call.channelId)) !== null, `call ${call.channelId} to be observed`);
    call.hangup();
    await until(async () => (await this.daemon.store.getCall(call.channelId))?.lostDecision != null, `the LostShift decision on ${call.channelId}`);
    this.sim.setMember(queue, `${queue}-agent`, { state: 'available' });
    return call;
  }
}
