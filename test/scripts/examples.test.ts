import assert from 'node:assert/strict';
import path from 'node:path';
import { ScriptRunner } from '../../src/scripts/runner';
import { scriptProblems } from '../../src/scripts/paths';
import type { ScriptInput, ScriptOutcome } from '../../src/scripts/types';
import { assertWorkerBuilt, captureLog, lostCallInput } from './helpers';

const EXAMPLES = path.join(__dirname, '..', '..', 'config', 'scripts');

/** The contact table `vip` as a fake: one VIP. */
const VIP_TABLE: Record<string, Record<string, string>> = { '+420601111222': { name: 'Jana Nováková', tier: 'gold' } };

describe('example scripts (config/scripts)', function () {
  this.timeout(20_000);
  let runner: ScriptRunner;
  let asked: string[];

  before(assertWorkerBuilt);
  beforeEach(() => {
    asked = [];
    runner = new ScriptRunner({
      dir: EXAMPLES,
      logger: captureLog().logger,
      watch: false,
      lookup: async (table, key) => {
        asked.push(`${table}/${key}`);
        return table === 'vip' ? (VIP_TABLE[key] ?? null) : null;
      },
    });
  });
  afterEach(() => runner.close());

  const decide = (script: string, input: ScriptInput): Promise<ScriptOutcome> => runner.decide(script, input);

  it('every example passes the configuration check', () => {
    for (const name of ['vip-lookup.js', 'business-hours-only.js', 'route-by-language.js']) assert.equal(scriptProblems(path.join(EXAMPLES, name)), null, name);
  });

  describe('vip-lookup.js', () => {
    it('calls a VIP back first and at once, marked and named', async () => {
      assert.deepEqual(await decide('vip-lookup.js', lostCallInput()), {
        outcome: 'verdict',
        verdict: { action: 'create', number: '+420601111222', priority: 9, delayMinutes: 0, form: { vip: 'yes', name: 'Jana Nováková' } },
      });
      assert.deepEqual(asked, ['vip/+420601111222']);
    });

    it('calls a VIP back even when the embedded rules would skip, with the number the PBX gave', async () => {
      const input = lostCallInput({ proposal: { action: 'skip', reason: 'too_short' } });
      const outcome = await decide('vip-lookup.js', input);
      assert.equal(outcome.outcome, 'verdict');
      assert.equal(outcome.verdict.action, 'create');
    });

    it('leaves anyone else, and a caller without a number, to the embedded decision', async () => {
      const stranger = lostCallInput({ proposal: { action: 'create', queue: 'support', number: '+420602000000', dueAt: '2026-03-02T09:06:30.000Z' } });
      assert.deepEqual(await decide('vip-lookup.js', stranger), { outcome: 'verdict', verdict: { action: 'default' } });
      const anonymous = lostCallInput({ call: { ...lostCallInput().call!, number: null }, proposal: { action: 'skip', reason: 'anonymous' } });
      assert.deepEqual(await decide('vip-lookup.js', anonymous), { outcome: 'verdict', verdict: { action: 'default' } });
      assert.deepEqual(asked, ['vip/+420602000000']);
    });
  });

  describe('business-hours-only.js (Europe/Prague, 08 to 18)', () => {
    const at = (now: string) => decide('business-hours-only.js', lostCallInput({ now }));

    it('keeps the embedded decision within business hours, by the daemon\'s clock', async () => {
      // 08:00 and 17:59 in Prague (UTC+1 in March).
      assert.deepEqual(await at('2026-03-02T07:00:00.000Z'), { outcome: 'verdict', verdict: { action: 'default' } });
      assert.deepEqual(await at('2026-03-02T16:59:00.000Z'), { outcome: 'verdict', verdict: { action: 'default' } });
    });

    it('skips outside them, summer time included', async () => {
      const skip = { outcome: 'verdict', verdict: { action: 'skip', reason: 'outside business hours' } };
      assert.deepEqual(await at('2026-03-02T06:59:00.000Z'), skip);
      assert.deepEqual(await at('2026-03-02T17:00:00.000Z'), skip);
      // 18:30 in Prague in July is 16:30 UTC.
      assert.deepEqual(await at('2026-07-01T16:30:00.000Z'), skip);
      assert.deepEqual(await at('2026-07-01T15:30:00.000Z'), { outcome: 'verdict', verdict: { action: 'default' } });
    });
  });

  describe('route-by-language.js', () => {
    it('sends a German speaker\'s callback to support-de, as the IVR or the API spelled the key', async () => {
      const expected = { outcome: 'verdict', verdict: { action: 'create', queue: 'support-de' } };
      assert.deepEqual(await decide('route-by-language.js', lostCallInput({ form: { language: 'de' } })), expected);
      assert.deepEqual(await decide('route-by-language.js', lostCallInput({ form: { LANGUAGE: 'DE' } })), expected);
    });

    it('leaves other languages, and skips, to the embedded decision', async () => {
      const dflt = { outcome: 'verdict', verdict: { action: 'default' } };
      assert.deepEqual(await decide('route-by-language.js', lostCallInput({ form: { language: 'cs' } })), dflt);
      assert.deepEqual(await decide('route-by-language.js', lostCallInput({ form: { language: 'constructor' } })), dflt);
      assert.deepEqual(await decide('route-by-language.js', lostCallInput({ form: { language: 'de' }, proposal: { action: 'skip', reason: 'max_pending' } })), dflt);
    });
  });
});
