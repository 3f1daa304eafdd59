import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store';
import { removeDir, tempDir } from '../helpers/tmp';
import { cli, failedInOneLine } from './run';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

/** The offset Europe/Prague has at `ms`, as the CLI prints it (+01:00 or +02:00). */
function pragueOffset(ms: number): string {
  const name = new Intl.DateTimeFormat('en', { timeZone: 'Europe/Prague', timeZoneName: 'longOffset' }).formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return name.replace('GMT', '') || '+00:00';
}

describe('callbackd command line: what it prints', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = tempDir();
    env = { CALLBACKD_DB: path.join(dir, 'data', 'callbackd.db'), CALLBACKD_DEFAULT_COUNTRY: 'CZ', TZ: 'Europe/Prague' };
  });
  afterEach(() => removeDir(dir));

  it('--version prints the version of package.json', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = cli([flag], env, dir);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
    }
  });

  it('prints whole ids and times in ISO 8601 with the local offset, the same in the table, the text and JSON', () => {
    const text = cli(['create', '--number', '+420601111222', '--queue', 'support', '--delay-minutes', '1'], env, dir);
    assert.equal(text.status, 0, text.stderr);
    const m = /^created (\S+): Scheduled \+420601111222 in support, due (\S+)\n$/.exec(text.stdout);
    assert.ok(m, text.stdout);
    const [, id, due] = m;
    assert.match(id, UUID, 'the whole id');
    assert.match(due, ISO);
    assert.ok(due.endsWith(pragueOffset(Date.parse(due))), `local offset in ${due}`);
    assert.ok(Math.abs(Date.parse(due) - (Date.now() + 60_000)) < 10_000);

    const json = JSON.parse(cli(['list', '--json'], env, dir).stdout) as { items: Record<string, unknown>[] };
    assert.equal(json.items[0].id, id);
    assert.equal(json.items[0].dueAt, due, 'JSON prints the time the text printed');

    const listed = cli(['list'], env, dir);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(`${id} `));
    assert.ok(line, listed.stdout);
    assert.ok(line.includes(` ${due} `), `the table prints ${due}: ${line}`);
    assert.ok(line.includes(String(json.items[0].createdAt)), line);

    const shown = cli(['show', id], env, dir);
    assert.equal(shown.status, 0, `the id as printed is found: ${shown.stderr}`);
    assert.match(shown.stdout, new RegExp(`due\\s+${due.replace('+', '\\+')}`));

    const short = cli(['show', id.slice(0, 4)], env, dir);
    assert.match(failedInOneLine(short, 1), /not found \(give the whole id/);
  });

  it('JSON: times are ISO strings, attempts is a count in list and show, show adds attemptHistory and events', async () => {
    const created = JSON.parse(cli(['create', '--number', '601111222', '--queue', 'support', '--delay-minutes', '5', '--json'], env, dir).stdout) as Record<string, unknown>;
    const keys = ['id', 'status', 'number', 'queue', 'mechanism', 'transition', 'dueAt', 'expiresAt', 'createdAt', 'updatedAt', 'attempts', 'queuePosition', 'originCallId', 'shifted', 'note', 'form', 'claimOwner', 'claimUntil', 'version'];
    assert.deepEqual(Object.keys(created), [...keys, 'merged']);
    assert.equal(created.merged, false);
    for (const k of ['dueAt', 'expiresAt', 'createdAt', 'updatedAt']) assert.match(String(created[k]), ISO, k);
    assert.equal(created.claimUntil, null);

    // One attempt, as the dialer would record it: started, ended busy, back to Scheduled.
    const id = String(created.id);
    const store = SqliteStore.open(env.CALLBACKD_DB);
    try {
      const now = Date.now();
      const c = (await store.get(id))!;
      const dialing = await store.commit({ callbackId: id, at: now, from: 'Scheduled', event: 'dial', to: 'Dialing', version: c.version, set: { attempts: 1 }, startAttempt: { id: 'att-1', callbackId: id, seq: 1, mode: 'agent-first', startedAt: now, placeholderRef: 'ph-1', customerRef: null, owner: 'test-daemon', leaseUntil: now + 60_000, counted: true } });
      await store.commit({ callbackId: id, at: now + 1000, from: 'Dialing', event: 'retry', to: 'Scheduled', version: dialing.version, set: { dueAt: now + 300_000 }, endAttempt: { id: 'att-1', outcome: 'busy' } });
    } finally {
      await store.close();
    }

    const item = (JSON.parse(cli(['list', '--json'], env, dir).stdout) as { items: Record<string, unknown>[]; nextCursor: unknown }).items[0];
    assert.deepEqual(Object.keys(item), keys);
    assert.equal(item.attempts, 1);

    const shown = JSON.parse(cli(['show', id, '--json'], env, dir).stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(shown), [...keys, 'attemptHistory', 'events']);
    assert.equal(shown.attempts, 1, 'a count, as in list');
    const history = shown.attemptHistory as Record<string, unknown>[];
    assert.deepEqual(Object.keys(history[0]), ['id', 'seq', 'mode', 'startedAt', 'endedAt', 'outcome', 'detail', 'placeholderRef', 'customerRef']);
    assert.equal(history[0].outcome, 'busy');
    assert.match(String(history[0].startedAt), ISO);
    assert.match(String(history[0].endedAt), ISO);
    const events = shown.events as Record<string, unknown>[];
    assert.ok(events.length >= 3);
    for (const e of events) {
      assert.deepEqual(Object.keys(e), ['id', 'at', 'type', 'callId', 'data']);
      assert.match(String(e.at), ISO);
    }

    const shownText = cli(['show', id], env, dir).stdout;
    assert.match(shownText, /attempts\s+1/);
    assert.match(shownText, /1\s+agent-first\s+\d{4}-\d\d-\d\dT\S+\s+\d{4}-\d\d-\d\dT\S+\s+busy/);
  });

  it("the README's example: a CZ number on the default US configuration is refused naming the keys; a US number or CALLBACKD_DEFAULT_COUNTRY=CZ works", () => {
    const fresh = { CALLBACKD_DB: env.CALLBACKD_DB };
    const refused = cli(['create', '--number', '+420601111222', '--queue', 'support', '--delay-minutes', '1'], fresh, dir);
    const line = failedInOneLine(refused, 1);
    assert.equal(
      line,
      'callbackd: +420601111222 is in CZ, not in US: to call it, add CZ to transitions[0].numbers.allowCountries (transition "default"; empty allows only defaultCountry), or set defaultCountry to CZ (CALLBACKD_DEFAULT_COUNTRY=CZ)',
    );
    assert.ok(!fs.existsSync(env.CALLBACKD_DB), 'a refused request leaves no database behind');

    const us = cli(['create', '--number', '+12025550123', '--queue', 'support', '--delay-minutes', '1'], fresh, dir);
    assert.equal(us.status, 0, us.stderr);
    const cz = cli(['create', '--number', '+420601111222', '--queue', 'support', '--delay-minutes', '1'], { ...fresh, CALLBACKD_DEFAULT_COUNTRY: 'CZ' }, dir);
    assert.equal(cz.status, 0, cz.stderr);

    // A national number read in the wrong country says how numbers are read.
    const national = cli(['create', '--number', '601111222', '--queue', 'support'], fresh, dir);
    assert.match(failedInOneLine(national, 1), /"601111222" is not a valid phone number: numbers without \+ or 00 are read as US numbers: defaultCountry \/ CALLBACKD_DEFAULT_COUNTRY$/);
  });

  it('a number refused by the other rules names the key that would allow it', () => {
    const rules = (numbers: Record<string, unknown>) => ({ ...env, CALLBACKD_TRANSITIONS: JSON.stringify([{ name: 'support', sourceQueue: 'support', numbers }]) });
    const premium = cli(['create', '--number', '+420900123456', '--queue', 'support'], rules({}), dir);
    assert.match(failedInOneLine(premium, 1), /is a premium rate number: to call it, add PREMIUM_RATE to transitions\[0\]\.numbers\.allowTypes \(transition "support"\)$/);
    const abroad = cli(['create', '--number', '+421905123456', '--queue', 'support'], rules({ allowCountries: ['CZ'] }), dir);
    assert.match(failedInOneLine(abroad, 1), /is in SK, not in CZ: to call it, add SK to transitions\[0\]\.numbers\.allowCountries \(transition "support"\)$/);
    const blocked = cli(['create', '--number', '+420601111222', '--queue', 'support'], rules({ blockPatterns: ['^\\+42060'] }), dir);
    assert.match(failedInOneLine(blocked, 1), /is blocked .*: see transitions\[0\]\.numbers\.blockPatterns/);
  });
});
