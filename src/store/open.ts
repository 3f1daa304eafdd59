import path from 'node:path';
import type { Config } from '../config/types';
import type { CallbackStore } from '../domain/store';
import { SqliteStore } from './sqlite-store';

export type StoreConfig = Pick<Config, 'store' | 'db' | 'storeUrl'>;

/**
 * The store the configuration names. `create: false` is for commands that only read or change
 * existing callbacks: a missing SQLite file is then an error (DatabaseFileError 'missing'), not
 * a new empty database hiding the real one. The PostgreSQL store (and its driver) is loaded only
 * when used, so the SQLite commands start without it.
 */
export async function openStore(config: StoreConfig, opts: { create?: boolean } = {}): Promise<CallbackStore> {
  if (config.store === 'postgres') {
    // require, not import(): a CommonJS build turns both into the same thing, but under tsx (the
    // tests, their child processes) a dynamic import() takes the ESM resolver, which needs extensions.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresStore } = require('./postgres/postgres-store') as typeof import('./postgres/postgres-store');
    return PostgresStore.open(config.storeUrl);
  }
  return SqliteStore.open(config.db, { create: opts.create });
}

/** Where the store lives, in one line for logs and messages; a password in the URL is masked. */
export function describeStore(config: StoreConfig): string {
  if (config.store === 'sqlite') return path.resolve(config.db);
  return `postgres ${maskUrl(config.storeUrl)}`;
}

const MASK = '***';

function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL (a mistyped setting): show its shape without anything that could be a password.
    return url.replace(/\/\/([^/@:]*):[^/@]*@/, `//$1:${MASK}@`).replace(/(password=)[^&#\s]*/gi, `$1${MASK}`);
  }
  if (parsed.password) parsed.password = MASK;
  for (const key of [...parsed.searchParams.keys()]) {
    if (/password|passwd|secret|token/i.test(key)) parsed.searchParams.set(key, MASK);
  }
  return parsed.toString();
}
