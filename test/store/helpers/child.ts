// Run in a child process by the store tests: real concurrency and real crashes need real processes.
// The store is opened through openStore with the config given as JSON, so it works for each backend.
// Usage: child.ts claim CONFIG OWNER [FULL_QUEUE] | child.ts write CONFIG | child.ts listen CONFIG | child.ts create CONFIG
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import type { CallbackStore } from '../../../src/domain/store';
import { type StoreConfig, openStore } from '../../../src/store/open';
import { newCallback, refuseMerge } from './fixtures';

const [mode, configJson, owner, fullQueue] = process.argv.slice(2);
const config = JSON.parse(configJson) as StoreConfig;

function say(line: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

const lines = readline.createInterface({ input: process.stdin });

async function claimUntilEmpty(store: CallbackStore): Promise<void> {
  const queueLimits = fullQueue ? { [fullQueue]: 0 } : {};
  await say('ready');
  // Both claimers start on the parent's word, so their loops overlap. Each claim is followed by
  // the dial a dialer would commit and a timer turn standing for its PBX work; without that pause
  // SQLite's busy backoff can let one process take everything, and the race would go untested.
  await new Promise((resolve) => lines.once('line', resolve));
  const claimed: string[] = [];
  for (;;) {
    const { callback } = await store.claimNextDue({ owner, pbx: 'default', now: Date.now(), leaseMs: 60_000, maxConcurrent: 1_000_000, queueLimits });
    if (!callback) break;
    claimed.push(callback.id);
    await store.commit({ callbackId: callback.id, at: Date.now(), from: 'Scheduled', version: callback.version, event: 'dial', set: { claimOwner: null, claimUntil: null } });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await store.close();
  await say(JSON.stringify(claimed));
  process.exit(0);
}

/** Writes until killed; prints "id status" only after each commit has returned. */
async function writeForever(store: CallbackStore): Promise<never> {
  const at = Date.now();
  for (let i = 0; ; i++) {
    const callback = newCallback({ number: `+44${process.pid}${String(i).padStart(6, '0')}`, queue: `q${i % 3}`, dueAt: at, createdAt: at, originCallId: `call-${i}`, shifted: true, form: { account: String(i) } });
    const id = callback.id;
    await store.createOrMerge(callback, [{ type: 'CallBack', callId: `call-${i}`, data: { shifted: true } }], refuseMerge);
    await say(`${id} Scheduled`);
    const attemptId = randomUUID();
    await store.commit({
      callbackId: id,
      at,
      from: 'Scheduled',
      event: 'dial',
      to: 'Dialing',
      set: { attempts: 1 },
      startAttempt: { id: attemptId, callbackId: id, seq: 1, mode: 'customer-first', startedAt: at, placeholderRef: null, customerRef: `ch-${i}`, owner: 'writer', leaseUntil: at + 60_000, counted: true },
      events: [{ type: 'AttemptStarted', data: { attemptId } }],
    });
    await say(`${id} Dialing`);
    const answered = i % 2 === 0;
    await store.commit({
      callbackId: id,
      at,
      from: 'Dialing',
      event: answered ? 'answer' : 'retry',
      endAttempt: { id: attemptId, outcome: answered ? 'answered' : 'busy' },
      set: answered ? {} : { dueAt: at + 60_000 },
      events: [{ type: 'AttemptEnded', data: { attemptId } }],
    });
    await say(`${id} ${answered ? 'Completed' : 'Scheduled'}`);
  }
}

/** A daemon's ear: prints "listening", then "work" at each announcement; runs until killed. */
async function listen(store: CallbackStore): Promise<void> {
  await store.onWork(() => void say('work'));
  await say('listening');
  // The wake socket does not hold the process open by itself; the daemon's own work would.
  setInterval(() => undefined, 60_000);
}

/** A command-line writer: at each line read, creates a due callback and prints when it began (epoch ms, fractional). */
async function createOnCue(store: CallbackStore): Promise<void> {
  await say('ready');
  lines.on('line', async (line) => {
    if (line === 'quit') {
      await store.close();
      process.exit(0);
    }
    const began = performance.timeOrigin + performance.now();
    await store.createOrMerge(newCallback({ dueAt: Date.now() }), [{ type: 'Created' }], refuseMerge);
    await say(`created ${began}`);
  });
}

async function main(): Promise<void> {
  const store = await openStore(config);
  if (mode === 'claim') await claimUntilEmpty(store);
  else if (mode === 'write') await writeForever(store);
  else if (mode === 'listen') await listen(store);
  else if (mode === 'create') await createOnCue(store);
  else throw new Error(`unknown mode ${mode}`);
}

main().catch((err) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
