import { strict as assert } from 'node:assert';
import { parseConfig } from '../../src/config/load';
import { ConfigError } from '../../src/domain/errors';

const base = { pbx: 'none', defaultCountry: 'CZ' };

function refusal(doc: Record<string, unknown>, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig({ ...base, ...doc }, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('webhooks: configuration', () => {
  it('has none by default, and fills what a webhook leaves out', () => {
    assert.deepEqual(parseConfig(base).webhooks, []);
    const [crm] = parseConfig({ ...base, webhooks: [{ name: 'crm', url: 'https://crm.example.com/hook' }] }).webhooks;
    assert.deepEqual(crm, {
      name: 'crm',
      url: 'https://crm.example.com/hook',
      secret: '',
      secretEnv: '',
      timeoutMs: 5000,
      maxAttempts: 6,
      retry: { firstDelaySeconds: 10, factor: 3, maxDelaySeconds: 3600 },
    });
  });

  it('reads the secret from the variable secretEnv names, once', () => {
    const config = parseConfig({ ...base, webhooks: [{ name: 'crm', url: 'http://127.0.0.1:9000/', secretEnv: 'CRM_SECRET', retry: { factor: 2 } }] }, { CRM_SECRET: 'from-env' });
    assert.equal(config.webhooks[0].secret, 'from-env');
    assert.deepEqual(config.webhooks[0].retry, { firstDelaySeconds: 10, factor: 2, maxDelaySeconds: 3600 });
    assert.ok(Object.isFrozen(config.webhooks[0]));
  });

  it('takes the whole list from CALLBACKD_WEBHOOKS', () => {
    const config = parseConfig(base, { CALLBACKD_WEBHOOKS: JSON.stringify([{ name: 'bi', url: 'https://bi.example.com/in', maxAttempts: 2 }]) });
    assert.deepEqual(config.webhooks.map((w) => [w.name, w.maxAttempts]), [['bi', 2]]);
  });

  it('refuses a bad webhook, naming the key', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: 'crm', url: 'ftp://crm.example.com/' }, 'webhooks[0].url', /http:\/\/ or https:\/\//],
      [{ name: 'crm', url: 'not a url' }, 'webhooks[0].url', /not a URL/],
      [{ name: 'crm' }, 'webhooks[0].url', /required/],
      [{ url: 'https://x.example.com/' }, 'webhooks[0].name', /required/],
      [{ name: 'a b', url: 'https://x.example.com/' }, 'webhooks[0].name', /not a webhook name/],
      [{ name: 'deliveries', url: 'https://x.example.com/' }, 'webhooks[0].name', /reserved/],
      [{ name: 'crm', url: 'https://x.example.com/', timeoutMs: 0 }, 'webhooks[0].timeoutMs', /at least 1/],
      [{ name: 'crm', url: 'https://x.example.com/', maxAttempts: 0 }, 'webhooks[0].maxAttempts', /at least 1/],
      [{ name: 'crm', url: 'https://x.example.com/', retry: { factor: 0 } }, 'webhooks[0].retry.factor', /at least 1/],
      [{ name: 'crm', url: 'https://x.example.com/', retry: { firstDelaySeconds: 100, maxDelaySeconds: 10 } }, 'webhooks[0].retry.maxDelaySeconds', /not be below/],
      [{ name: 'crm', url: 'https://x.example.com/', secret: 's', secretEnv: 'S' }, 'webhooks[0].secretEnv', /not both/],
      [{ name: 'crm', url: 'https://x.example.com/', secretEnv: 'CALLBACKD_CRM_SECRET' }, 'webhooks[0].secretEnv', /CALLBACKD_/],
      [{ name: 'crm', url: 'https://x.example.com/', secretEnv: 'UNSET_SECRET' }, 'webhooks[0].secretEnv', /not set/],
      [{ name: 'crm', url: 'https://x.example.com/', sekret: 'x' }, 'webhooks[0].sekret', /did you mean "secret"/],
    ];
    for (const [webhook, key, problem] of cases) {
      const err = refusal({ webhooks: [webhook] });
      assert.equal(err.key, key, JSON.stringify(webhook));
      assert.match(err.message, problem);
    }
    const twice = refusal({ webhooks: [{ name: 'crm', url: 'https://a.example.com/' }, { name: 'crm', url: 'https://b.example.com/' }] });
    assert.equal(twice.key, 'webhooks[1].name');
  });
});
