#!/usr/bin/env node
import { Command } from 'commander';
import { registerCallbackCommands } from './cli/commands';
import { registerDaemonCommands } from './cli/daemon-commands';
import { CallbackdError } from './domain/errors';

const program = new Command();
program
  .name('callbackd')
  .description('Callbacks for Asterisk and FreeSWITCH contact centres')
  .option('-c, --config <file>', 'configuration file (default: $CALLBACKD_CONFIG or config/callbackd.yaml)')
  .showHelpAfterError();

registerDaemonCommands(program);
registerCallbackCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Known errors are the user's to fix: a line, no stack. Anything else is a bug: the stack helps.
  const message = err instanceof CallbackdError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`callbackd: ${message}\n`);
  process.exitCode = err instanceof CallbackdError && err.code === 'config_invalid' ? 78 : 1;
});
