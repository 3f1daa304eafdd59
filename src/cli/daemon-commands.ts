import type { Command } from 'commander';
import { Daemon } from '../daemon';
import { createLogger, redactConfig } from '../log';
import { createGateway } from '../pbx/create-gateway';
import { migrate, openDatabase } from '../store/database';
import { loadConfigFor, type GlobalOptions } from './context';

export function registerDaemonCommands(program: Command): void {
  program
    .command('run')
    .description('run the daemon')
    .action(async function (this: Command) {
      const config = loadConfigFor(this.optsWithGlobals() as GlobalOptions);
      const logger = createLogger(config.log);
      logger.info('configuration loaded', { config: redactConfig(config) });
      const daemon = new Daemon({ config, logger, gateway: createGateway(config, logger) });
      await daemon.start();
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info(`${signal}: stopping`);
          daemon
            .stop()
            .catch((err) => logger.error('stop failed', { error: String(err) }))
            .finally(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      logger.end();
    });

  program
    .command('migrate')
    .description('create or upgrade the database, then exit')
    .action(function (this: Command) {
      const config = loadConfigFor(this.optsWithGlobals() as GlobalOptions);
      const db = openDatabase(config.db);
      try {
        const applied = migrate(db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : `${config.db} is up to date\n`);
      } finally {
        db.close();
      }
    });
}
