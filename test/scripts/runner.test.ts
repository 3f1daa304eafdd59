import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ScriptRunner, type ScriptRunnerOptions } from '../../src/scripts/runner';
import type { ScriptOutcome } from '../../src/scripts/types';
import { removeDir, tempDir } from '../helpers/tmp';
import { assertWorkerBuilt, captureLog, lostCallInput, nextEvent, writeScript } from './helpers';

const LOOP_UNLESS_TOLD = `module.exports = (ctx) => { if (ctx.form.loop === 'yes') for (;;) {} return { action: 'create', priority: 1 }; };`;

/** Runs `body` in a fresh node process with ScriptRunner, createSilentLogger and a lost call's `input` in scope (from dist); its exit code (null: killed after 15 s) and output. */
async function runChild(body: string): Promise<{ code: number | null; out: string }> {
  const dist = path.join(__dirname, '..', '..', 'dist');
  const program = `
    const { ScriptRunner } = require(${JSON.stringify(path.join(dist, 'scripts', 'runner.js'))});
    const { createSilentLogger } = require(${JSON.stringify(path.join(dist, 'log.js'))});
    const input = ${JSON.stringify(lostCallInput())};
    ${body}`;
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 15_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, out };
}

function fallbackOf(outcome: ScriptOutcome): { kind: string; detail: string } {
  assert.equal(outcome.outcome, 'fallback', `expected a fallback, got ${JSON.stringify(outcome)}`);
  return outcome as { kind: string; detail: string };
}

