import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS, loadConfig, parseConfig } from '../../src/config/load';
import { ConfigError } from '../../src/domain/errors';

let dir: string;

function file(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** Runs `fn`, expects a ConfigError and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

const TRANSITION = `
transitions:
  - name: support
    sourceQueue: support
    window:
      timezone: Europe/Prague
      hours: { mon: ['08:00-17:00'] }
`;

describe('loadConfig', () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'callbackd-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('files', () => {
    it('reads a relative db and log.file in the file from the file\'s directory, and leaves the environment\'s alone', () => {
      const f = file("db: ../data/cb.db\nlog:\n  file: logs/cb.log\n");
      const config = loadConfig({ file: f, env: {} });
      assert.equal(config.db, join(dir, '..', 'data', 'cb.db'));
      assert.equal(config.log.file, join(dir, 'logs', 'cb.log'));
      assert.equal(loadConfig({ file: f, env: { CALLBACKD_DB: 'here.db' } }).db, 'here.db');
    });

    it('runs on the defaults when the default file is missing', () => {
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        const config = loadConfig({ env: {} });
        assert.deepEqual(config, DEFAULTS);
      } finally {
        process.chdir(cwd);
      }
    });

    it('refuses a missing file that was named, by option or by CALLBACKD_CONFIG', () => {
      const missing = join(dir, 'nope.yaml');
      assert.equal(configError(() => loadConfig({ file: missing, env: {} })).key, missing);
      assert.equal(configError(() => loadConfig({ env: { CALLBACKD_CONFIG: missing } })).key, missing);
    });

    it('refuses a missing default file when a file is required', () => {
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        configError(() => loadConfig({ env: {}, requireFile: true }));
      } finally {
        process.chdir(cwd);
      }
    });

    it('reports YAML syntax errors against the file', () => {
      const path = file('http: [unclosed\n');
      assert.match(configError(() => loadConfig({ file: path, env: {} })).message, /not valid YAML/);
    });

    it('fills every transition key the file leaves out', () => {
      const config = loadConfig({ file: file(TRANSITION), env: {} });
      const [rule] = config.transitions;
      assert.equal(config.transitions.length, 1);
      assert.equal(rule.name, 'support');
      assert.equal(rule.maxAttempts, 3);
      assert.equal(rule.retryMinutes.busy, 5);
      assert.deepEqual(rule.window?.datesOff, []);
      assert.deepEqual(rule.window?.hours, { mon: ['08:00-17:00'] });
    });

    it('merges retryMinutes with the defaults, outcome by outcome', () => {
      const config = parseConfig({ transitions: [{ name: 'a', retryMinutes: { busy: 1 } }] });
      assert.equal(config.transitions[0].retryMinutes.busy, 1);
      assert.equal(config.transitions[0].retryMinutes.no_answer, 15);
    });

    it('adds the catch-all default transition when none is configured', () => {
      for (const doc of [{}, { transitions: [] }, { transitions: null }]) {
        const config = parseConfig(doc);
        assert.equal(config.transitions.length, 1);
        assert.equal(config.transitions[0].name, 'default');
        assert.equal(config.transitions[0].sourceQueue, '*');
      }
    });

    it('returns a deeply frozen object', () => {
      const config = loadConfig({ file: file(TRANSITION), env: {} });
      assert.ok(Object.isFrozen(config));
      assert.ok(Object.isFrozen(config.http));
      assert.ok(Object.isFrozen(config.transitions));
      assert.ok(Object.isFrozen(config.transitions[0].window?.hours.mon));
      assert.ok(Object.isFrozen(config.ivr.prompts.goodbye));
      assert.equal(Reflect.set(config.http, 'port', 1), false);
      assert.equal(config.http.port, DEFAULTS.http.port);
      assert.ok(!Object.isFrozen(DEFAULTS.http), 'the defaults themselves stay untouched');
    });
  });

  describe('validation', () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['an unknown top-level key', { dbb: 'x' }, 'dbb', /did you mean "db"/],
      ['an unknown nested key', { http: { prot: 1 } }, 'http.prot', /unknown key/],
      ['an unknown key in a transition', { transitions: [{ name: 'a', delay: 3 }] }, 'transitions[0].delay', /unknown key/],
      ['an unknown key in a window', { transitions: [{ name: 'a', window: { timezone: 'UTC', hours: { mon: ['08:00-09:00'] }, holidays: [] } }] }, 'transitions[0].window.holidays', /unknown key/],
      ['an unknown weekday', { transitions: [{ name: 'a', window: { timezone: 'UTC', hours: { monday: ['08:00-09:00'] } } }] }, 'transitions[0].window.hours.monday', /did you mean "mon"/],
      ['an unknown key in numbers', { transitions: [{ name: 'a', numbers: { allowCountry: ['CZ'] } }] }, 'transitions[0].numbers.allowCountry', /allowCountries/],
      ['an unknown prompt', { ivr: { prompts: { hello: ['x'] } } }, 'ivr.prompts.hello', /unknown key/],
      ['an unknown outcome', { transitions: [{ name: 'a', retryMinutes: { answered_machine: 3 } }] }, 'transitions[0].retryMinutes.answered_machine', /unknown key/],
      ['a retry after an outcome that ends the callback', { transitions: [{ name: 'a', retryMinutes: { invalid_number: 3 } }] }, 'transitions[0].retryMinutes.invalid_number', /unknown key/],
      ['a bad time zone', { transitions: [{ name: 'a', window: { timezone: 'Europe/Praha', hours: { mon: ['08:00-09:00'] } } }] }, 'transitions[0].window.timezone', /IANA/],
      ['bad hours', { transitions: [{ name: 'a', window: { timezone: 'UTC', hours: { tue: ['8-17'] } } }] }, 'transitions[0].window.hours.tue[0]', /HH:MM-HH:MM/],
      ['hours ending before they start', { transitions: [{ name: 'a', window: { timezone: 'UTC', hours: { tue: ['18:00-08:00'] } } }] }, 'transitions[0].window.hours.tue[0]', /ends before/],
      ['a bad date off', { transitions: [{ name: 'a', window: { timezone: 'UTC', hours: { mon: ['08:00-09:00'] }, datesOff: ['2025-02-30'] } }] }, 'transitions[0].window.datesOff[0]', /YYYY-MM-DD/],
      ['a window without hours', { transitions: [{ name: 'a', window: { timezone: 'UTC' } }] }, 'transitions[0].window.hours', /required/],
      ['a window open on no day', { transitions: [{ name: 'a', window: { timezone: 'UTC', hours: {} } }] }, 'transitions[0].window.hours', /no day/],
      ['a port out of range', { esl: { port: 70000 } }, 'esl.port', /at most 65535/],
      ['a port that is not a number', { http: { port: '80' } }, 'http.port', /whole number/],
      ['ESL port 0', { esl: { port: 0 } }, 'esl.port', /at least 1/],
      ['a bad regular expression', { transitions: [{ name: 'a', numbers: { blockPatterns: ['(+'] } }] }, 'transitions[0].numbers.blockPatterns[0]', /regular expression/],
      ['a bad country', { defaultCountry: 'XX' }, 'defaultCountry', /country/],
      ['a bad allowed country', { transitions: [{ name: 'a', numbers: { allowCountries: ['cz'] } }] }, 'transitions[0].numbers.allowCountries[0]', /country/],
      ['a bad number type', { transitions: [{ name: 'a', numbers: { allowTypes: ['LANDLINE'] } }] }, 'transitions[0].numbers.allowTypes[0]', /FIXED_LINE/],
      ['a bad mechanism', { transitions: [{ name: 'a', mechanisms: ['Ivr'] }] }, 'transitions[0].mechanisms[0]', /IvrCallBack/],
      ['a bad dial mode', { transitions: [{ name: 'a', dialMode: 'agent' }] }, 'transitions[0].dialMode', /agent-first, customer-first/],
      ['an endpoint without {number}', { transitions: [{ name: 'a', endpoint: 'PJSIP/trunk' }] }, 'transitions[0].endpoint', /\{number\}/],
      ['a bad cron expression', { scheduler: { sweepCron: 'every minute' } }, 'scheduler.sweepCron', /cron/],
      ['a transition without a name', { transitions: [{ sourceQueue: 'q' }] }, 'transitions[0].name', /required/],
      ['two transitions with one name', { transitions: [{ name: 'a' }, { name: 'a' }] }, 'transitions[1].name', /another transition/],
      ['a negative retry', { transitions: [{ name: 'a', retryMinutes: { busy: -1 } }] }, 'transitions[0].retryMinutes.busy', /at least 0/],
      ['a bad log level', { log: { level: 'verbose' } }, 'log.level', /error, warn, info, debug/],
      ['a section that is not a mapping', { ari: 'http://x' }, 'ari', /mapping/],
      ['an ARI URL with /ari', { ari: { url: 'http://127.0.0.1:8088/ari' } }, 'ari.url', /without the \/ari/],
      ['asterisk without ari.url', { pbx: 'asterisk', ari: { password: 'p' } }, 'ari.url', /required when pbx is asterisk/],
      ['asterisk without ari.password', { pbx: 'asterisk', ari: { url: 'http://127.0.0.1:8088' } }, 'ari.password', /required/],
      ['freeswitch, not in this version yet', { pbx: 'freeswitch' }, 'pbx', /not supported by this version yet/],
      ['a reconnect ceiling below the floor', { ari: { reconnectMinMs: 1000, reconnectMaxMs: 10 } }, 'ari.reconnectMaxMs', /reconnectMinMs/],
      ['an unknown store', { store: 'mysql' }, 'store', /sqlite, postgres/],
      ['postgres without storeUrl', { store: 'postgres' }, 'storeUrl', /required when store is postgres/],
      ['a storeUrl that is not a PostgreSQL URL', { store: 'postgres', storeUrl: 'mysql://u:pw@h/db' }, 'storeUrl', /not a PostgreSQL URL/],
      ['an empty pbxName', { pbxName: '' }, 'pbxName', /.+/],
      ['a pbxName with a space', { pbxName: 'pbx one' }, 'pbxName', /not a PBX name/],
    ];
    for (const [what, doc, key, problem] of cases) {
      it(`names the key for ${what}`, () => {
        const err = configError(() => parseConfig(doc));
        assert.equal(err.key, key);
        assert.equal(err.code, 'config_invalid');
        assert.match(err.message, problem);
      });
    }

    it('accepts http.port 0 (any free port) and a day running to 24:00', () => {
      const config = parseConfig({ http: { port: 0 }, transitions: [{ name: 'a', window: { timezone: 'UTC', hours: { sun: ['20:00-24:00'] } } }] });
      assert.equal(config.http.port, 0);
    });

    it('reports every problem at once, keyed by the first', () => {
      const err = configError(() => parseConfig({ db: 3, http: { port: -1 }, nope: true }));
      assert.ok(err.message.startsWith(`configuration key "${err.key}"`));
      for (const key of ['"db"', '"http.port"', '"nope"']) assert.ok(err.message.includes(key), `${key} in ${err.message}`);
      assert.equal(err.message.split('\n').length, 3);
    });

    it('does not echo the password of a storeUrl it refuses', () => {
      const err = configError(() => parseConfig({ store: 'postgres', storeUrl: 'mysql://callbackd:hunter2@db/callbackd' }));
      assert.equal(err.key, 'storeUrl');
      assert.ok(!err.message.includes('hunter2'), err.message);
    });

    it('accepts a PostgreSQL store with its URL, and a PBX name', () => {
      const config = parseConfig({ store: 'postgres', storeUrl: 'postgresql://callbackd:secret@db.example.com:5432/callbackd', pbxName: 'pbx-1.prague_2' });
      assert.equal(config.store, 'postgres');
      assert.equal(config.pbxName, 'pbx-1.prague_2');
    });

    it('does not echo a secret given with the wrong type', () => {
      const err = configError(() => parseConfig({ ari: { password: 123456789 } }));
      assert.equal(err.key, 'ari.password');
      assert.ok(!err.message.includes('123456789'));
    });

    it('refuses a document that is not a mapping', () => {
      configError(() => parseConfig(['a']));
    });
  });

  describe('environment', () => {
    it('overrides the file, coercing to each key type', () => {
      const path = file(`http: { port: 9000 }\nscheduler: { leaseSeconds: 30 }\n${TRANSITION}`);
      const config = loadConfig({
        file: path,
        env: {
          CALLBACKD_HTTP_PORT: '9100',
          CALLBACKD_SCHEDULER_LEASE_SECONDS: '90',
          CALLBACKD_ARI_URL: 'http://pbx:8088',
          CALLBACKD_DB: '/var/lib/callbackd/cb.db',
          CALLBACKD_DEFAULT_COUNTRY: 'CZ',
          CALLBACKD_ESL_HOST: 'fs1',
          CALLBACKD_API_TOKEN: 'tok',
          CALLBACKD_IVR_PROMPTS_GOODBYE: '["vm-goodbye","beep"]',
          CALLBACKD_STORE: 'postgres',
          CALLBACKD_STORE_URL: 'postgres://callbackd:pw@db:5432/callbackd',
          CALLBACKD_PBX_NAME: 'pbx2',
          PATH: '/usr/bin',
        },
      });
      assert.equal(config.http.port, 9100);
      assert.equal(config.scheduler.leaseSeconds, 90);
      assert.equal(config.ari.url, 'http://pbx:8088');
      assert.equal(config.db, '/var/lib/callbackd/cb.db');
      assert.equal(config.defaultCountry, 'CZ');
      assert.equal(config.esl.host, 'fs1');
      assert.equal(config.api.token, 'tok');
      assert.deepEqual(config.ivr.prompts.goodbye, ['vm-goodbye', 'beep']);
      assert.equal(config.store, 'postgres');
      assert.equal(config.storeUrl, 'postgres://callbackd:pw@db:5432/callbackd');
      assert.equal(config.pbxName, 'pbx2');
      assert.equal(config.transitions[0].name, 'support', 'keys not overridden still come from the file');
    });

    it('takes lists and whole sections as JSON, the keys inside them applied after', () => {
      const config = parseConfig({}, {
        CALLBACKD_TRANSITIONS: JSON.stringify([{ name: 'x', sourceQueue: 'sales', maxAttempts: 5 }]),
        CALLBACKD_ARI: JSON.stringify({ url: 'http://a:8088', user: 'u' }),
        CALLBACKD_ARI_USER: 'v',
      });
      assert.equal(config.transitions[0].name, 'x');
      assert.equal(config.transitions[0].maxAttempts, 5);
      assert.equal(config.ari.url, 'http://a:8088');
      assert.equal(config.ari.user, 'v');
    });

    it('names the key and the variable when a value has the wrong type', () => {
      const err = configError(() => parseConfig({}, { CALLBACKD_HTTP_PORT: 'abc' }));
      assert.equal(err.key, 'http.port');
      assert.match(err.message, /CALLBACKD_HTTP_PORT/);
    });

    it('names the variable when its value breaks a rule', () => {
      const err = configError(() => parseConfig({}, { CALLBACKD_TRANSITIONS: '[{"name":"a","window":{"timezone":"Mars/Base","hours":{"mon":["08:00-09:00"]}}}]' }));
      assert.equal(err.key, 'transitions[0].window.timezone');
      assert.match(err.message, /set by CALLBACKD_TRANSITIONS/);
    });

    it('refuses JSON that does not parse without echoing it', () => {
      const err = configError(() => parseConfig({}, { CALLBACKD_ARI: '{"password": "hunter2"' }));
      assert.equal(err.key, 'ari');
      assert.ok(!err.message.includes('hunter2'));
    });

    it('refuses an unknown CALLBACKD_ variable by name', () => {
      const err = configError(() => parseConfig({}, { CALLBACKD_FOO: '1' }));
      assert.equal(err.key, 'CALLBACKD_FOO');
      assert.match(err.message, /CALLBACKD_FOO/);
    });

    it('leaves CALLBACKD_CONFIG and variables of other programs alone', () => {
      assert.doesNotThrow(() => parseConfig({}, { CALLBACKD_CONFIG: '/x.yaml', HOME: '/root', CALLBACKDX: '1' }));
    });
  });
});
