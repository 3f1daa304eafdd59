// Preloaded (node --require) into the `callbackd create` processes of the due-to-originate bench:
// notes when the command learnt that its write committed, and prints it on stderr as it exits, so
// the bench measures from the commit rather than from the process start or the clock read before
// the insert. The command itself runs unchanged.
//   SQLite: the moment the store asks the daemon's wake socket (it does so right after COMMIT).
//   PostgreSQL: the moment a COMMIT answered (the daemon's NOTIFY is delivered at that COMMIT).
import fs from 'node:fs';
import pg from 'pg';
import { COMMITTED_AT } from './figures';

let committedAt: number | null = null;

// require, not import: the spy replaces the module's export, which an import binding would not see.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wake = require('../store/wake-socket') as typeof import('../store/wake-socket');
const sendWake = wake.sendWake;
wake.sendWake = (socketPath: string) => {
  committedAt = Date.now();
  return sendWake(socketPath);
};

type Query = (...args: unknown[]) => unknown;
const query = pg.Client.prototype.query as unknown as Query;
(pg.Client.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]) {
  const result = query.apply(this, args);
  if (args[0] === 'COMMIT' && result instanceof Promise) {
    result.then(
      () => {
        committedAt = Date.now();
      },
      () => undefined,
    );
  }
  return result;
};

process.on('exit', () => {
  if (committedAt !== null) fs.writeSync(2, `${COMMITTED_AT} ${committedAt}\n`);
});
