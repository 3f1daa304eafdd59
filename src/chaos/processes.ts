import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** dist/cli.js of this checkout, whether the storm runs compiled (dist/chaos) or from source (src/chaos). */
export function cliPath(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  const cli = path.join(dir, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  return cli;
}

/** The child sees only the storm's CALLBACKD_* settings, never the developer's own. */
function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CALLBACKD_')) env[k] = v;
  // Several daemons run at once, each with its HTTP API: any free port, unless the storm names one.
  return { ...env, CALLBACKD_HTTP_PORT: '0', ...vars };
}

const READY = /callbackd ready/;

/**
 * One `callbackd run` after another in the same directory. Each run's stdout and stderr are
 * appended to one log file with a header, so a failure can be read against the kill that
 * preceded it. Exits the storm did not cause are counted: the daemon must not die by itself.
 */
export class DaemonProcess {
  private child: ChildProcess | null = null;
  private runs = 0;
  private expectingExit = false;
  readonly unexpectedExits: Array<{ run: number; at: number; code: number | null; signal: string | null }> = [];
  private readonly log: fs.WriteStream;

  constructor(
    private readonly env: Record<string, string>,
    private readonly cwd: string,
    logFile: string,
  ) {
    this.log = fs.createWriteStream(logFile, { flags: 'a' });
  }

  get running(): boolean {
    return this.child !== null;
  }

  get started(): number {
    return this.runs;
  }

  /** Resolves once the daemon logged that it is ready. */
  start(timeoutMs = 20_000): Promise<void> {
    if (this.child) throw new Error('the daemon is already running');
    const run = ++this.runs;
    const child = spawn(process.execPath, [cliPath(), 'run'], { env: childEnv(this.env), cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.expectingExit = false;
    this.log.write(`----- run ${run} (pid ${child.pid}) started ${new Date().toISOString()}\n`);
    let tail = '';
    let ready = false;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`daemon run ${run} not ready within ${timeoutMs} ms`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        this.log.write(chunk);
        if (ready) return;
        // The ready line may be split across chunks; a short tail is enough to see it whole.
        tail = (tail + chunk.toString()).slice(-4096);
        if (READY.test(tail)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.log.write(`----- run ${run} ended ${new Date().toISOString()}: ${signal ?? `exit ${code}`}\n`);
        if (this.child === child) this.child = null;
        if (!this.expectingExit) this.unexpectedExits.push({ run, at: Date.now(), code, signal });
        if (!ready) reject(new Error(`daemon run ${run} exited (${signal ?? code}) before it was ready`));
      });
    });
  }

  /** Sends `signal` and resolves when the process is gone. */
  stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.expectingExit = true;
    return new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Waits for the log file to be flushed. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `callbackd <args>` against the same database while the daemon runs. Asynchronous on purpose:
 * the simulator lives in this process, and a blocking spawn would freeze every simulated call.
 */
export function runCli(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 20_000): Promise<CliResult> {
  return new Promise<CliResult>((resolve) => {
    const child = spawn(process.execPath, [cliPath(), ...args], { env: childEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
