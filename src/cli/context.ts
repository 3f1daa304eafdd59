import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import { systemClock } from '../domain/clock';
import { Callbacks } from '../engine/callbacks';
import { createLogger, type Logger } from '../log';
import type { CallbackStore } from '../domain/store';
import { DatabaseFileError, openDatabase, type Db } from '../store/database';
import { openStore } from '../store/open';
import { CallbackService } from '../service/service';

export interface GlobalOptions {
  config?: string;
}

/** What a one-shot command needs: the configuration and the service layer (store and lifecycle behind it). */
export interface CommandContext {
  config: Config;
  logger: Logger;
  service: CallbackService;
  close(): Promise<void>;
}

/**
 * An error of the command line itself, said in one line: `code` for `--json` output, `exitCode`
 * for the process.
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit status for a configuration the daemon cannot run with (sysexits' EX_CONFIG). */
export const EXIT_CONFIG = 78;

export function loadConfigFor(opts: GlobalOptions): Config {
  return loadConfig({ file: opts.config, env: process.env });
}

/** Which setting named a database file, and how to say "change it to …". */
export interface DatabaseSetting {
  name: string;
  fix: (what: string) => string;
}

export const DB_SETTING: DatabaseSetting = { name: 'database "db" (CALLBACKD_DB)', fix: (what) => `set db / CALLBACKD_DB to ${what}` };

/** The database problem in the words of the setting that named the file, with what to do. */
export function databaseError(err: DatabaseFileError, setting: DatabaseSetting = DB_SETTING): CliError {
  switch (err.kind) {
    case 'missing':
      return new CliError('database_missing', `${err.message} (start the daemon or run callbackd migrate first; ${setting.fix('use another')})`);
    case 'directory':
      return new CliError('database_unusable', `${setting.name}: ${err.message}; ${setting.fix(`a file in it, e.g. ${err.file.replace(/\/+$/, '')}/callbackd.db`)}`, EXIT_CONFIG);
    case 'foreign':
      return new CliError('database_unusable', `${setting.name}: ${err.message}; ${setting.fix('a callbackd database, or a new file')}`, EXIT_CONFIG);
    default:
      return new CliError('database_unusable', `${setting.name}: ${err.message}; ${setting.fix('a file in a writable directory')}`, EXIT_CONFIG);
  }
}

/** openDatabase for the commands: problems with the file come out as CliError naming the key. */
export function openDatabaseFor(file: string, create: boolean): Db {
  try {
    return openDatabase(file, { create });
  } catch (err) {
    throw err instanceof DatabaseFileError ? databaseError(err) : err;
  }
}

/** openStore for the commands: problems with a SQLite file come out as CliError naming the key. */
export async function openStoreFor(config: Config, create: boolean): Promise<CallbackStore> {
  try {
    return await openStore(config, { create });
  } catch (err) {
    throw err instanceof DatabaseFileError ? databaseError(err) : err;
  }
}

/**
 * Commands other than `run` log to stderr at warn level, so their stdout stays the table or the
 * JSON the user asked for. `create: false` (list, show, cancel) refuses to make a new database:
 * an empty one made by mistake (another working directory, a typo in db) would hide the real one.
 * What a command writes reaches a running daemon at once (the store announces it).
 */
export async function openContext(config: Config, { create }: { create: boolean }): Promise<CommandContext> {
  const store = await openStoreFor(config, create);
  const logger = createLogger({ ...config.log, level: 'warn', file: '' }, { stream: process.stderr });
  const callbacks = new Callbacks(store, config, systemClock, logger);
  const service = new CallbackService({ store, callbacks, config, clock: systemClock });
  return { config, logger, service, close: () => store.close() };
}
