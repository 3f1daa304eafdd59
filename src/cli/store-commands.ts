import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config/types';
import { EXPORT_KINDS, type CallbackStore, type ExportKind, type ExportPage } from '../domain/store';
import { openStore } from '../store/open';
import { CliError, EXIT_CONFIG, loadConfigFor, openStoreFor, type GlobalOptions } from './context';

/** Rows per transaction: large enough to be quick, small enough that a page never holds much memory. */
const PAGE = 2_000;
/** A source whose daemon beat within this long is still in use. */
const SEAT_FRESH_MS = 30_000;

/** Where `--to` points: a PostgreSQL URL, or a SQLite file (to copy back). */
function target(to: string): Pick<Config, 'store' | 'db' | 'storeUrl'> {
  if (/^postgres(ql)?:\/\//.test(to)) return { store: 'postgres', storeUrl: to, db: '' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to)) throw new CliError('bad_target', `--to ${to.replace(/:[^:@/]*@/, ':***@')}: give a postgres:// URL or a SQLite file path`, EXIT_CONFIG);
  return { store: 'sqlite', db: path.resolve(to), storeUrl: '' };
}

async function copyKind(from: CallbackStore, to: CallbackStore, kind: ExportKind): Promise<{ read: number; written: number }> {
  let after: string | null = null;
  let read = 0;
  let written = 0;
  do {
    const page: ExportPage<ExportKind> = await from.exportPage(kind, after, PAGE);
    read += page.rows.length;
    written += await to.importRows(kind, page.rows);
    after = page.next;
  } while (after !== null);
  return { read, written };
}

/** The statuses of both stores must agree once the copy is done: the copy says so, or fails. */
async function compare(from: CallbackStore, to: CallbackStore): Promise<string | null> {
  const [a, b] = [await from.countByStatus(), await to.countByStatus()];
  for (const status of new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof typeof a>) {
    if ((a[status] ?? 0) !== (b[status] ?? 0)) return `${status}: ${a[status] ?? 0} in the source, ${b[status] ?? 0} in the target`;
  }
  return null;
}

export function registerStoreCommands(program: Command): void {
  program
    .command('copy')
    .description('copy every callback, attempt, event and call from the configured store into another (SQLite to PostgreSQL)')
    .requiredOption('--to <url-or-file>', 'the target: postgres://user:password@host:5432/database, or a SQLite file')
    .action(async function (this: Command, opts: { to: string }) {
      const config = loadConfigFor(this.optsWithGlobals() as GlobalOptions);
      const into = target(opts.to);
      const from = await openStoreFor(config, false);
      try {
        const live = (await from.seats()).filter((s) => Date.now() - s.heartbeatAt < SEAT_FRESH_MS);
        if (live.length > 0) {
          throw new CliError('store_in_use', `a daemon (${live.map((s) => `pid ${s.pid} on ${s.host}`).join(', ')}) is running on ${from.location}: stop it first, so nothing changes during the copy`);
        }
        const to = await openStore(into);
        try {
          if (to.location === from.location) throw new CliError('same_store', `--to names the configured store itself (${to.location})`, EXIT_CONFIG);
          process.stdout.write(`copying ${from.location} -> ${to.location}\n`);
          for (const kind of EXPORT_KINDS) {
            const { read, written } = await copyKind(from, to, kind);
            process.stdout.write(`  ${kind}: ${read} read, ${written} written${read > written ? ` (${read - written} were there already)` : ''}\n`);
          }
          const differs = await compare(from, to);
          if (differs) throw new CliError('copy_differs', `the copy does not match its source (${differs}): was the target used already?`);
          process.stdout.write(`done: the callbacks of both stores agree, status by status\n`);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
}