describe('script runner', function () {
  this.timeout(30_000);
  let dir: string;
  let runner: ScriptRunner;
  let log: ReturnType<typeof captureLog>;

  function start(opts: Partial<ScriptRunnerOptions> = {}): ScriptRunner {
    log = captureLog();
    runner = new ScriptRunner({ dir, logger: log.logger, lookup: async () => null, watch: false, ...opts });
    return runner;
  }

  before(assertWorkerBuilt);
  beforeEach(() => {
    dir = tempDir('callbackd-scripts-');
  });
  afterEach(async () => {
    await runner?.close();
    removeDir(dir);
  });

  it('returns the verdict of a script', async () => {
    writeScript(dir, 'plain.js', `module.exports = function decide(ctx) { return { action: 'create', queue: ctx.call.queue + '-vip', priority: 9, form: { seen: ctx.now } }; };`);
    const outcome = await start().decide('plain.js', lostCallInput());
    assert.deepEqual(outcome, { outcome: 'verdict', verdict: { action: 'create', queue: 'support-vip', priority: 9, form: { seen: '2026-03-02T09:01:30.000Z' } } });
  });

  it('awaits an async verdict, and takes exports.decide and dueAt in ISO as epoch ms', async () => {
    writeScript(dir, 'later.cjs', `exports.decide = async () => { await new Promise((r) => setTimeout(r, 5)); return { action: 'create', dueAt: '2026-03-02T10:00:00Z' }; };`);
    const outcome = await start().decide('later.cjs', lostCallInput());
    assert.deepEqual(outcome, { outcome: 'verdict', verdict: { action: 'create', dueAt: Date.parse('2026-03-02T10:00:00Z') } });
  });

  it('takes nothing returned, and { action: "default" }, as the embedded decision', async () => {
    writeScript(dir, 'nothing.js', `module.exports = () => {};`);
    writeScript(dir, 'default.js', `module.exports = () => ({ action: 'default' });`);
    start();
    assert.deepEqual(await runner.decide('nothing.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'default' } });
    assert.deepEqual(await runner.decide('default.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'default' } });
  });

  it('falls back with "threw" when the script throws or rejects, and counts it', async () => {
    writeScript(dir, 'throws.js', `module.exports = () => { throw new TypeError('no such field'); };`);
    writeScript(dir, 'rejects.js', `module.exports = async () => { throw new Error('later'); };`);
    const seen: string[] = [];
    start({ onFallback: (script, kind) => seen.push(`${script}:${kind}`) });
    const thrown = fallbackOf(await runner.decide('throws.js', lostCallInput()));
    assert.equal(thrown.kind, 'threw');
    assert.match(thrown.detail, /TypeError: no such field/);
    assert.match(thrown.detail, /throws\.js/, 'the detail says where in the script');
    assert.equal(fallbackOf(await runner.decide('rejects.js', lostCallInput())).kind, 'threw');
    assert.deepEqual(seen, ['throws.js:threw', 'rejects.js:threw']);
    assert.deepEqual(runner.fallbacks()['throws.js'], { threw: 1, invalid: 0, timeout: 0, memory: 0, load: 0 });
    const line = log.lines().find((l) => l.message === 'script fell back to the embedded decision');
    assert.equal(line?.callId, 'call-1', 'the fallback is logged with the call');
  });

  it('ends a script that loops within the timeout, and the next decision gets a fresh worker', async () => {
    writeScript(dir, 'loop.js', LOOP_UNLESS_TOLD);
    start({ timeoutMs: 300 });
    assert.equal((await runner.decide('loop.js', lostCallInput())).outcome, 'verdict', 'warm');
    const began = Date.now();
    const outcome = fallbackOf(await runner.decide('loop.js', lostCallInput({ form: { loop: 'yes' } })));
    const took = Date.now() - began;
    assert.equal(outcome.kind, 'timeout');
    assert.ok(took < 300 + 5000, `the caller waited ${took} ms`);
    assert.deepEqual(await runner.decide('loop.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'create', priority: 1 } });
    assert.equal(runner.fallbacks()['loop.js'].timeout, 1);
  });

  it('holds no decision past its timeout, not even one waiting behind a looping one', async () => {
    writeScript(dir, 'loop.js', LOOP_UNLESS_TOLD);
    start({ timeoutMs: 300 });
    await runner.decide('loop.js', lostCallInput());
    const [looping, behind] = await Promise.all([runner.decide('loop.js', lostCallInput({ form: { loop: 'yes' } })), runner.decide('loop.js', lostCallInput())]);
    assert.equal(fallbackOf(looping).kind, 'timeout');
    const waited = fallbackOf(behind);
    assert.equal(waited.kind, 'timeout');
    assert.match(waited.detail, /it never started/);
    assert.equal((await runner.decide('loop.js', lostCallInput())).outcome, 'verdict');
  });

  it('keeps the main thread turning while a script loops ("the daemon keeps dialling meanwhile")', async () => {
    writeScript(dir, 'loop.js', LOOP_UNLESS_TOLD);
    start({ timeoutMs: 600 });
    await runner.decide('loop.js', lostCallInput());
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    try {
      const decision = runner.decide('loop.js', lostCallInput({ form: { loop: 'yes' } }));
      let ticksBeforeAnswer = -1;
      void decision.then(() => (ticksBeforeAnswer = ticks));
      assert.equal(fallbackOf(await decision).kind, 'timeout');
      assert.ok(ticksBeforeAnswer >= 5, `the interval ticked ${ticksBeforeAnswer} times while the script looped`);
    } finally {
      clearInterval(ticker);
    }
  });

  it('ends a script that allocates without bound ("memory"), and the main thread is unharmed', async () => {
    writeScript(dir, 'hog.js', `module.exports = () => { const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length)); };`);
    writeScript(dir, 'fine.js', `module.exports = () => ({ action: 'skip', reason: 'fine' });`);
    start({ memoryMb: 16, timeoutMs: 20_000 });
    const outcome = fallbackOf(await runner.decide('hog.js', lostCallInput()));
    assert.equal(outcome.kind, 'memory');
    assert.match(outcome.detail, /memoryMb 16/);
    assert.deepEqual(await runner.decide('fine.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'skip', reason: 'fine' } });
    const again = fallbackOf(await runner.decide('hog.js', lostCallInput()));
    assert.equal(again.kind, 'memory', 'a fresh worker took the next decision');
    assert.equal(runner.fallbacks()['hog.js'].memory, 2);
  });

  it('falls back with "invalid" on garbage', async () => {
    const garbage: Record<string, string> = {
      'text.js': `module.exports = () => 'create';`,
      'unknown-key.js': `module.exports = () => ({ action: 'create', prio: 9 });`,
      'function.js': `module.exports = () => ({ action: 'create', queue: () => 'x' });`,
      'long-reason.js': `module.exports = () => ({ action: 'skip', reason: 'x'.repeat(201) });`,
    };
    for (const [name, source] of Object.entries(garbage)) writeScript(dir, name, source);
    start();
    for (const name of Object.keys(garbage)) {
      const outcome = fallbackOf(await runner.decide(name, lostCallInput()));
      assert.equal(outcome.kind, 'invalid', name);
    }
    assert.match(fallbackOf(await runner.decide('unknown-key.js', lostCallInput())).detail, /unknown key "prio"/);
  });

  it('falls back with "load" for a missing file, a syntax error, no decide function or another extension', async () => {
    writeScript(dir, 'broken.js', `module.exports = () => {`);
    writeScript(dir, 'nothing.js', `module.exports = { answer: 42 };`);
    writeScript(dir, 'types.ts', `export default () => undefined;`);
    const failed: string[] = [];
    start();
    runner.on('loadFailed', (script) => failed.push(script));
    for (const name of ['missing.js', 'broken.js', 'nothing.js', 'types.ts']) {
      const outcome = fallbackOf(await runner.decide(name, lostCallInput()));
      assert.equal(outcome.kind, 'load', name);
    }
    assert.match(fallbackOf(await runner.decide('nothing.js', lostCallInput())).detail, /exports no decide function/);
    assert.deepEqual(failed, ['missing.js', 'broken.js', 'nothing.js', 'types.ts'], 'each is loaded once, not once per decision');
    assert.equal(runner.fallbacks()['nothing.js'].load, 2);
    assert.ok(log.lines().some((l) => l.message === 'script failed to load; the embedded decision is used until the file changes' && l.script === 'broken.js'));
  });

  it('answers contacts.lookup from the main thread, and rejects in the script what it cannot answer', async () => {
    const asked: string[] = [];
    writeScript(
      dir,
      'lookup.js',
      `module.exports = async (ctx) => {
        const row = await ctx.contacts.lookup('vip', ctx.call.number);
        let failure = '';
        try { await ctx.contacts.lookup('broken', 'x'); } catch (err) { failure = err.message; }
        return { action: 'create', form: { name: row ? row.name : 'none', failure } };
      };`,
    );
    start({
      lookup: async (table, key) => {
        asked.push(`${table}/${key}`);
        if (table === 'broken') throw new Error('table broken is not configured');
        return key === '+420601111222' ? { name: 'Jana Nováková' } : null;
      },
    });
    const outcome = await runner.decide('lookup.js', lostCallInput());
    assert.equal(outcome.outcome, 'verdict');
    assert.deepEqual(outcome.verdict, { action: 'create', form: { name: 'Jana Nováková', failure: 'contacts.lookup("broken") failed: table broken is not configured' } });
    assert.deepEqual(asked, ['vip/+420601111222', 'broken/x']);
  });

  it('rejects every lookup when the daemon gave no lookup', async () => {
    writeScript(dir, 'lookup.js', `module.exports = async (ctx) => ({ action: 'skip', reason: await ctx.contacts.lookup('vip', '1').then(() => 'found', (e) => e.message) });`);
    start({ lookup: undefined });
    const outcome = await runner.decide('lookup.js', lostCallInput());
    assert.deepEqual(outcome, { outcome: 'verdict', verdict: { action: 'skip', reason: 'contacts.lookup("vip") failed: the daemon has no contact tables to look in' } });
  });

  it('reloads a script whose file changed: the next decision runs the new code', async () => {
    writeScript(dir, 'changing.js', `module.exports = () => ({ action: 'skip', reason: 'first version' });`);
    start({ watch: true, watchIntervalMs: 50, debounceMs: 20 });
    assert.deepEqual(await runner.decide('changing.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'skip', reason: 'first version' } });
    const reloaded = nextEvent(runner, 'loaded', (script, why) => script === 'changing.js' && why === 'reload');
    writeScript(dir, 'changing.js', `module.exports = () => ({ action: 'skip', reason: 'the second version' });`);
    await reloaded;
    assert.deepEqual(await runner.decide('changing.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'skip', reason: 'the second version' } });
    assert.ok(log.lines().some((l) => l.message === 'script reloaded' && l.script === 'changing.js'));
  });

  it('loads a script again once a file that failed to load is fixed', async () => {
    writeScript(dir, 'fixed.js', `module.exports = () => {`);
    start({ watch: true, watchIntervalMs: 50, debounceMs: 20 });
    assert.equal(fallbackOf(await runner.decide('fixed.js', lostCallInput())).kind, 'load');
    const reloaded = nextEvent(runner, 'loaded', (script) => script === 'fixed.js');
    writeScript(dir, 'fixed.js', `module.exports = () => ({ action: 'skip', reason: 'fixed now' });`);
    await reloaded;
    assert.deepEqual(await runner.decide('fixed.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'skip', reason: 'fixed now' } });
  });

  it('loads a script whose file did not exist yet once it appears', async () => {
    start({ watch: true, watchIntervalMs: 50, debounceMs: 20 });
    assert.equal(fallbackOf(await runner.decide('later.js', lostCallInput())).kind, 'load');
    const loaded = nextEvent(runner, 'loaded', (script) => script === 'later.js');
    writeScript(dir, 'later.js', `module.exports = () => ({ action: 'skip', reason: 'here now' });`);
    await loaded;
    assert.deepEqual(await runner.decide('later.js', lostCallInput()), { outcome: 'verdict', verdict: { action: 'skip', reason: 'here now' } });
  });

  it('answers one script\'s decisions in the order asked, each with its own input', async () => {
    // Each decision reports how many had started when it began and when it ended: equal when none overlapped.
    writeScript(dir, 'echo.js', `let started = 0; module.exports = async (ctx) => { const mine = ++started; await new Promise((r) => setTimeout(r, 10 - 3 * ctx.call.position)); return { action: 'skip', reason: ctx.call.id + ':' + mine + ':' + started }; };`);
    start();
    const ids = ['a', 'b', 'c'];
    const outcomes = await Promise.all(ids.map((id, i) => runner.decide('echo.js', lostCallInput({ call: { ...lostCallInput().call!, id, position: i } }))));
    assert.deepEqual(
      outcomes.map((o) => (o.outcome === 'verdict' && o.verdict.action === 'skip' ? o.verdict.reason : '?')),
      ['a:1:1', 'b:2:2', 'c:3:3'],
    );
  });

  it('puts what a script logs, console included, into the daemon\'s log with the script and the call; not its environment', async () => {
    process.env.CALLBACKD_TEST_SECRET = 'do-not-leak';
    try {
      writeScript(dir, 'talks.js', `module.exports = (ctx) => { ctx.log.warn('looking', { step: 1 }); console.log('plain', 2); process.stdout.write('raw\\n'); return { action: 'skip', reason: String(process.env.CALLBACKD_TEST_SECRET) }; };`);
      start();
      const outcome = await runner.decide('talks.js', lostCallInput());
      assert.deepEqual(outcome, { outcome: 'verdict', verdict: { action: 'skip', reason: 'undefined' } });
      const warn = log.lines().find((l) => l.message === 'looking');
      assert.equal(warn?.level, 'warn');
      assert.equal(warn?.script, 'talks.js');
      assert.equal(warn?.callId, 'call-1');
      assert.deepEqual(warn?.fields, { step: 1 });
      assert.ok(log.lines().some((l) => l.message === 'plain 2' && l.level === 'info'));
      assert.ok(log.lines().some((l) => l.message === 'raw' && l.level === 'info'), 'process.stdout goes to the log, not between its JSON lines');
    } finally {
      delete process.env.CALLBACKD_TEST_SECRET;
    }
  });

  it('answers decisions asked after close() or still waiting at close() as "closed", uncounted', async () => {
    writeScript(dir, 'loop.js', LOOP_UNLESS_TOLD);
    start({ timeoutMs: 20_000 });
    const waiting = runner.decide('loop.js', lostCallInput({ form: { loop: 'yes' } }));
    await nextEvent(runner, 'loaded');
    await runner.close();
    assert.equal(fallbackOf(await waiting).kind, 'closed');
    assert.equal(fallbackOf(await runner.decide('loop.js', lostCallInput())).kind, 'closed');
    assert.deepEqual(runner.fallbacks()['loop.js'], { threw: 0, invalid: 0, timeout: 0, memory: 0, load: 0 });
  });

  it('lets the process exit with a warm worker idle, even without close()', async () => {
    writeScript(dir, 'quick.js', `module.exports = () => ({ action: 'default' });`);
    const { code, out } = await runChild(`
      const runner = new ScriptRunner({ dir: ${JSON.stringify(dir)}, logger: createSilentLogger(), watchIntervalMs: 50 });
      runner.decide('quick.js', input).then((o) => console.log(o.outcome));`);
    assert.equal(code, 0, `the process did not end by itself:\n${out}`);
    assert.equal(out.trim(), 'verdict');
  });

  it('leaves no worker or watcher behind after close(): the process exits by itself', async () => {
    writeScript(dir, 'loop.js', LOOP_UNLESS_TOLD);
    writeScript(dir, 'quick.js', `module.exports = () => ({ action: 'default' });`);
    const { code, out } = await runChild(`
      (async () => {
        const runner = new ScriptRunner({ dir: ${JSON.stringify(dir)}, logger: createSilentLogger(), timeoutMs: 60000, watchIntervalMs: 50 });
        const quick = await runner.decide('quick.js', input);
        const looping = runner.decide('loop.js', { ...input, form: { loop: 'yes' } });
        await new Promise((resolve) => runner.once('loaded', (script) => script === 'loop.js' && resolve()));
        await runner.close();
        console.log(JSON.stringify([quick.outcome, (await looping).kind]));
      })();`);
    assert.equal(code, 0, `the process did not end by itself after close():\n${out}`);
    assert.equal(out.trim(), '["verdict","closed"]');
  });

  it('prepare() starts workers ahead of the first decision and logs a script that cannot load then', async () => {
    writeScript(dir, 'ready.js', `module.exports = () => ({ action: 'default' });`);
    start();
    const loaded = nextEvent(runner, 'loaded', (script) => script === 'ready.js');
    const failed = nextEvent(runner, 'loadFailed', (script) => script === 'absent.js');
    runner.prepare(['ready.js', 'absent.js']);
    await Promise.all([loaded, failed]);
    assert.ok(log.lines().some((l) => l.message === 'script loaded' && l.script === 'ready.js'));
  });

  it('names scripts outside its directory by their absolute path', async () => {
    const other = tempDir('callbackd-other-');
    try {
      const file = writeScript(other, 'elsewhere.js', `module.exports = () => { throw new Error('x'); };`);
      start();
      await runner.decide(file, lostCallInput());
      assert.deepEqual(Object.keys(runner.fallbacks()), [file]);
    } finally {
      removeDir(other);
    }
  });
});
