import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import { systemClock } from '../domain/clock';
import { Callbacks } from '../engine/callbacks';
import { createLogger, type Logger } from '../log';
import { migrate, openDatabase } from '../store/database';
import { SqliteStore } from '../store/sqlite-store';

export interface GlobalOptions {
  config?: string;
}

/** What a one-shot command needs: the configuration, the store and the lifecycle service. */
export interface CommandContext {
  config: Config;
  logger: Logger;
  store: SqliteStore;
  callbacks: Callbacks;
  close(): void;
}

export function loadConfigFor(opts: GlobalOptions): Config {
  return loadConfig({ file: opts.config, env: process.env });
}

/**
 * Commands other than `run` log to stderr at warn level, so their stdout stays the table or the
 * JSON the user asked for.
 */
export function openContext(opts: GlobalOptions): CommandContext {
  const config = loadConfigFor(opts);
  const logger = createLogger({ ...config.log, level: 'warn', file: '' }, { stream: process.stderr });
  const db = openDatabase(config.db);
  migrate(db);
  const store = new SqliteStore(db);
  const callbacks = new Callbacks(store, config, systemClock, logger);
  return { config, logger, store, callbacks, close: () => store.close() };
}
