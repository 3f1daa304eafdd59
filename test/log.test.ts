import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DEFAULTS } from '../src/config/load';
import type { Config } from '../src/config/types';
import type { Logger } from '../src/log';
import { createLogger, maskSecrets, redactConfig, withIds } from '../src/log';

function capture(level: 'debug' | 'info' = 'debug'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = createLogger({ level, file: '' }, { stream });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('log', () => {
  it('writes one JSON object per line with timestamp, level, message and fields', () => {
    const { logger, lines } = capture();
    logger.info('callback created', { attempts: 0 });
    logger.warn('second');
    const [first, second] = lines();
    assert.equal(lines().length, 2);
    assert.equal(first.level, 'info');
    assert.equal(first.message, 'callback created');
    assert.equal(first.attempts, 0);
    assert.ok(!Number.isNaN(Date.parse(String(first.timestamp))));
    assert.equal(second.level, 'warn');
  });

  it('drops lines below the configured level', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    assert.equal(lines().length, 0);
  });

  it('carries callbackId, callId and queue on every line of a child logger', () => {
    const { logger, lines } = capture();
    const log = withIds(logger, { callbackId: 'cb-1', callId: 'call-9', queue: 'support' });
    log.info('Scheduled -[dial]-> Dialing');
    withIds(log, { callId: 'call-10' }).warn('attempt ended');
    withIds(logger, { callbackId: 'cb-2', callId: null }).info('no call yet');
    const [a, b, c] = lines();
    assert.deepEqual([a.callbackId, a.callId, a.queue], ['cb-1', 'call-9', 'support']);
    assert.deepEqual([b.callbackId, b.callId, b.queue], ['cb-1', 'call-10', 'support']);
    assert.equal(c.callbackId, 'cb-2');
    assert.ok(!('callId' in c));
  });

  it('masks secret fields at any depth', () => {
    const { logger, lines } = capture();
    const fields = { password: 'pw1', nested: { apiToken: 'tk2', list: [{ Authorization: 'Bearer abcdefgh' }] }, api_key: 'k3', clientSecret: 's4', user: 'bob' };
    logger.info('connecting', fields);
    const [line] = lines();
    const text = JSON.stringify(line);
    for (const secret of ['pw1', 'tk2', 'abcdefgh', 'k3', 's4']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.equal(line.password, '***');
    assert.equal(line.user, 'bob');
    assert.equal(fields.password, 'pw1', 'the caller’s object is not changed');
  });

  it('masks credentials inside URLs and query strings, in messages and fields', () => {
    const { logger, lines } = capture();
    logger.error('ARI at http://asterisk:s3cret@pbx:8088 refused', {
      url: 'ws://pbx:8088/ari/events?app=callbackd&api_key=asterisk:s3cret2',
      hook: 'https://tok3n@hooks.example/x',
      header: 'Authorization: Basic dXNlcjpwYXNz',
    });
    const [line] = lines();
    const text = JSON.stringify(line);
    for (const secret of ['s3cret', 's3cret2', 'tok3n', 'dXNlcjpwYXNz']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.equal(line.message, 'ARI at http://asterisk:***@pbx:8088 refused');
    assert.equal(line.url, 'ws://pbx:8088/ari/events?app=callbackd&api_key=***');
    assert.equal(line.hook, 'https://***@hooks.example/x');
  });

  it('masks secrets carried by an Error and keeps its message', () => {
    const { logger, lines } = capture();
    logger.error('connect failed', { err: new Error('GET http://u:p4ss@pbx/ari failed') });
    const [line] = lines();
    const err = line.err as Record<string, unknown>;
    assert.equal(err.message, 'GET http://u:***@pbx/ari failed');
    assert.ok(!JSON.stringify(line).includes('p4ss'));
  });

  it('leaves ordinary text and URLs alone', () => {
    assert.equal(maskSecrets('queue support at http://pbx:8088/ari, basic setup'), 'queue support at http://pbx:8088/ari, basic setup');
    assert.deepEqual(maskSecrets({ a: [1, 'x'], n: null }), { a: [1, 'x'], n: null });
  });

  it('survives circular fields', () => {
    const loop: Record<string, unknown> = { token: 't' };
    loop.self = loop;
    assert.deepEqual(maskSecrets(loop), { token: '***', self: '[Circular]' });
  });

  it('redacts the configuration for printing', () => {
    const config: Config = {
      ...DEFAULTS,
      api: { token: 'api-secret' },
      ari: { ...DEFAULTS.ari, url: 'http://admin:pw@pbx:8088', password: 'ari-secret' },
    };
    const safe = redactConfig(config);
    const text = JSON.stringify(safe);
    for (const secret of ['api-secret', 'ari-secret', ':pw@', 'ClueCon']) assert.ok(!text.includes(secret), `${secret} leaked`);
    assert.equal(safe.ari.url, 'http://admin:***@pbx:8088');
    assert.equal(safe.ari.user, 'callbackd');
    assert.equal(config.api.token, 'api-secret');
  });
});
