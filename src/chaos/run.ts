#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { freshPostgresDatabase, postgresAvailable } from '../tools/private-postgres';
import { randomSeed } from './random';
import { runStorm } from './storm';

function whole(name: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}`);
    return n;
  };
}

/** `npm run chaos -- --kills N --seed S`: exit 0 when every judged count is zero, 1 otherwise, 2 when the storm itself broke. */
async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('chaos')
    .description('crash storm: SIGKILL the daemon again and again under load, then judge what the PBX and the database saw')
    .option('--kills <n>', 'how many times to kill the daemon', whole('--kills', 0), 200)
    .option('--seed <n>', 'seed of every random choice (default: random, printed)', whole('--seed', 0))
    .option('--min-ms <ms>', 'shortest time the daemon runs between two kills', whole('--min-ms', 0), 300)
    .option('--max-ms <ms>', 'longest time the daemon runs between two kills', whole('--max-ms', 0), 2500)
    .option('--settle-s <s>', 'after the last restart, wait at most this long for quiet', whole('--settle-s', 1), 300)
    .option('--db <dir>', "keep the run's directory (database, daemon logs, report.txt) here")
    .option('--daemons <n>', 'daemons sharing the PBX and one PostgreSQL database (more than 1 needs PostgreSQL)', whole('--daemons', 1), 1)
    .option('--postgres', 'use PostgreSQL: a private cluster started for the run (Debian postgresql), unless --store-url names one')
    .option('--store-url <url>', 'use this PostgreSQL database (it should be empty)')
    .option('--quiet', 'print only the report')
    // Exit 1 means "a judged count is not zero"; a bad command line must not look like that.
    .exitOverride()
    .parse(argv);
  const o = program.opts<{ kills: number; seed?: number; minMs: number; maxMs: number; settleS: number; db?: string; quiet?: boolean; daemons: number; postgres?: boolean; storeUrl?: string }>();
  if (o.maxMs < o.minMs) throw new InvalidArgumentError('--max-ms must not be below --min-ms');
  let storeUrl = o.storeUrl;
  if (!storeUrl && (o.postgres || o.daemons > 1)) {
    const why = await postgresAvailable();
    if (why) throw new Error(`PostgreSQL is needed (${o.daemons > 1 ? `${o.daemons} daemons share one database` : '--postgres'}) but ${why}; or give --store-url`);
    storeUrl = (await freshPostgresDatabase()).url;
  }
  const seed = o.seed ?? randomSeed();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!o.quiet) out(`crash storm: seed ${seed}, ${o.kills} kills every ${o.minMs}..${o.maxMs} ms, ${o.daemons} daemon${o.daemons === 1 ? '' : 's'} on ${storeUrl ? 'PostgreSQL' : 'SQLite'}`);
  const result = await runStorm({
    kills: o.kills,
    seed,
    minMs: o.minMs,
    maxMs: o.maxMs,
    settleMs: o.settleS * 1000,
    dir: o.db,
    daemons: o.daemons,
    storeUrl,
    progress: o.quiet ? undefined : out,
  });
  if (!o.quiet) out('');
  out(result.report);
  return result.verdict.failed ? 1 : 0;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
