import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const CHILD = path.join(__dirname, 'child.ts');

export interface Child {
  child: ChildProcess;
  /** The first line it printed, parsed. */
  firstLine: Promise<Record<string, unknown>>;
  exited: Promise<number | NodeJS.Signals | null>;
}

/** test/postgres/child.ts in a process of its own, stdin kept open (closing it ends `cluster`). */
export function startChild(...args: string[]): Child {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    void exited.then((how) => reject(new Error(`child ended (${String(how)}) before writing a line`)));
  });
  return { child, firstLine, exited };
}
