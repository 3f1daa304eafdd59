import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DEFAULTS } from '../src/config/load';
import type { Config } from '../src/config/types';
import { ConfigError } from '../src/domain/errors';
import type { Logger } from '../src/log';
import { closeLogger, createLogger, LogFileError, logConfiguration, maskSecrets, redactConfig, withIds } from '../src/log';
import { runCli } from './helpers/cli';

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
      api: { ...DEFAULTS.api, token: 'api-secret', viewerToken: 'viewer-secret' },
      ari: { ...DEFAULTS.ari, url: 'http://admin:pw@pbx:8088', password: 'ari-secret' },
    };
    const safe = redactConfig(config);
    const text = JSON.stringify(safe);
    for (const secret of ['api-secret', 'viewer-secret', 'ari-secret', ':pw@', 'ClueCon']) assert.ok(!text.includes(secret), `${secret} leaked`);
    assert.equal(safe.ari.url, 'http://admin:***@pbx:8088');
    assert.equal(safe.ari.user, 'callbackd');
    assert.equal(config.api.token, 'api-secret');
  });
});

describe('log line layout', () => {
  function raw(format: 'json' | 'pretty', level: 'debug' | 'info' = 'debug', extra: { colour?: boolean; tty?: boolean } = {}): { logger: Logger; text: () => string } {
    const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
    if (extra.tty) stream.isTTY = true;
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const logger = createLogger({ level, file: '', format }, { stream, colour: extra.colour });
    return { logger, text: () => chunks.join('') };
  }
  const CB = '6b0e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
  const ATTEMPT = '9d8c7b6a-5f4e-4d3c-8b2a-190817263544';

  it('puts timestamp, level and message first, then the ids, then the fields as given (json)', () => {
    const { logger, text } = raw('json');
    withIds(logger, { queue: 'support', callId: '1733161234.42', callbackId: CB }).info('Scheduled -[dial]-> Dialing', { zeta: 1, attemptId: ATTEMPT, alpha: 2 });
    const line = text().trim();
    assert.deepEqual(Object.keys(JSON.parse(line)), ['timestamp', 'level', 'message', 'callbackId', 'callId', 'queue', 'attemptId', 'zeta', 'alpha']);
    assert.match(line, /^\{"timestamp":"[^"]+","level":"info","message":"Scheduled -\[dial\]-> Dialing","callbackId":/);
  });

  it('keeps the first line short: a whole configuration is summarised unless the level is debug', () => {
    const config: Config = { ...DEFAULTS, pbx: 'asterisk', ari: { ...DEFAULTS.ari, url: 'http://admin:pw@pbx:8088', password: 'ari-secret' } };
    const { logger, text } = raw('json', 'info');
    logger.info('configuration loaded', { config: redactConfig(config) });
    const line = text().trim();
    assert.ok(line.length < 400, `${line.length} characters: ${line}`);
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.equal(entry.pbx, 'asterisk');
    assert.equal(entry.transitions, 1);
    assert.match(String(entry.db), /data\/callbackd\.db$/);
    assert.equal(entry.ari, 'http://admin:***@pbx:8088');
    assert.ok(!line.includes('ari-secret') && !line.includes(':pw@'));

    const debug = raw('json', 'debug');
    debug.logger.info('configuration loaded', { config: redactConfig(config) });
    assert.ok((JSON.parse(debug.text()) as { config?: Config }).config?.transitions, 'at debug the whole configuration is kept');
  });

  it('logConfiguration: where it came from and a few facts at info, the whole configuration at debug', () => {
    const { logger, text } = raw('json', 'debug');
    logConfiguration(logger, { ...DEFAULTS, api: { ...DEFAULTS.api, token: 'api-secret' } }, { file: 'config/callbackd.yaml' });
    const [short, full] = text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(short.message, 'configuration loaded');
    assert.match(String(short.file), /config\/callbackd\.yaml$/);
    assert.deepEqual(Object.keys(short).slice(3), ['file', 'pbx', 'db', 'log', 'logFormat', 'transitions']);
    assert.equal(full.level, 'debug');
    assert.ok(!text().includes('api-secret'));
    const info = raw('json', 'info');
    logConfiguration(info.logger, DEFAULTS, { file: null });
    assert.equal(info.text().trim().split('\n').length, 1);
  });

  it('pretty: one readable line per event, whole ids, no colour unless a terminal', () => {
    const { logger, text } = raw('pretty');
    withIds(logger, { callbackId: CB, callId: '1733161234.42', queue: 'support' }).info('Scheduled -[dial]-> Dialing', { attemptId: ATTEMPT, mode: 'agent-first', note: 'two words' });
    logger.warn('no ids here');
    const [first, second] = text().trim().split('\n');
    assert.match(first, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} info  \[cb 6b0e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b call 1733161234\.42 support\] Scheduled -\[dial\]-> Dialing {2}attempt=9d8c7b6a-5f4e-4d3c-8b2a-190817263544 mode=agent-first note="two words"$/);
    assert.match(second, /^\S+ \S+ warn  no ids here$/);
    assert.ok(!text().includes('\x1b['), 'no colour codes on a pipe');
  });

  it('pretty: colour on a terminal, none with NO_COLOR', () => {
    const tty = raw('pretty', 'info', { tty: true });
    tty.logger.error('boom');
    assert.ok(tty.text().includes('\x1b[31m'), JSON.stringify(tty.text()));
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      const plain = raw('pretty', 'info', { tty: true });
      plain.logger.error('boom');
      assert.ok(!plain.text().includes('\x1b['));
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });

  it('pretty: secrets masked, and a line break in a message or field stays on one line', () => {
    const { logger, text } = raw('pretty');
    logger.error('ARI at http://asterisk:s3cret@pbx:8088 refused\nsecond line', { password: 'pw1', error: new Error('GET http://u:p4ss@pbx/ari failed'), header: 'Authorization: Basic dXNlcjpwYXNz' });
    const out = text();
    assert.equal(out.trim().split('\n').length, 1, out);
    for (const secret of ['s3cret', 'pw1', 'p4ss', 'dXNlcjpwYXNz']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    assert.match(out, /refused\\nsecond line/);
    assert.match(out, /password=\*\*\*/);
  });

  it('pretty: a huge entry is cut to one bounded line', () => {
    const { logger, text } = raw('pretty');
    logger.info('many', Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, 'v'.repeat(3000)])));
    const out = text().trim();
    assert.equal(out.split('\n').length, 1);
    assert.ok(out.length < 16_100, `${out.length}`);
    assert.match(out, /line of \d+ characters cut/);
  });
});

