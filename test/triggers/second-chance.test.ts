import assert from 'node:assert/strict';
import path from 'node:path';
import { createSilentLogger } from '../../src/log';
import { scriptInput } from '../../src/scripts/context';
import { scriptProblems } from '../../src/scripts/paths';
import { ScriptRunner } from '../../src/scripts/runner';
import type { Callback } from '../../src/domain/types';

const EXAMPLES = path.join(__dirname, '..', '..', 'config', 'scripts');

const failed = (form: Record<string, string> = {}): Callback => ({
  id: 'cb-1',
  pbx: 'default',
  number: '+420601111222',
  queue: 'support',
  status: 'Failed',
  mechanism: 'LostShift',
  transition: 'support',
  dueAt: null,
  expiresAt: null,
  createdAt: 0,
  updatedAt: 0,
  attempts: 3,
  originCallId: 'call-1',
  shifted: true,
  form,
  note: null,
  queuePosition: null,
  claimOwner: null,
  claimUntil: null,
  version: 5,
});

describe('example script second-chance.js (a status trigger on Failed)', function () {
  this.timeout(15_000);
  let runner: ScriptRunner;
  beforeEach(() => {
    runner = new ScriptRunner({ dir: EXAMPLES, logger: createSilentLogger(), watch: false });
  });
  afterEach(() => runner.close());

  const ask = (callback: Callback, now: string) =>
    runner.decide('second-chance.js', scriptInput({ trigger: 'status', callback, proposal: { action: 'skip', reason: 'none' }, now: Date.parse(now) }));

  it('passes the configuration check', () => {
    assert.equal(scriptProblems(path.join(EXAMPLES, 'second-chance.js')), null);
  });

  it('asks for a callback at 09:00 Prague time on the next weekday, marked', async () => {
    const friday = await ask(failed(), '2026-12-04T16:00:00Z');
    assert.deepEqual(friday, { outcome: 'verdict', verdict: { action: 'create', number: '+420601111222', queue: 'support', dueAt: Date.parse('2026-12-07T08:00:00Z'), form: { second_chance: 'yes' } } });
    const summer = await ask(failed(), '2026-06-10T16:00:00Z');
    assert.equal(summer.outcome === 'verdict' && summer.verdict.action === 'create' && summer.verdict.dueAt, Date.parse('2026-06-11T07:00:00Z'));
  });

  it('gives no third chance', async () => {
    assert.deepEqual(await ask(failed({ second_chance: 'yes' }), '2026-12-04T16:00:00Z'), { outcome: 'verdict', verdict: { action: 'skip', reason: 'already had its second chance' } });
  });
});
