import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { AriSimulator, type SimCall } from '../../src/asterisk/simulator';
import type { Callback } from '../../src/domain/types';
import type { CallbackStore } from '../../src/domain/store';
import { openStore } from '../../src/store/open';
import { SqliteStore } from '../../src/store/sqlite-store';
import { killed, startCli } from './cli';
import { removeDir, tempDir } from './tmp';
import { until } from './wait';

/**
 * The real daemon process (`callbackd run`) against the ARI simulator, in a directory of its own:
 * what the tests that kill, crash or stop it share.
 */
export class DaemonProcessRig {
  readonly dir: string;
  readonly sim = new AriSimulator({ playbackMs: 5, dtmfGapMs: 20 });
  env: Record<string, string> = {};
  child: ChildProcess | null = null;
  private store: CallbackStore | null = null;

  constructor(prefix: string) {
    this.dir = tempDir(prefix);
  }

  /** Starts the simulator; `transitions` become CALLBACKD_TRANSITIONS. */
  async open(transitions: readonly Record<string, unknown>[], extraEnv: Record<string, string> = {}): Promise<this> {
    const { url } = await this.sim.start();
    this.env = {
      CALLBACKD_DB: path.join(this.dir, 'callbackd.db'),
      CALLBACKD_PBX: 'asterisk',
      CALLBACKD_DEFAULT_COUNTRY: 'CZ',
      CALLBACKD_ARI_URL: url,
      CALLBACKD_ARI_PASSWORD: 'callbackd',
      CALLBACKD_ARI_RECONNECT_MIN_MS: '50',
      CALLBACKD_ARI_RECONNECT_MAX_MS: '200',
      CALLBACKD_IVR_FIRST_DIGIT_SECONDS: '2',
      CALLBACKD_TRANSITIONS: JSON.stringify(transitions),
      ...extraEnv,
    };
    // On PostgreSQL the reader is opened here (it connects); a SQLite file is opened on first use.
    if (this.env.CALLBACKD_STORE === 'postgres') this.store = await openStore({ store: 'postgres', storeUrl: this.env.CALLBACKD_STORE_URL, db: '' });
    return this;
  }

  async close(): Promise<void> {
    if (this.child) await killed(this.child, 'SIGKILL');
    this.child = null;
    await this.store?.close();
    this.store = null;
    await this.sim.stop();
    removeDir(this.dir);
  }

  /** `callbackd run`, ready and connected; returns its output so far. */
  async start(extraEnv: Record<string, string> = {}): Promise<() => string> {
    const started = await startCli(['run'], { ...this.env, ...extraEnv }, this.dir, /callbackd ready/);
    this.child = started.child;
    await this.sim.waitForApp();
    return started.output;
  }

  async kill(): Promise<void> {
    await killed(this.child as ChildProcess, 'SIGKILL');
    this.child = null;
    await this.until(() => !this.sim.appConnected(), 'the app to be gone');
  }

  /** The daemon killed itself at its crash point (testing.crashAt). */
  async crashed(): Promise<void> {
    const child = this.child as ChildProcess;
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    assert.equal(child.signalCode, 'SIGKILL', 'the daemon killed itself at the crash point');
    this.child = null;
    await this.until(() => !this.sim.appConnected(), 'the app to be gone');
  }

  async until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
    await until(check, what, ms, 20);
  }

  /** The database the daemon writes, read beside it. */
  db(): CallbackStore {
    this.store ??= SqliteStore.open(this.env.CALLBACKD_DB);
    return this.store;
  }

  async callbacks(): Promise<Callback[]> {
    return (await this.db().list({ limit: 10 })).items;
  }

  dialsTo(number: string): number {
    return this.sim.originations().filter((o) => String(o.endpoint ?? '').includes(number)).length;
  }

  /** A caller waiting in `queue`. */
  async caller(number: string, queue = 'support'): Promise<SimCall> {
    const call = this.sim.callIntoQueue({ number, queue });
    await this.until(() => this.sim.queueEntries(queue).some((e) => e.channelId === call.channelId), 'the caller in the queue');
    return call;
  }

  /** The caller presses 1 in the queue and a placeholder holds their place; `confirm` also confirms the number. */
  async holdPlace(call: SimCall, confirm: boolean, queue = 'support'): Promise<Callback> {
    call.pressDigits('1');
    await once(call, 'stasis');
    await this.until(async () => {
      const [held] = await this.callbacks();
      return held !== undefined && this.sim.queueEntries(queue).some((e) => e.placeholderFor === held.id);
    }, 'the held place');
    if (confirm) {
      call.pressDigits('1');
      await once(call, 'gone');
    }
    return (await this.callbacks())[0];
  }
}
