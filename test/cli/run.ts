import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { CLI, cliEnv } from '../helpers/cli';

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * `callbackd <args>` as a child process, killed after `timeoutMs`: a command that hangs fails
 * the test with a status of null instead of holding the suite.
 */
export function cli(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 10_000): Ran {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { env: cliEnv(env), cwd, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** The command failed with `status`, saying so in exactly one line on stderr, no stack trace; returns that line. */
export function failedInOneLine(r: Ran, status: number, what = ''): string {
  assert.notEqual(r.status, null, `${what}: killed after a timeout (${r.signal}): it hung; stderr: ${r.stderr}`);
  assert.equal(r.status, status, `${what}: exit status; stderr: ${r.stderr}`);
  assert.ok(!/\n\s+at /.test(r.stderr), `${what}: no stack trace: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one line on stderr: ${r.stderr}`);
  return lines[0];
}

/** `{"error":{"code","message"}}`, the whole of stderr, on one line. */
export function jsonError(r: Ran, status: number, what = ''): { code: string; message: string } {
  const line = failedInOneLine(r, status, what);
  const parsed = JSON.parse(line) as { error: { code: string; message: string } };
  assert.equal(typeof parsed.error.code, 'string');
  assert.equal(typeof parsed.error.message, 'string');
  return parsed.error;
}
