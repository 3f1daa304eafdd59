import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '../../src/log';
import type { ScriptRunner, ScriptRunnerEvents } from '../../src/scripts/runner';
import type { ScriptInput } from '../../src/scripts/types';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The runner starts dist/scripts/worker.js (the build's output) even when the tests run its
 * TypeScript: a worker older than its source would test yesterday's code.
 */
export function assertWorkerBuilt(): void {
  const built = path.join(ROOT, 'dist', 'scripts', 'worker.js');
  const source = path.join(ROOT, 'src', 'scripts', 'worker.ts');
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first (npm test does)`);
  if (fs.statSync(built).mtimeMs < fs.statSync(source).mtimeMs) throw new Error(`${built} is older than ${source}: run "npm run build"`);
}

/** A logger whose lines the test can read. */
export function captureLog(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return {
    logger: createLogger({ level: 'debug', file: '' }, { stream }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export function writeScript(dir: string, name: string, source: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  return file;
}

/** A lost call's input, with whatever the test wants different. */
export function lostCallInput(over: Partial<ScriptInput> = {}): ScriptInput {
  return {
    trigger: 'LostShift',
    transition: 'lost-support',
    call: {
      id: 'call-1',
      number: '+420601111222',
      queue: 'support',
      enteredAt: '2026-03-02T09:00:00.000Z',
      endedAt: '2026-03-02T09:01:30.000Z',
      waitSeconds: 90,
      position: 3,
      result: 'abandoned',
      form: {},
    },
    callback: null,
    form: {},
    pending: [],
    proposal: { action: 'create', queue: 'support', number: '+420601111222', dueAt: '2026-03-02T09:06:30.000Z' },
    now: '2026-03-02T09:01:30.000Z',
    ...over,
  };
}

/** Resolves with the arguments of the runner's next `event` for which `match` holds. */
export function nextEvent<E extends keyof ScriptRunnerEvents>(
  runner: ScriptRunner,
  event: E,
  match: (...args: ScriptRunnerEvents[E]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<ScriptRunnerEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      runner.off(event, listener as never);
      reject(new Error(`no ${String(event)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: ScriptRunnerEvents[E]) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      runner.off(event, listener as never);
      resolve(args);
    };
    runner.on(event, listener as never);
  });
}
