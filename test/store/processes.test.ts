import assert from 'assert';
import { type ChildProcess, spawn } from 'child_process';
import path from 'path';
import readline from 'readline';
import Database from 'better-sqlite3';
import type { CallEvent } from '../../src/domain/types';
import { SqliteStore } from '../../src/store/sqlite-store';
import { cleanup, newCallback, tempDir } from './helpers/fixtures';

const CHILD = path.join(__dirname, 'helpers', 'child.ts');

interface Child {
  child: ChildProcess;
  /** Resolves with the child's next line of output; lines are queued, never dropped. */
  nextLine(): Promise<string>;
  onLine(listener: (line: string) => void): void;
  exited: Promise<NodeJS.Signals | number | null>;
}

function startChild(...args: string[]): Child {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), CHILD, ...args], {
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
  };
}

describe('store: several processes on one file', function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'callbackd.db');
  });
  afterEach(() => cleanup(dir));

  it('two processes claiming until empty never get the same callback', async () => {
    const seed = SqliteStore.open(file);
    const due = Date.now() - 1000;
    const ids = seed.transaction(() =>
      Array.from({ length: 2000 }, (_, i) => seed.createOrMerge(newCallback({ dueAt: due + (i % 50), queue: `q${i % 3}` }), [], () => {
        throw new Error('unique numbers');
      }).callback.id),
    );
    seed.close();

    // One claims in due order, the other through the skip-queues path (skipping a queue that has none).
    const claimers = [startChild('claim', file, 'a'), startChild('claim', file, 'b', 'elsewhere')];
    for (const c of claimers) assert.strictEqual(await c.nextLine(), 'ready');
    const results = claimers.map((c) => c.nextLine());
    for (const c of claimers) c.child.stdin!.write('go\n');
    const [a, b] = (await Promise.all(results)).map((line) => JSON.parse(line) as string[]);
    await Promise.all(claimers.map((c) => c.exited));

    const inBoth = a.filter((id) => new Set(b).has(id));
    assert.deepStrictEqual(inBoth, []);
    assert.deepStrictEqual([...a, ...b].sort(), [...ids].sort());
    // Both really took part; otherwise the test proved nothing about concurrency.
    assert.ok(a.length > 0 && b.length > 0, `a claimed ${a.length}, b claimed ${b.length}`);
  });

  it('writers killed mid-write leave every reported commit, once, with consistent history', async () => {
    // id -> the statuses a writer reported, each printed only after its commit returned.
    const reported = new Map<string, string[]>();
    // Each round restarts on the file the previous writer was killed over.
    for (const killAfter of [150, 400, 700]) {
      const writer = startChild('write', file);
      let seen = 0;
      await new Promise<void>((resolve) => {
        writer.onLine((line) => {
          const [id, status] = line.split(' ');
          reported.set(id, [...(reported.get(id) ?? []), status]);
          if (++seen === killAfter * 2) {
            writer.child.kill('SIGKILL');
            resolve();
          }
        });
      });
      assert.strictEqual(await writer.exited, 'SIGKILL');
      verifyAfterCrash(file, reported);
    }
  });
});

function verifyAfterCrash(file: string, reported: Map<string, string[]>): void {
  const db = new Database(file);
  try {
    assert.strictEqual(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepStrictEqual(db.pragma('foreign_key_check'), []);
    assert.deepStrictEqual(db.prepare('SELECT id FROM callbacks GROUP BY id HAVING count(*) > 1').all(), []);
  } finally {
    db.close();
  }
  const store = SqliteStore.open(file);
  try {
    for (const [id, statuses] of reported) {
      const callback = store.get(id);
      assert.ok(callback, `reported ${id} is missing`);
      const events = store.eventsOf(id);
      // Each report after the first is one status change that must have survived.
      const changes = events.filter((e) => e.type === 'StatusChanged').length;
      assert.ok(changes >= statuses.length - 1, `${id} reported ${statuses.join(',')} but has ${changes} status changes`);
      if (statuses.length === 3) assert.strictEqual(callback.status, statuses[2]);
    }
    // Rows a writer committed but had no time to report must be whole too.
    for (const callback of store.list({ limit: 1_000_000 }).items) {
      assertConsistent(callback.status, store.eventsOf(callback.id), store.attemptsOf(callback.id).map((a) => a.endedAt !== null));
    }
    const pending = store.db
      .prepare("SELECT queue, count(*) AS n FROM callbacks WHERE status IN ('Scheduled','Dialing') GROUP BY queue")
      .all() as { queue: string; n: number }[];
    for (const { queue, n } of pending) assert.strictEqual(store.countPending(queue), n, `pending count of ${queue}`);
  } finally {
    store.close();
  }
}

/** The status follows its StatusChanged chain from Scheduled, and attempts match their events. */
function assertConsistent(status: string, events: CallEvent[], attemptsEnded: boolean[]): void {
  let current = 'Scheduled';
  for (const event of events.filter((e) => e.type === 'StatusChanged')) {
    assert.strictEqual(event.data.from, current, `status chain broken at event ${event.id}`);
    current = event.data.to as string;
  }
  assert.strictEqual(status, current);
  assert.strictEqual(events.filter((e) => e.type === 'AttemptStarted').length, attemptsEnded.length);
  assert.strictEqual(events.filter((e) => e.type === 'AttemptEnded').length, attemptsEnded.filter(Boolean).length);
  assert.strictEqual(status === 'Dialing', attemptsEnded.includes(false));
}
