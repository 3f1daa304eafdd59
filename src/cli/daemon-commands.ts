import type { Command } from 'commander';
import { Daemon } from '../daemon';
import { startDemo } from '../demo/demo';
import { InvalidRequestError } from '../domain/errors';
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
    .command('demo')
    .description('the daemon with the built-in Asterisk simulator and synthetic callers; no PBX needed')
    .option('--seconds <n>', 'stop after this many seconds (default: run until Ctrl-C)', '0')
    .option('--agents <n>', 'agents in the queue', '2')
    .option('--db <file>', 'keep the demo database in this file (default: a temporary one)')
    .action(async (opts: { seconds: string; agents: string; db?: string }) => {
      const seconds = Number(opts.seconds);
      const agents = Number(opts.agents);
      if (!Number.isInteger(seconds) || seconds < 0) throw new InvalidRequestError('--seconds must be a whole number');
      if (!Number.isInteger(agents) || agents < 1 || agents > 20) throw new InvalidRequestError('--agents must be 1 to 20');
      const demo = await startDemo({ seconds, agents, db: opts.db, out: process.stdout });
      process.once('SIGINT', () => demo.stop());
      process.once('SIGTERM', () => demo.stop());
      await demo.done;
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
