import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Attempt, CallEvent, CallRecord, Callback } from '../../src/domain/types';
import { SqliteStore } from '../../src/store/sqlite-store';
import { CLI, cliEnv, killed, runCli } from '../helpers/cli';
import { until } from './pbx';

/**
 * The real daemon (`node dist/cli.js run`) as a child process, configured only by CALLBACKD_*
 * variables, with its JSON log kept in a file; and its SQLite store, read by the test.
 */

export interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

export class DaemonProcess {
  readonly dbFile: string;
  readonly logFile: string;
  private child: ChildProcess | null = null;
  private output = '';
  private storeHandle: SqliteStore | null = null;
  readonly env: Record<string, string>;

  constructor(
    readonly dir: string,
    ari: { url: string; user: string; password: string },
    transition: Record<string, unknown>,
    extra: Record<string, string> = {},
  ) {
    this.dbFile = path.join(dir, 'callbackd.db');
    this.logFile = path.join(dir, 'daemon.log');
    this.env = {
      CALLBACKD_DB: this.dbFile,
      CALLBACKD_PBX: 'asterisk',
      CALLBACKD_DEFAULT_COUNTRY: 'CZ',
      CALLBACKD_LOG_LEVEL: 'debug',
      CALLBACKD_HTTP_PORT: '0',
      CALLBACKD_ARI_URL: ari.url,
      CALLBACKD_ARI_USER: ari.user,
      CALLBACKD_ARI_PASSWORD: ari.password,
      CALLBACKD_ARI_RECONNECT_MIN_MS: '100',
      CALLBACKD_ARI_RECONNECT_MAX_MS: '500',
      CALLBACKD_ARI_FORM_VARIABLES: JSON.stringify(['CB_FORM_ACCOUNT']),
      CALLBACKD_IVR_FIRST_DIGIT_SECONDS: '4',
      CALLBACKD_IVR_INTER_DIGIT_SECONDS: '3',
      CALLBACKD_TRANSITIONS: JSON.stringify([
        {
          name: 'support',
          sourceQueue: 'support',
          minWaitSeconds: 0,
          delayMinutes: 0,
          maxAttempts: 3,
          retryMinutes: { default: 10 },
          endpoint: 'Local/{number}@cbt-customers/n',
          callerId: '+420200000000',
          ringSeconds: 25,
          ...transition,
        },
      ]),
      ...extra,
    };
  }

  /** Starts `callbackd run` and resolves once it is connected to ARI. */
  async start(): Promise<void> {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run test:asterisk builds it first`);
    const from = this.output.length;
    const child = spawn(process.execPath, [CLI, 'run'], { env: cliEnv(this.env), cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output += text;
      fs.appendFileSync(this.logFile, text);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    fs.appendFileSync(this.logFile, `--- started pid ${child.pid} at ${new Date().toISOString()}\n`);
    await until(
      () => {
        if (child.exitCode !== null) throw new Error(`callbackd exited with ${child.exitCode}:\n${this.output.slice(from)}`);
        return this.output.slice(from).includes('"connected to ARI"');
      },
      'callbackd to connect to ARI',
      20_000,
      () => this.output.slice(from).slice(-2000),
    );
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: nothing is flushed, nothing is cleaned up. */
  async kill(): Promise<void> {
    if (this.child) await killed(this.child, 'SIGKILL');
    fs.appendFileSync(this.logFile, `--- SIGKILL at ${new Date().toISOString()}\n`);
    this.child = null;
  }

  /** SIGTERM: a clean stop. */
  async stop(): Promise<void> {
    if (this.child) await killed(this.child, 'SIGTERM');
    this.child = null;
  }

  /** Every JSON log line so far (all runs of this test). */
  lines(): LogLine[] {
    return this.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine;
        } catch {
          return { level: '?', message: l };
        }
      });
  }

  /** Log lines at warn or error (for the report when a test fails). */
  problems(): LogLine[] {
    return this.lines().filter((l) => l.level === 'warn' || l.level === 'error');
  }

  /** The daemon's own CLI against the same database (create, list, show ...). */
  cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    return runCli(args, this.env, this.dir);
  }

  get store(): SqliteStore {
    this.storeHandle ??= SqliteStore.open(this.dbFile);
    return this.storeHandle;
  }

  async callbacks(): Promise<Callback[]> {
    return (await this.store.list({ limit: 100 })).items;
  }

  get(id: string): Promise<Callback | null> {
    return this.store.get(id);
  }

  attemptsOf(id: string): Promise<Attempt[]> {
    return this.store.attemptsOf(id);
  }

  eventsOf(id: string): Promise<CallEvent[]> {
    return this.store.eventsOf(id);
  }

  call(id: string): Promise<CallRecord | null> {
    return this.store.getCall(id);
  }

  /** Waits for the callback to reach `status` (the error says where it is). */
  async status(id: string, status: Callback['status'], timeoutMs = 30_000): Promise<Callback> {
    await until(async () => (await this.get(id))?.status === status, `callback ${id} to be ${status}`, timeoutMs, async () => ({
      callback: await this.get(id),
      attempts: (await this.attemptsOf(id)).map((a) => `${a.seq}:${a.outcome ?? 'open'}:${a.detail ?? ''}`),
    }));
    return (await this.get(id)) as Callback;
  }

  /** The one callback of the test, once there is exactly one. */
  async only(what = 'the callback', timeoutMs = 20_000): Promise<Callback> {
    await until(async () => (await this.callbacks()).length === 1, what, timeoutMs, async () => (await this.callbacks()).map((c) => `${c.status} ${c.number}`));
    return (await this.callbacks())[0];
  }

  async close(): Promise<void> {
    await this.kill();
    await this.storeHandle?.close();
    this.storeHandle = null;
  }
}
