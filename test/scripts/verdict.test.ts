import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { scriptInput } from '../../src/scripts/context';
import { resolveScript, scriptProblems } from '../../src/scripts/paths';
import { validateVerdict } from '../../src/scripts/types';
import type { CallRecord, Callback } from '../../src/domain/types';
import { removeDir, tempDir } from '../helpers/tmp';

function problemOf(raw: unknown): string {
  const check = validateVerdict(raw);
  assert.equal(check.ok, false, `expected ${JSON.stringify(raw)} to be refused`);
  return (check as { problem: string }).problem;
}

describe('script verdicts', () => {
  it('accepts each action in full, dueAt as ISO or epoch ms (given back as epoch ms)', () => {
    assert.deepEqual(validateVerdict({ action: 'create', number: '+420601111222', queue: 'support-de', dueAt: '2026-03-02T10:00:00+01:00', priority: 0, form: { vip: 'yes' } }), {
      ok: true,
      verdict: { action: 'create', number: '+420601111222', queue: 'support-de', dueAt: Date.parse('2026-03-02T09:00:00Z'), priority: 0, form: { vip: 'yes' } },
    });
    assert.deepEqual(validateVerdict({ action: 'create', dueAt: 1_772_442_000_000 }), { ok: true, verdict: { action: 'create', dueAt: 1_772_442_000_000 } });
    assert.deepEqual(validateVerdict({ action: 'create', delayMinutes: 0 }), { ok: true, verdict: { action: 'create', delayMinutes: 0 } });
    assert.deepEqual(validateVerdict({ action: 'skip', reason: 'outside business hours' }), { ok: true, verdict: { action: 'skip', reason: 'outside business hours' } });
    assert.deepEqual(validateVerdict({ action: 'default' }), { ok: true, verdict: { action: 'default' } });
    assert.deepEqual(validateVerdict(undefined), { ok: true, verdict: { action: 'default' } });
    assert.deepEqual(validateVerdict({ action: 'create', queue: undefined }), { ok: true, verdict: { action: 'create' } }, 'a key set to undefined is a key left out');
  });

  it('refuses what is not a verdict, naming the problem', () => {
    assert.match(problemOf(null), /an object with an action, got null/);
    assert.match(problemOf('create'), /got a string/);
    assert.match(problemOf([{ action: 'skip' }]), /got a list/);
    assert.match(problemOf({ action: 'make' }), /action must be/);
    assert.match(problemOf({ action: 'create', priority: 9, prio: 9 }), /unknown key "prio"/);
    assert.match(problemOf({ action: 'skip', reason: 'x', queue: 'a' }), /unknown key "queue" for action skip/);
    assert.match(problemOf({ action: 'default', reason: 'x' }), /unknown key/);
  });

  it('holds each field to its type and bounds', () => {
    assert.match(problemOf({ action: 'skip' }), /reason must be a string/);
    assert.match(problemOf({ action: 'skip', reason: ' ' }), /reason must not be empty/);
    assert.match(problemOf({ action: 'skip', reason: 'x'.repeat(201) }), /201 characters, at most 200/);
    assert.ok(validateVerdict({ action: 'skip', reason: 'x'.repeat(200) }).ok);
    assert.match(problemOf({ action: 'create', number: 420601111222 }), /number must be a string/);
    assert.match(problemOf({ action: 'create', queue: 'a\nb' }), /control characters/);
    assert.match(problemOf({ action: 'create', priority: 10 }), /priority/);
    assert.match(problemOf({ action: 'create', priority: 1.5 }), /priority/);
    assert.match(problemOf({ action: 'create', priority: '9' }), /priority/);
    assert.match(problemOf({ action: 'create', delayMinutes: -1 }), /delayMinutes/);
    assert.match(problemOf({ action: 'create', delayMinutes: Number.NaN }), /delayMinutes/);
    assert.match(problemOf({ action: 'create', delayMinutes: 5, dueAt: 1 }), /not both/);
    assert.match(problemOf({ action: 'create', dueAt: '2026-03-02 10:00' }), /ISO 8601 time with a zone/);
    assert.match(problemOf({ action: 'create', dueAt: '2026-03-02T10:00:00' }), /with a zone/);
    assert.match(problemOf({ action: 'create', dueAt: '2026-13-45T10:00:00Z' }), /not a real time/);
    assert.match(problemOf({ action: 'create', dueAt: 1.5 }), /whole epoch milliseconds/);
  });

  it('holds the form to strings under 50 plain keys', () => {
    assert.match(problemOf({ action: 'create', form: { vip: true } }), /form\.vip must be a string, got a boolean/);
    assert.match(problemOf({ action: 'create', form: ['yes'] }), /form must be an object of strings/);
    assert.match(problemOf({ action: 'create', form: { 'no spaces': 'x' } }), /form key "no spaces"/);
    assert.match(problemOf({ action: 'create', form: JSON.parse('{"__proto__": "x"}') }), /form key "__proto__"/);
    assert.match(problemOf({ action: 'create', form: { note: 'x'.repeat(501) } }), /at most 500/);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    assert.match(problemOf({ action: 'create', form: many }), /51 keys, at most 50/);
    delete many.k50;
    assert.ok(validateVerdict({ action: 'create', form: many }).ok);
  });
});