describe('log.file that cannot be written', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-log-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function refusal(file: string): LogFileError {
    try {
      createLogger({ level: 'info', file });
    } catch (err) {
      assert.ok(err instanceof LogFileError, String(err));
      assert.ok(err instanceof ConfigError, 'a configuration error: the CLI prints one line and exits 78');
      assert.equal(err.code, 'config_invalid');
      assert.equal(err.key, 'log.file');
      assert.ok(!err.message.includes('\n'), err.message);
      assert.match(err.message, /^log\.file \(CALLBACKD_LOG_FILE\): cannot write \//);
      return err;
    }
    assert.fail(`${file} was accepted`);
  }

  it('names the key and the path for a directory', () => {
    assert.match(refusal(dir).message, new RegExp(`cannot write ${dir}: it is a directory`));
  });

  it('for a path under a file', () => {
    const file = path.join(dir, 'plain-file');
    fs.writeFileSync(file, '');
    assert.match(refusal(path.join(file, 'sub', 'callbackd.log')).message, new RegExp(`${file} is not a directory`));
    assert.match(refusal('/etc/passwd/x/callbackd.log').message, /\/etc\/passwd is not a directory/);
  });

  it('for /proc, at once (no endless mkdir)', () => {
    const started = Date.now();
    assert.match(refusal('/proc/x/y/callbackd.log').message, /cannot write \/proc\/x\/y\/callbackd\.log: cannot create the directory \/proc\/x/);
    assert.match(refusal('/proc/x.log').message, /ENOENT/);
    assert.ok(Date.now() - started < 2000);
  });

  it('for a read-only place', function () {
    assert.match(refusal('/sys/callbackd-test.log').message, /EACCES|EROFS|ENOENT/);
    if (process.getuid?.() === 0) return; // root writes anywhere: the chmod case needs an ordinary user
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro, 0o555);
    assert.match(refusal(path.join(ro, 'callbackd.log')).message, /EACCES/);
  });

  it('creates missing directories in a writable place and appends to the file', async () => {
    const file = path.join(dir, 'logs', 'deeper', 'callbackd.log');
    const logger = createLogger({ level: 'info', file });
    logger.info('written');
    await closeLogger(logger);
    assert.match(fs.readFileSync(file, 'utf8'), /"message":"written"/);
  });

  it('stops `callbackd run` before it starts, with one line and exit 78', () => {
    // A path under a file cannot be created: the daemon refuses before anything starts.
    fs.writeFileSync(path.join(dir, 'file'), '');
    const bad = runCli(['run'], { CALLBACKD_LOG_FILE: path.join(dir, 'file', 'x.log'), CALLBACKD_DB: path.join(dir, 'db'), CALLBACKD_HTTP_PORT: '0' }, dir);
    assert.equal(bad.status, 78, bad.stderr);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /^callbackd: log\.file \(CALLBACKD_LOG_FILE\): cannot write .*file\/x\.log: .*file is not a directory/);
    assert.ok(!fs.existsSync(path.join(dir, 'db')), 'nothing was started: no database created');
  });
});
