import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { startDemo } from '../../src/demo/demo';

describe('callbackd demo', function () {
  this.timeout(60_000);

  it('runs the daemon against the simulator with synthetic callers until callbacks complete', async () => {
    const out = new PassThrough();
    let screen = '';
    out.on('data', (d: Buffer) => (screen += d.toString()));
    const demo = await startDemo({
      seconds: 0,
      agents: 2,
      out,
      live: false,
      speed: 10,
      mix: { arrivalSeconds: 0.5, pressOne: 0.3, callbackNode: 0, callAgain: 0, patience: [5.5, 6.5], busy: 0, noAnswer: 0 },
    });
    try {
      const deadline = Date.now() + 45_000;
      while ((demo.daemon.store.countByStatus().Completed ?? 0) < 2) {
        if (Date.now() > deadline) throw new Error(`no callback completed; screen:\n${screen.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(demo.traffic.stats.arrived > 0);
      assert.ok(demo.traffic.stats.pressedOne + demo.traffic.stats.abandoned > 0);
    } finally {
      demo.stop();
      await demo.done;
    }
    assert.match(screen, /callbackd demo: .*simulated Asterisk connected/);
    assert.match(screen, /Completed [1-9]/);
    assert.deepEqual(demo.sim.warnings(), []);
  });
});
