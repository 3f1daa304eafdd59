import path from 'node:path';
import type { Command } from 'commander';
import { checkApiAccess } from '../api/server';
import { Daemon } from '../daemon';
import { startDemo } from '../demo/demo';
import { InvalidRequestError } from '../domain/errors';
import { loadConfigWithSource } from '../config/load';
import { closeLogger, createLogger, logConfiguration, type Logger } from '../log';
import { createGateway } from '../pbx/create-gateway';
import { DatabaseFileError, migrate, openDatabase } from '../store/database';
import { databaseError, loadConfigFor, openDatabaseFor, openStoreFor, type GlobalOptions } from './context';

/** Exit status after an uncaught exception: sysexits' EX_SOFTWARE (78, EX_CONFIG, is a bad configuration). */
export const EXIT_UNCAUGHT = 70;
/** Longest a clean stop may take before the process gives up on it and exits 1. */
const STOP_DEADLINE_MS = 10_000;

/**
 * The process-wide policy of `callbackd run`. An unhandled rejection is one piece of work whose
 * failure nobody awaited: it is logged with its stack and the daemon carries on (Node's default,
 * exiting, would turn one forgotten promise into a daemon down). An uncaught exception left a
 * handler half done, in a state nobody can vouch for: it is logged, the log flushed, and the
 * process exits 70 for its supervisor to restart it. That is safe by design: every attempt is
 * written before it is dialled, and a start reconciles with Asterisk, so nothing is lost or
 * dialled twice. Returns the function that removes the handlers (tests).
 */
export function installProcessGuards(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let exiting = false;
  const onRejection = (reason: unknown): void => {
    logger.error('unhandled promise rejection; carrying on', { error: stackOf(reason) });
  };
  const onException = (err: unknown): void => {
    if (exiting) return;
    exiting = true;
    logger.error('uncaught exception; exiting', { error: stackOf(err) });
    // Once the log is closed (the stop's last line is out) this is the only place the reason shows.
    if (logger.writableEnded) process.stderr.write(`callbackd: uncaught exception: ${stackOf(err)}\n`);
    const leave = (): void => exit(EXIT_UNCAUGHT);
    closeLogger(logger).then(leave, leave);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

/**
 * Resolves with the first of `signals`. The handlers are removed then, so a second signal during
 * the stop gets Node's default and ends the process at once (an operator's way out of a hung stop).
 */
function nextSignal(signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handlers = signals.map((signal) => {
      const handler = (): void => {
        for (const [s, h] of handlers) process.off(s, h);
        resolve(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
  });
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export function registerDaemonCommands(program: Command): void {
  program
    .command('run')
    .description('run the daemon')
    .action(async function (this: Command) {
      const { config, file } = loadConfigWithSource({ file: (this.optsWithGlobals() as GlobalOptions).config, env: process.env });
      const logger = createLogger(config.log);
      installProcessGuards(logger);
      logConfiguration(logger, config, { file });
      let running: Daemon;
      let opened: Daemon | null = null;
      try {
        // Before anything is opened: an API open to the network without a token is a configuration error (exit 78).
        checkApiAccess(config);
        const daemon = (opened = await Daemon.open({ config, logger, gateway: createGateway(config, logger) }));
        await daemon.serveApi();
        await daemon.start();
        running = daemon;
      } catch (err) {
        // Said once on stderr by the command line (one line, naming the key); the log gets it too.
        logger.error('callbackd could not start', { error: err instanceof Error ? err.message : String(err) });
        // A listening API would keep the process from exiting.
        await opened?.closeApi().catch(() => undefined);
        await closeLogger(logger);
        throw err;
      }
      const daemon = running;
      const signal = await nextSignal(['SIGTERM', 'SIGINT']);
      logger.info(`${signal}: stopping`);
      let code = 0;
      try {
        // The gateway goes first (in Daemon.stop): nothing new reaches Asterisk after this.
        await withDeadline(daemon.stop(), STOP_DEADLINE_MS);
      } catch (err) {
        logger.error('stop failed', { error: stackOf(err) });
        code = 1;
      }
      logger.info('callbackd stopped');
      await closeLogger(logger);
      // Work still in flight (a request waiting on Asterisk, the reconcile behind it) is abandoned
      // rather than awaited: the next start's reconcile recovers it, as after any restart.
      process.exit(code);
    });

  program
    .command('demo')
    .description('the daemon with the built-in Asterisk simulator and synthetic callers; no PBX needed')
    .option('--seconds <n>', 'stop after this many seconds (default: run until Ctrl-C)', '0')
    .option('--agents <n>', 'agents in the queue', '2')
    .option('--db <file>', 'keep the demo database in this file (default: a temporary one)')
    .option('--port <n>', "port of the supervisors' page and the API on 127.0.0.1 (default: any free port)", '0')
    .action(async (opts: { seconds: string; agents: string; db?: string; port: string }) => {
      const seconds = Number(opts.seconds);
      const agents = Number(opts.agents);
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidRequestError('--port must be 0 (any free port) to 65535');
      if (!Number.isInteger(seconds) || seconds < 0) throw new InvalidRequestError('--seconds must be a whole number');
      if (!Number.isInteger(agents) || agents < 1 || agents > 20) throw new InvalidRequestError('--agents must be 1 to 20');
      if (opts.db !== undefined) {
        // Checked before the simulator starts: a database that cannot be made fails in one line, at once.
        try {
          openDatabase(opts.db).close();
        } catch (err) {
          throw err instanceof DatabaseFileError ? databaseError(err, { name: 'demo --db', fix: (what) => `give --db ${what}, or leave --db out for a temporary database` }) : err;
        }
      }
      const demo = await startDemo({ seconds, agents, db: opts.db, port, out: process.stdout });
      process.once('SIGINT', () => demo.stop());
      process.once('SIGTERM', () => demo.stop());
      await demo.done;
    });

  program
    .command('migrate')
    .description('create or upgrade the database, then exit')
    .action(async function (this: Command) {
      const config = loadConfigFor(this.optsWithGlobals() as GlobalOptions);
      if (config.store === 'postgres') {
        // Opening migrates, under a lock, so daemons starting at the same time migrate once.
        const store = await openStoreFor(config, true);
        process.stdout.write(`${store.location} is up to date\n`);
        await store.close();
        return;
      }
      const db = openDatabaseFor(config.db, true);
      try {
        const applied = migrate(db);
        const file = path.resolve(config.db);
        process.stdout.write(applied.length ? `${file}: applied ${applied.join(', ')}\n` : `${file} is up to date\n`);
      } finally {
        db.close();
      }
    });
}
