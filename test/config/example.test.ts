import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, describeKeys, envName, loadConfig } from '../../src/config/load';

const EXAMPLE = join(__dirname, '..', '..', 'config', 'callbackd.example.yaml');

describe('config/callbackd.example.yaml', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('loads without errors', () => {
    const config = loadConfig({ file: EXAMPLE, env: {} });
    const support = config.transitions.find((t) => t.name === 'support')!;
    assert.equal(support.window?.timezone, 'Europe/Prague');
    assert.ok((support.window?.datesOff.length ?? 0) > 0);
    assert.ok(Object.keys(support.retryMinutes).length > 1);
  });

  it('shows the default prompts', () => {
    const config = loadConfig({ file: EXAMPLE, env: {} });
    assert.deepEqual(config.ivr.prompts, DEFAULTS.ivr.prompts);
  });

  it('mentions every key of the schema', () => {
    const missing = describeKeys()
      .map((k) => k.path.split('.').pop()?.replace('[]', '') ?? '')
      .filter((leaf) => !new RegExp(`(^|[\\s{,-])${leaf}:`, 'm').test(text));
    assert.deepEqual(missing, []);
  });

  it('names the environment variable of every key that has one', () => {
    const missing = describeKeys()
      .filter((k) => k.env !== null && !text.includes(k.env))
      .map((k) => k.env);
    assert.deepEqual(missing, []);
  });

  it('builds variable names by snake-casing each segment', () => {
    assert.equal(envName(['ari', 'url']), 'CALLBACKD_ARI_URL');
    assert.equal(envName(['scheduler', 'leaseSeconds']), 'CALLBACKD_SCHEDULER_LEASE_SECONDS');
    assert.equal(envName(['defaultCountry']), 'CALLBACKD_DEFAULT_COUNTRY');
    assert.equal(envName(['ari', 'reconnectMinMs']), 'CALLBACKD_ARI_RECONNECT_MIN_MS');
    const names = describeKeys().map((k) => k.env).filter((n) => n !== null);
    assert.ok(names.includes('CALLBACKD_TRANSITIONS'));
    assert.equal(new Set(names).size, names.length, 'no two keys share a variable');
  });
});
