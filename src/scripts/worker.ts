/**
 * The thread one decision script runs in (started by slot.ts from dist/scripts/worker.js). It
 * loads the script once, then answers decisions one at a time. A loop or a runaway allocation
 * here ends this thread only: the main thread terminates it, or V8 does at the memory limit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import util from 'node:util';
import type { FromWorker, ToWorker, WorkerStart } from './protocol';
import type { DecideFunction, ScriptContext, ScriptInput } from './types';

const DETAIL_CHARS = 500;

const port = parentPort;
const start = workerData as WorkerStart;

/** The decision under way (the main thread sends one at a time); log lines and stray errors are put to it. */
let current: number | null = null;
let nextLookup = 1;
const lookups = new Map<number, { resolve: (row: Record<string, string> | null) => void; reject: (err: Error) => void }>();

function post(message: FromWorker): void {
  port?.postMessage(message);
}

/** An error in a line a supervisor can act on: what, and where in the script. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `threw ${util.inspect(err, { depth: 2, breakLength: Infinity })}`.slice(0, DETAIL_CHARS);
  const where = (err.stack ?? '').split('\n').find((line) => line.includes(start.file));
  return `${err.name}: ${err.message}${where ? ` (${where.trim()})` : ''}`.slice(0, DETAIL_CHARS);
}

function log(level: 'info' | 'warn' | 'error', message: unknown, fields: unknown): void {
  const plain = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? (fields as Record<string, unknown>) : {};
  const line = { type: 'log', id: current, level, message: String(message), fields: plain } as const;
  try {
    post(line);
  } catch {
    // A field that cannot cross (a function): sent as its printed form instead.
    post({ ...line, fields: { fields: util.inspect(plain, { depth: 3, breakLength: Infinity }) } });
  }
}

// console output goes to the daemon's log too, not into its stdout between JSON lines.
const consoleTo = (level: 'info' | 'warn' | 'error') => (...args: unknown[]) => log(level, util.format(...args), {});
console.log = consoleTo('info');
console.info = consoleTo('info');
console.debug = consoleTo('info');
console.warn = consoleTo('warn');
console.error = consoleTo('error');
const writeTo = (level: 'info' | 'warn') => (chunk: unknown, ...rest: unknown[]): boolean => {
  log(level, (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')).replace(/\n$/, ''), {});
  const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
  done?.();
  return true;
};
process.stdout.write = writeTo('info') as typeof process.stdout.write;
process.stderr.write = writeTo('warn') as typeof process.stderr.write;

function lookup(table: unknown, key: unknown): Promise<Record<string, string> | null> {
  if (typeof table !== 'string' || typeof key !== 'string') return Promise.reject(new TypeError('contacts.lookup(table, key) takes two strings'));
  const id = current;
  if (id === null) return Promise.reject(new Error('contacts.lookup was called outside a decision'));
  const lookupId = nextLookup++;
  return new Promise((resolve, reject) => {
    lookups.set(lookupId, { resolve, reject });
    post({ type: 'lookup', id, lookupId, table, key });
  });
}

function contextFor(input: ScriptInput): ScriptContext {
  return {
    ...input,
    log: {
      info: (message, fields) => log('info', message, fields),
      warn: (message, fields) => log('warn', message, fields),
      error: (message, fields) => log('error', message, fields),
    },
    contacts: { lookup: (table, key) => lookup(table, key) },
  };
}

function load(): DecideFunction {
  const mod: unknown = require(start.file);
  if (typeof mod === 'function') return mod as DecideFunction;
  const exported = (typeof mod === 'object' && mod !== null ? mod : {}) as { decide?: unknown; default?: unknown };
  if (typeof exported.decide === 'function') return exported.decide as DecideFunction;
  if (typeof exported.default === 'function') return exported.default as DecideFunction;
  throw new Error('the module exports no decide function: write module.exports = function decide(ctx) { … } (or exports.decide)');
}

async function run(decide: DecideFunction, id: number, input: ScriptInput): Promise<void> {
  current = id;
  let value: unknown;
  try {
    value = await decide(contextFor(input));
  } catch (err) {
    if (current === id) post({ type: 'threw', id, detail: describeError(err) });
    return;
  } finally {
    if (current === id) current = null;
  }
  try {
    post({ type: 'result', id, value });
  } catch (err) {
    post({ type: 'unsendable', id, detail: `the verdict cannot be read as data: ${err instanceof Error ? err.message : String(err)}`.slice(0, DETAIL_CHARS) });
  }
}

function main(): void {
  if (!port) throw new Error('worker.js runs as a worker thread of the script runner');
  // Work a script left behind (a timer, a promise nobody awaits) must not end the thread silently.
  process.on('unhandledRejection', (reason) => log('error', `unhandled rejection: ${describeError(reason)}`, {}));
  process.on('uncaughtException', (err) => {
    const id = current;
    log('error', `uncaught exception: ${describeError(err)}`, {});
    if (id !== null) {
      current = null;
      post({ type: 'threw', id, detail: describeError(err) });
    }
  });
  let decide: DecideFunction;
  try {
    decide = load();
  } catch (err) {
    post({ type: 'load-failed', detail: describeError(err) });
    return;
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'decide') {
      void run(decide, message.id, message.input);
      return;
    }
    const waiting = lookups.get(message.lookupId);
    if (!waiting) return;
    lookups.delete(message.lookupId);
    if (message.type === 'lookup-result') waiting.resolve(message.row);
    else waiting.reject(new Error(message.detail));
  });
  post({ type: 'ready' });
}

main();
