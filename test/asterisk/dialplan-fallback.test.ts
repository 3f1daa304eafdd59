import assert from 'node:assert/strict';
import { AriSimulator } from '../../src/asterisk/simulator';

type Ev = { type: string; channel?: { id: string }; dialplan_app?: string; dialplan_app_data?: string };

/**
 * The shipped dialplan while callbackd is down (no application connected): calls reach their
 * queue, and a caller who presses 1 is put back at their place for what remains of their wait.
 */
describe('shipped dialplan while callbackd is down', () => {
  let sim: AriSimulator;
  afterEach(async () => {
    await sim.stop();
  });

  it('a caller who presses 1 goes back to their place with the rest of their queue timeout, then on in the site dialplan', async () => {
    // One simulated second is 50 ms: the 20 s queue timeout runs out within a second.
    sim = new AriSimulator({ secondMs: 50 });
    await sim.start();
    const queueData: string[] = [];
    sim.on('ari-event', (ev: Ev) => {
      if (ev.type === 'ChannelDialplan' && ev.dialplan_app === 'Queue') queueData.push(String(ev.dialplan_app_data));
    });
    sim.addQueue('support', { members: [{ name: 'agent1', state: 'paused' }] });
    await sim.callIntoQueue({ number: '+420601000001', queue: 'support' }).waitFor('queued');
    const caller = sim.callIntoQueue({ number: '+420601000002', queue: 'support', timeoutSec: 20 });
    await caller.waitFor('queued');
    await new Promise((r) => setTimeout(r, 300));
    await caller.pressDigits('1');
    await caller.waitFor('gone', 5000);
    assert.ok(queueData.includes('support,,,,20,,callbackd-agent-answered'), `first queued with its timeout: ${queueData.join(' | ')}`);
    const again = queueData[queueData.length - 1];
    const [, , , , timeout, , gosub, , position] = again.split(',');
    assert.equal(position, '2', 'back at the place left');
    assert.equal(gosub, 'callbackd-agent-answered');
    assert.ok(Number(timeout) >= 1 && Number(timeout) < 20, `what remains of the 20 s: ${timeout}`);
  });
});
