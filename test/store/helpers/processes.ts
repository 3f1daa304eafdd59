import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { StoreConfig } from '../../../src/store/open';

const CHILD = path.join(__dirname, 'child.ts');

export interface Child {
  child: ChildProcess;
  /** Resolves with the child's next line of output; lines are queued, never dropped. */
  nextLine(): Promise<string>;
  onLine(listener: (line: string) => void): void;
  send(line: string): void;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Start test/store/helpers/child.ts in `mode` on the store `config` names. */
export function startChild(mode: string, config: StoreConfig, ...args: string[]): Child {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), CHILD, mode, JSON.stringify(config), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const queued: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let listener: ((line: string) => void) | null = null;
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (listener) listener(line);
    else if (waiting.length > 0) waiting.shift()!(line);
    else queued.push(line);
  });
  return {
    child,
    exited,
    nextLine: () =>
      queued.length > 0
        ? Promise.resolve(queued.shift()!)
        : Promise.race([
            new Promise<string>((resolve) => waiting.push(resolve)),
            exited.then((how) => Promise.reject(new Error(`child ended (${String(how)}) before writing a line`))),
          ]),
    onLine: (fn) => {
      listener = fn;
      for (const line of queued.splice(0)) fn(line);
    },
    send: (line) => child.stdin!.write(`${line}\n`),
  };
}

/** Kill a child that is still running (a failed test must not leave one behind). */
export async function stopChild(c: Child): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await c.exited;
}
