import assert from 'node:assert/strict';
import { runStorm } from '../../src/chaos/storm';

/**
 * CRASH STORM (slow: about a minute). The real daemon process (dist/cli.js, built by `npm test`)
 * is SIGKILLed 20 times under mixed load against the ARI simulator, with a fixed seed, and every
 * judged count must be zero. When it fails, the run directory (daemon.log, report.txt,
 * records.json, the database) is kept and named in the message, with the storm's report naming
 * each count that is not zero and examples. The full storm is `npm run chaos -- --kills 200`.
 */
describe('crash storm: 20 SIGKILLs under load (slow)', function () {
  this.timeout(180_000);

  it('no double dial, no dial after the end or after getting through, no lost call, nothing stuck or parked', async () => {
    const result = await runStorm({
      kills: 20,
      seed: 20261202,
      minMs: 250,
      maxMs: 800,
      settleMs: 20_000,
      // Callbacks due later than this (the 1-2 minute IVR bookings) may stay Scheduled at the end.
      horizonMs: 5_000,
    });
    const failing = result.verdict.counts.filter((c) => c.value > 0);
    assert.deepEqual(
      failing.map((c) => `${c.name}: ${c.value}`),
      [],
      `\n${result.report}\n(run directory kept: ${result.dir})`,
    );
  });
});
