import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { removeDir, tempDir } from '../helpers/tmp';

const README = path.join(__dirname, '..', '..', 'README.md');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)/g;

interface Step {
  command: string;
  expected: string[];
}

/** The ```console blocks marked `<!-- readme-test -->` just above them: `$ ` lines and what they print. */
function readmeSessions(): Step[][] {
  const text = fs.readFileSync(README, 'utf8');
  const sessions: Step[][] = [];
  for (const m of text.matchAll(/<!-- readme-test -->\s*```console\n([\s\S]*?)```/g)) {
    const steps: Step[] = [];
    for (const line of m[1].split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2).trim(), expected: [] });
      else if (steps.length > 0 && line !== '') steps[steps.length - 1].expected.push(line);
    }
    sessions.push(steps);
  }
  return sessions;
}

/** Ids, times and the directory differ from run to run; table columns follow their width. */
function shape(lines: readonly string[]): string[] {
  return lines.map((l) => l.replace(UUID, '<id>').replace(ISO_TIME, '<time>').replace(/\/\S*\/data\/callbackd\.db/g, '<dir>/data/callbackd.db').replace(/-{3,}/g, '---').replace(/\s+/g, ' ').trim()).filter((l) => l !== '');
}

/** `callbackd ...` with a few words of shell: `export K=V`, quoted arguments, `VAR=value callbackd ...`. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

describe('README: the examples run as written', function () {
  this.timeout(60_000);
  const sessions = readmeSessions();

  it('has examples to run', () => {
    assert.ok(sessions.length >= 1 && sessions.flat().length >= 4, `${sessions.length} marked sessions`);
  });

  sessions.forEach((steps, n) => {
    it(`session ${n + 1}: ${steps.map((s) => s.command.split(' ').slice(0, 2).join(' ')).join(', ')}`, () => {
      const dir = tempDir('callbackd-readme-');
      try {
        const env: Record<string, string> = {};
        let lastId: string | null = null;
        for (const step of steps) {
          const argv = words(step.command.replace(UUID, () => lastId ?? 'no-id-yet'));
          if (argv[0] === 'export') {
            for (const pair of argv.slice(1)) env[pair.split('=')[0]] = pair.slice(pair.indexOf('=') + 1);
            continue;
          }
          const local = { ...env };
          while (/^[A-Z_]+=/.test(argv[0])) {
            const pair = argv.shift() as string;
            local[pair.split('=')[0]] = pair.slice(pair.indexOf('=') + 1);
          }
          assert.equal(argv.shift(), 'callbackd', `only callbackd commands are run: ${step.command}`);
          const result = runCli(argv, local, dir);
          const printed = `${result.stdout}${result.stderr}`.split('\n');
          assert.deepEqual(shape(printed), shape(step.expected), `"${step.command}" printed:\n${printed.join('\n')}`);
          lastId = printed.join('\n').match(UUID)?.[0] ?? lastId;
        }
      } finally {
        removeDir(dir);
      }
    });
  });
});
