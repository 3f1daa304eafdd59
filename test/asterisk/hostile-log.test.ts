import assert from 'assert';
import { PassThrough } from 'node:stream';
import { describeError } from '../../src/asterisk/logging';
import { closeLogger, createLogger } from '../../src/log';

const MB = 1_000_000;

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = createLogger({ level: 'debug', file: '' }, { stream });
  const lines = () => chunks.join('').split('\n').filter((l) => l !== '');
  return { logger, lines };
}

/** Whatever a log call is given, the line it writes stays small, and a late call never breaks anything. */
describe('log lines under hostile input', () => {
  it('cuts a megabyte message and a megabyte field, with a marker, in valid JSON', () => {
    const { logger, lines } = capture();
    logger.warn('m'.repeat(MB), { number: '6'.repeat(MB), callId: 'c1' });
    const [line] = lines();
    assert.ok(line.length < 5000, `${line.length} characters`);
    const entry = JSON.parse(line) as Record<string, string>;
    assert.match(entry.message, /…\[truncated, 1000000 characters\]$/);
    assert.match(entry.number, /^6{2000}…\[truncated, 1000000 characters\]$/);
    assert.strictEqual(entry.callId, 'c1');
  });

  it('masks a credential that straddles the cut instead of showing half of it', () => {
    const { logger, lines } = capture();
    logger.info('x', { error: `${'x'.repeat(1990)} http://admin:hunter2hunter2@pbx.example/ari ${'y'.repeat(5000)}` });
    assert.ok(!lines()[0].includes('hunter2'), 'the password is not in the line, not even in part');
  });

  it('cuts long arrays, wide objects and deep nesting', () => {
    const { logger, lines } = capture();
    type Nest = { next?: Nest };
    const deep: Nest = {};
    let at = deep;
    for (let i = 0; i < 50; i++) at = at.next = {};
    logger.info('shapes', { args: Array.from({ length: 10_000 }, (_, i) => `a${i}`), wide: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])), deep });
    const line = lines()[0];
    assert.ok(line.length < 16_500, `${line.length} characters`);
    const entry = JSON.parse(line) as { args: string[]; wide: Record<string, unknown> };
    assert.strictEqual(entry.args.length, 101);
    assert.strictEqual(entry.args[100], '…[truncated, 10000 items]');
    assert.ok(line.includes('[too deep]'));
  });

  it('keeps a line of many long fields under the line limit, keeping level, message and time', () => {
    const { logger, lines } = capture();
    logger.error('many', Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, 'v'.repeat(3000)])));
    const line = lines()[0];
    assert.ok(line.length <= 16_000, `${line.length} characters`);
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.strictEqual(entry.level, 'error');
    assert.strictEqual(entry.message, 'many');
    assert.ok(typeof entry.timestamp === 'string');
    assert.match(String(entry.truncated), /cut/);
  });

  it('a log call after the logger was closed is dropped, without an error', async () => {
    const { logger, lines } = capture();
    const child = logger.child({ pbx: 'asterisk' });
    const errors: unknown[] = [];
    const onUncaught = (err: unknown) => errors.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      logger.info('last line');
      await new Promise((resolve) => {
        logger.once('finish', resolve);
        logger.end();
      });
      logger.error('reconcile failed', { error: 'late' });
      child.warn('late from a child');
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    assert.deepStrictEqual(errors.map(String), []);
    assert.deepStrictEqual(lines().map((l) => (JSON.parse(l) as { message: string }).message), ['last line']);
  });

  it('closeLogger resolves once the lines are written, and a second close is harmless', async () => {
    const { logger, lines } = capture();
    logger.info('callbackd stopped');
    await closeLogger(logger);
    assert.deepStrictEqual(lines().map((l) => (JSON.parse(l) as { message: string }).message), ['callbackd stopped']);
    await closeLogger(logger, 100);
  });

  it("the adapter's describeError never throws and stays short", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.strictEqual(describeError(circular), '(an error that cannot be printed)');
    assert.strictEqual(describeError(Object.create(null)), '{}');
    const long = describeError(new Error(`${'e'.repeat(990)} http://u:secretsecret@host/ ${'f'.repeat(MB)}`));
    assert.ok(long.length <= 1001, `${long.length} characters`);
    assert.ok(!long.includes('secret'));
  });
});
