import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { lostCallJudge } from '../../src/engine/lost-script';
import { QueueCalls } from '../../src/engine/queue-calls';
import { createSilentLogger } from '../../src/log';
import { ScriptRunner } from '../../src/scripts/runner';
import { embeddedJudge } from '../../src/service/replay';
import { MIN, NOW, openRig, type Rig } from '../service/rig';

/** One script for every case: what it does depends on the caller's number. */
const SCRIPT = `
module.exports = async function decide(ctx) {
  const n = ctx.call && ctx.call.number;
  if (n === '+420601000001') return { action: 'skip', reason: 'a known complainer' };
  if (n === '+420601000002') return { action: 'create', number: '+420602999888', queue: 'vip', delayMinutes: 0, priority: 9, form: { vip: 'yes' } };
  if (n === '+420601000003') return { action: 'create', number: '+420602&PJSIP/666@evil' };
  if (n === '+420601000004') throw new Error('the CRM is down');
  if (n === '+420601000005') { for (;;) {} }
  if (n === '+420601000006') return { action: 'create', banana: true };
  if (n === '+420601000007') { const row = await ctx.contacts.lookup('vip', n); return row ? { action: 'create', form: { name: row.name } } : { action: 'default' }; }
  if (n === null && ctx.form.callbackNumber) return { action: 'create', number: ctx.form.callbackNumber };
  return { action: 'default' };
};
`;

describe('engine: a transition script decides lost calls, held to the same checks, and falls back when it fails', function () {
  this.timeout(20_000);
  let rig: Rig;
  let runner: ScriptRunner;
  let calls: QueueCalls;
  beforeEach(() => {
    rig = openRig();
    const script = path.join(rig.dir, 'decide.js');
    fs.writeFileSync(script, SCRIPT);
    const transitions = [
      { ...rig.config.transitions[0], script },
      { ...rig.config.transitions[0], name: 'vip', sourceQueue: 'vip', script: '' },
    ];
    rig.config = { ...rig.config, transitions };
    runner = new ScriptRunner({
      dir: rig.dir,
      logger: createSilentLogger(),
      timeoutMs: 500,
      watch: false,
      lookup: async (table, key) => (table === 'vip' && key === '+420601000007' ? { name: 'Ada' } : null),
    });
    calls = new QueueCalls(rig.store, rig.callbacks, rig.config, rig.clock, createSilentLogger(), rig.feed, lostCallJudge(rig.config, runner));
  });
  afterEach(async () => {
    await runner.close();
    await rig.close();
  });

  async function lose(callId: string, number: string | null, form: Record<string, string> = {}): Promise<void> {
    await calls.entered({ callId, number, queue: 'support', at: rig.clock.now(), form });
    await calls.gone({ callId, queue: 'support', at: rig.clock.now() + 30_000, how: 'abandoned', position: 2, waitSeconds: 30 });
    rig.clock.advance(MIN);
  }

  async function decision(callId: string) {
    const call = await rig.store.getCall(callId);
    const event = (await rig.store.eventsOfCall(callId)).find((e) => e.type === 'LostCallDecided');
    return { reason: call?.lostReason, text: call?.lostDecision, script: event?.data.script as { name: string; verdict: string; fallback?: string } | undefined };
  }

  it('skips with the script reason, or makes the callback the script asks for', async () => {
    await lose('skipped', '+420601000001');
    assert.deepEqual(await decision('skipped'), { reason: 'script_skip', text: 'script decide.js: a known complainer', script: { name: 'decide.js', verdict: 'skip' } });

    await lose('rerouted', '+420601000002');
    assert.equal((await decision('rerouted')).reason, 'shifted');
    const [made] = await rig.store.callbacksOfCall('rerouted');
    assert.deepEqual([made.number, made.queue, made.form.vip, made.form.priority], ['+420602999888', 'vip', 'yes', '9']);
    assert.ok(made.dueAt !== null && made.dueAt <= rig.clock.now(), 'delayMinutes 0: due at once');

    await lose('looked-up', '+420601000007');
    const [found] = await rig.store.callbacksOfCall('looked-up');
    assert.equal(found.form.name, 'Ada', 'the contact table answered the script');

    await lose('withheld', null, { callbackNumber: '601 555 444' });
    const [keyed] = await rig.store.callbacksOfCall('withheld');
    assert.equal(keyed.number, '+420601555444', 'a withheld caller with a number keyed in the IVR form is called on that number, normalised');
  });

  it('holds a returned number to the number rules: nothing a script returns reaches a dial string unchecked', async () => {
    await lose('injected', '+420601000003');
    const d = await decision('injected');
    assert.equal(d.reason, 'invalid_number');
    assert.match(String(d.text), /script decide\.js: returned number "\+420602&PJSIP\/666@evil"/);
    assert.deepEqual(await rig.store.callbacksOfCall('injected'), []);
  });

  it('falls back to the embedded decision when the script throws, loops forever or returns garbage, and goes on deciding', async () => {
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.push(Date.now()), 20);
    await lose('threw', '+420601000004');
    await lose('looped', '+420601000005');
    clearInterval(ticker);
    await lose('garbage', '+420601000006');
    await lose('after', '+420601000008');
    for (const [id, kind] of [['threw', 'threw'], ['looped', 'timeout'], ['garbage', 'invalid']] as const) {
      const d = await decision(id);
      assert.equal(d.reason, 'shifted', `${id}: the embedded decision stands`);
      assert.equal(d.script?.verdict, 'fallback');
      assert.match(String(d.script?.fallback), new RegExp(`^${kind}`), `${id}: ${d.script?.fallback}`);
    }
    assert.equal((await decision('after')).script?.verdict, 'default', 'the next call is decided by the script again');
    assert.ok(ticks.length >= 15, `the event loop kept running while the script looped (${ticks.length} ticks in its 500 ms)`);
    assert.deepEqual(runner.fallbacks()['decide.js'], { threw: 1, invalid: 1, timeout: 1, memory: 0, load: 0 });
  });

  it('replays with the script: the same decisions as live', async () => {
    for (const [id, n] of [['a', '+420601000001'], ['b', '+420601000002'], ['c', '+420601000003'], ['d', '+420601000008']] as const) await lose(id, n);
    const withScript = await rig.service.replayRules({ from: new Date(NOW - MIN).toISOString() }, rig.config, lostCallJudge(rig.config, runner));
    assert.deepEqual(withScript.rows.filter((r) => !r.same).map((r) => r.call.id), []);
    const without = await rig.service.replayRules({ from: new Date(NOW - MIN).toISOString() }, rig.config, embeddedJudge(rig.config));
    assert.deepEqual(without.rows.filter((r) => !r.same).map((r) => [r.call.id, r.actual.reason, r.replayed.reason]), [['a', 'script_skip', 'shifted'], ['c', 'invalid_number', 'shifted']]);
  });
});
