#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerCallbackCommands } from './cli/commands';
import { registerContactsCommands } from './cli/contacts-commands';
import { CliError, databaseError, EXIT_CONFIG } from './cli/context';
import { registerDaemonCommands } from './cli/daemon-commands';
import { registerRulesCommands } from './cli/rules-commands';
import { registerStoreCommands } from './cli/store-commands';
import { CallbackdError } from './domain/errors';
import { DatabaseFileError } from './store/database';

/** package.json sits one level above this file, in dist/ and in src/ alike. */
function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const program = new Command();
program
  .name('callbackd')
  .description('Callbacks for Asterisk contact centres (through ARI; FreeSWITCH is not supported yet)')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .option('-c, --config <file>', 'configuration file (default: $CALLBACKD_CONFIG or config/callbackd.yaml)');

registerDaemonCommands(program);
registerCallbackCommands(program);
registerStoreCommands(program);
registerRulesCommands(program);
registerContactsCommands(program);

/** Whether errors are written as JSON: the command's own --json once parsed, the raw arguments before. */
let jsonErrors = process.argv.slice(2).includes('--json');
program.hook('preAction', (_program, action) => {
  jsonErrors = !!(action.opts() as { json?: boolean }).json;
});

/** The command a usage error came from, for "see callbackd <cmd> --help". */
let usageOf: Command = program;
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
/** Every command, subcommands of subcommands too (rules explain, contacts import). */
function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}
for (const command of everyCommand(program)) {
  command.exitOverride();
  // Commander's own error line (and the whole help after it) is replaced by one line, below.
  command.configureOutput({ outputError: () => (usageOf = command) });
}

function report(code: string, message: string, exitCode: number): void {
  process.stderr.write(jsonErrors ? `${JSON.stringify({ error: { code, message } })}\n` : `callbackd: ${message}\n`);
  process.exitCode = exitCode;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with their text already printed.
    if (err.exitCode === 0 || err.code === 'commander.help' || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
      process.exitCode = err.exitCode;
      return;
    }
    report('usage', `${err.message.replace(/^error: /, '').replace(/\.$/, '')}; see ${commandPath(usageOf)} --help`, err.exitCode || 1);
  } else if (err instanceof DatabaseFileError) {
    const e = databaseError(err);
    report(e.code, e.message, e.exitCode);
  } else if (err instanceof CliError) {
    report(err.code, err.message, err.exitCode);
  } else if (err instanceof CallbackdError) {
    // Known errors are the user's to fix: a line, no stack.
    report(err.code, err.message, err.code === 'config_invalid' ? EXIT_CONFIG : 1);
  } else {
    // Anything else is a bug: the stack helps.
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (jsonErrors) report('internal', message, 1);
    else {
      process.stderr.write(`callbackd: ${message}\n`);
      process.exitCode = 1;
    }
  }
  // Whatever a failed start left open (a listening simulator, a socket) must not keep the process.
  setTimeout(() => process.exit(), 500).unref();
});