describe('script paths and inputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('callbackd-script-paths-');
  });
  afterEach(() => removeDir(dir));

  it('resolves a script relative to the configuration directory, or as given when absolute', () => {
    assert.equal(resolveScript('/etc/callbackd', 'scripts/vip-lookup.js'), '/etc/callbackd/scripts/vip-lookup.js');
    assert.equal(resolveScript('/etc/callbackd', '../shared/a.cjs'), '/etc/shared/a.cjs');
    assert.equal(resolveScript('/etc/callbackd', '/opt/scripts//b.js'), '/opt/scripts/b.js');
  });

  it('names what is wrong with a script file for the configuration check', () => {
    const file = (name: string, source: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, source);
      return p;
    };
    assert.equal(scriptProblems(file('good.js', '#!/usr/bin/env node\nmodule.exports = () => undefined;')), null);
    assert.equal(scriptProblems(file('good.cjs', 'exports.decide = () => undefined;')), null);
    assert.match(scriptProblems(path.join(dir, 'missing.js')) ?? '', /does not exist/);
    assert.match(scriptProblems(file('a.mjs', '')) ?? '', /ends in \.js or \.cjs/);
    assert.match(scriptProblems(file('broken.js', 'module.exports = () => {')) ?? '', /does not parse/);
    assert.match(scriptProblems(file('esm.js', 'export default function decide() {}')) ?? '', /scripts are CommonJS/);
    fs.mkdirSync(path.join(dir, 'dir.js'));
    assert.match(scriptProblems(path.join(dir, 'dir.js')) ?? '', /is not a file/);
    assert.equal(scriptProblems(path.join(__dirname, '..', '..', 'config', 'scripts', 'vip-lookup.js')), null);
  });

  it('builds a script input from the daemon\'s records, times in ISO', () => {
    const call: CallRecord = { id: 'c1', number: '601111222', queue: 'support', enteredAt: 0, endedAt: 90_000, result: 'abandoned', position: 2, waitSeconds: 90, form: { LANGUAGE: 'de' }, pbx: 'main' };
    const pending = { id: 'cb1', number: '+420601111222', queue: 'sales', status: 'Scheduled', mechanism: 'LostShift', dueAt: 120_000 } as Callback;
    const input = scriptInput({ trigger: 'LostShift', transition: 'lost', call, pending: [pending], proposal: { action: 'skip', reason: 'too_short', detail: 'waited 3s' }, now: 90_000 });
    assert.deepEqual(input, {
      trigger: 'LostShift',
      transition: 'lost',
      call: { id: 'c1', number: '601111222', queue: 'support', enteredAt: '1970-01-01T00:00:00.000Z', endedAt: '1970-01-01T00:01:30.000Z', waitSeconds: 90, position: 2, result: 'abandoned', form: { LANGUAGE: 'de' } },
      callback: null,
      form: { LANGUAGE: 'de' },
      pending: [{ id: 'cb1', number: '+420601111222', queue: 'sales', status: 'Scheduled', dueAt: '1970-01-01T00:02:00.000Z', mechanism: 'LostShift' }],
      proposal: { action: 'skip', reason: 'too_short', detail: 'waited 3s' },
      now: '1970-01-01T00:01:30.000Z',
    });
  });
});
