// Run in a child process by the store tests: real concurrency and real crashes need real processes.
// Usage: child.ts claim FILE OWNER [SKIP_QUEUE]  |  child.ts write FILE
import { randomUUID } from 'crypto';
import readline from 'readline';
import { SqliteStore } from '../../../src/store/sqlite-store';

const [mode, file, owner, skipQueue] = process.argv.slice(2);
const skip = skipQueue ? [skipQueue] : [];

function claimUntilEmpty(): void {
  const store = SqliteStore.open(file);
  const rl = readline.createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  // Both claimers start on the parent's word, so their loops overlap. Each claim is followed by
  // the dial a dialer would commit and a timer turn standing for its PBX work; without that pause
  // SQLite's busy backoff can let one process take everything, and the race would go untested.
  rl.once('line', async () => {
    const claimed: string[] = [];
    for (;;) {
      const callback = store.claimNextDue(owner, Date.now(), 60_000, skip);
      if (!callback) break;
      claimed.push(callback.id);
      store.commit({ callbackId: callback.id, at: Date.now(), from: 'Scheduled', version: callback.version, event: 'dial' });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    store.close();
    process.stdout.write(`${JSON.stringify(claimed)}\n`, () => process.exit(0));
  });
}

/** Writes until killed; prints "id status" only after each commit has returned. */
function writeForever(): void {
  const store = SqliteStore.open(file);
  const at = Date.now();
  for (let i = 0; ; i++) {
    const id = randomUUID();
    store.createOrMerge(
      {
        id,
        number: `+44${process.pid}${String(i).padStart(6, '0')}`,
        queue: `q${i % 3}`,
        mechanism: 'IvrCallBack',
        transition: 't',
        dueAt: at,
        expiresAt: null,
        createdAt: at,
        originCallId: `call-${i}`,
        shifted: true,
        form: { account: String(i) },
        note: null,
        queuePosition: null,
      },
      [{ type: 'CallBack', callId: `call-${i}`, data: { shifted: true } }],
      () => {
        throw new Error('numbers are unique here');
      },
    );
    process.stdout.write(`${id} Scheduled\n`);
    const attemptId = randomUUID();
    store.commit({
      callbackId: id,
      at,
      from: 'Scheduled',
      event: 'dial',
      to: 'Dialing',
      set: { attempts: 1 },
      startAttempt: { id: attemptId, callbackId: id, seq: 1, mode: 'customer-first', startedAt: at, placeholderRef: null, customerRef: `ch-${i}` },
      events: [{ type: 'AttemptStarted', data: { attemptId } }],
    });
    process.stdout.write(`${id} Dialing\n`);
    const answered = i % 2 === 0;
    store.commit({
      callbackId: id,
      at,
      from: 'Dialing',
      event: answered ? 'answer' : 'retry',
      endAttempt: { id: attemptId, outcome: answered ? 'answered' : 'busy' },
      set: answered ? {} : { dueAt: at + 60_000 },
      events: [{ type: 'AttemptEnded', data: { attemptId } }],
    });
    process.stdout.write(`${id} ${answered ? 'Completed' : 'Scheduled'}\n`);
  }
}

if (mode === 'claim') claimUntilEmpty();
else if (mode === 'write') writeForever();
else throw new Error(`unknown mode ${mode}`);
