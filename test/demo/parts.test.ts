import assert from 'node:assert/strict';
import { DEFAULT_TRANSITION } from '../../src/config/defaults';
import { NumberBook } from '../../src/demo/numbers';
import { demoConfig, load, QUEUES, ruleFor, staff } from '../../src/demo/scenario';
import { seededRandom, timescale } from '../../src/demo/timescale';

describe('demo parts', () => {
  it('draws only numbers the demo rules accept, and would refuse the ones it used to invent', () => {
    const config = demoConfig({ url: 'http://127.0.0.1:1', db: ':memory:', logFile: '' });
    const book = new NumberBook(ruleFor(config, 'support').numbers, config.defaultCountry, seededRandom(1));
    for (let i = 0; i < 2000; i++) book.fresh();
    assert.equal(new Set(book.issued).size, 2000, 'no number twice');
    assert.equal(book.refused, 0);
    for (const n of book.issued) assert.equal(book.problem(n), null, n);
    // The old generator's +42060[1-9]…: one in nine was +420609…, which is no number.
    assert.match(String(book.problem('+420609123456')), /not a valid phone number/);
    assert.match(String(book.problem('+12025550123')), /not in CZ/);
    assert.equal(new NumberBook(DEFAULT_TRANSITION.numbers, 'CZ', Math.random).problem('+420601111222'), null);
  });

  it('offers each queue less than its agents take, for any number of agents', () => {
    for (const agents of [1, 2, 3, 5, 10, 20]) {
      const l = load(staff(agents));
      for (const queue of QUEUES) {
        assert.ok(l[queue].offeredPerMinute < 0.8 * l[queue].capacityPerMinute, `${agents} agents, ${queue}: ${JSON.stringify(l[queue])}`);
        assert.ok(l[queue].arrivalsPerMinute > 0);
      }
    }
    // 2 agents: 60/7 + 60/8 calls a minute.
    assert.equal(load(staff(2)).support.capacityPerMinute.toFixed(2), (60 / 7 + 60 / 8).toFixed(2));
  });

  it('runs demo time faster than real time when asked', async () => {
    const t = timescale(20);
    const before = t.clock.now();
    await new Promise((r) => setTimeout(r, 100));
    const advanced = t.clock.now() - before;
    assert.ok(advanced >= 1500 && advanced < 6000, `${advanced} ms of demo time in 100 ms`);
    const fired = await new Promise<number>((resolve) => {
      const start = Date.now();
      t.timers.setTimeout(() => resolve(Date.now() - start), 2000);
    });
    assert.ok(fired < 1000, `a 2 s demo timer took ${fired} ms`);
    assert.throws(() => timescale(0), /positive/);
  });
});
