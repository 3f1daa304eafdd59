import assert from 'assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { CLI, cliEnv, killed } from '../helpers/cli';
import { DaemonProcessRig } from '../helpers/daemon-process';
import { until } from '../pbx/gateway-behaviour';

const DIST = path.dirname(CLI);

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
}

/** The real `callbackd run` (dist/cli.js) against the simulator: how it stops, and how it treats failures nobody caught. */
describe('callbackd run: a clean stop and the process-wide failure policy', function () {
  this.timeout(60_000);
  let rig: DaemonProcessRig;
  let child: ChildProcess | null = null;

  beforeEach(async () => {
    rig = await new DaemonProcessRig('callbackd-stop-').open([{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0 }]);
    rig.sim.addQueue('support', { members: [{ name: 'agent1', state: 'paused' }] });
  });
  afterEach(async () => {
    if (child) await killed(child, 'SIGKILL');
    child = null;
    await rig.close();
  });

  const start = async () => {
    const output = await rig.start();
    child = rig.child;
    return output;
  };
  const lastMessage = (output: string) => {
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    return (JSON.parse(lines[lines.length - 1]) as { message: string }).message;
  };

  it('SIGTERM while a reconcile waits on Asterisk: exit 0, "callbackd stopped" as the last line, no write after end', async () => {
    const output = await start();
    const call = rig.sim.callIntoQueue({ number: '+420601000001', queue: 'support' });
    await until(() => rig.sim.requests().some((r) => r.path === `/channels/${call.channelId}/continue`), 'the call to be observed', 10_000);
    // After a reconnect the reconcile looks the waiting call up; that request is held far longer than the stop takes.
    rig.sim.faults.add({ method: 'GET', path: `/ari/channels/${call.channelId}`, delayMs: 60_000 });
    rig.sim.dropConnections();
    await until(() => rig.sim.faults.taken >= 1, 'the reconcile to be waiting on GET /channels/{id}', 10_000);
    const stopped = Date.now();
    (child as ChildProcess).kill('SIGTERM');
    const { code, signal } = await exited(child as ChildProcess);
    assert.strictEqual(signal, null);
    assert.strictEqual(code, 0, output());
    assert.ok(Date.now() - stopped < 8000, 'the stop does not wait for the held request');
    assert.strictEqual(lastMessage(output()), 'callbackd stopped');
    assert.ok(!/write after end/i.test(output()), 'no "write after end"');
  });

  it('SIGINT when idle: exit 0 after "callbackd stopped"', async () => {
    const output = await start();
    (child as ChildProcess).kill('SIGINT');
    const { code } = await exited(child as ChildProcess);
    assert.strictEqual(code, 0, output());
    assert.strictEqual(lastMessage(output()), 'callbackd stopped');
  });

  it('an unhandled rejection is logged with its stack and the process carries on; an uncaught exception is logged and exits 70', async () => {
    const script = `
      const { installProcessGuards } = require(${JSON.stringify(path.join(DIST, 'cli', 'daemon-commands.js'))});
      const { createLogger } = require(${JSON.stringify(path.join(DIST, 'log.js'))});
      const logger = createLogger({ level: 'info', file: '' });
      installProcessGuards(logger);
      Promise.reject(new Error('a promise nobody awaited'));
      setTimeout(() => logger.info('still running'), 100);
      setTimeout(() => { throw new Error('a handler that threw'); }, 200);
      setTimeout(() => logger.info('never reached'), 5000);
    `;
    const proc = spawn(process.execPath, ['-e', script], { env: cliEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const { code } = await exited(proc);
    assert.strictEqual(code, 70, out);
    const entries = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { message: string; level: string; error?: string });
    assert.deepStrictEqual(entries.map((e) => e.message), ['unhandled promise rejection; carrying on', 'still running', 'uncaught exception; exiting']);
    assert.match(entries[0].error ?? '', /Error: a promise nobody awaited\n\s+at /, 'with its stack');
    assert.match(entries[2].error ?? '', /Error: a handler that threw\n\s+at /);
  });
});
