import fs from 'node:fs';
import type { Command } from 'commander';
import { contactImportJson, contactTableJson } from '../api/contact-routes';
import { decodeCsv, parseCsv, type CsvTable } from '../contacts/csv';
import type { ContactImportReport } from '../contacts/import';
import type { Config } from '../config/types';
import { NotFoundError } from '../domain/errors';
import { checkContactTable, type ContactTableInfo } from '../domain/store';
import { parseLimit } from './callback-options';
import { CliError, EXIT_CONFIG, loadConfigFor, openContext, type CommandContext, type GlobalOptions } from './context';
import { table, when } from './table';

/**
 * Contact tables from the command line: a supervisor imports a CSV, checks what is there, and
 * looks a number up as a script would. Arguments are checked before the database is opened.
 */

function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

async function withContext<T>(config: Config, create: boolean, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(config, { create });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

function configOf(command: Command): Config {
  return loadConfigFor(command.optsWithGlobals() as GlobalOptions);
}

/** The file read, `-` for standard input: one that cannot be read, or is no CSV, is refused before the database is opened. */
function readCsvFile(file: string): CsvTable {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError('file_unreadable', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err))}`, code === 'ENOENT' || code === 'EISDIR' ? 1 : EXIT_CONFIG);
  }
  return parseCsv(decodeCsv(bytes));
}

function importText(report: ContactImportReport): string {
  const lines = [`imported ${report.table} (keyed by ${report.key}): ${report.inserted} new, ${report.updated} updated; ${report.total} rows in the table`];
  if (report.rejected.length > 0) {
    lines.push(`left out ${report.rejected.length} row(s):`);
    for (const r of report.rejected) lines.push(`  line ${r.line}: ${r.reason}`);
  }
  return lines.join('\n');
}

function tablesText(tables: readonly ContactTableInfo[]): string {
  if (tables.length === 0) return 'no contact tables (callbackd contacts import FILE.csv --table NAME makes one)';
  return table(
    ['table', 'key', 'rows', 'columns', 'imported'],
    tables.map((t) => [t.name, t.key, String(t.rows), t.columns.join(','), when(t.importedAt)]),
  );
}

export function registerContactsCommands(program: Command): void {
  const contacts = program.command('contacts').description('contact tables imported from CSV, which scripts look numbers up in (ctx.contacts.lookup)');

  contacts
    .command('import <file>')
    .description('import a CSV (a header naming the columns, then a row per contact; - reads standard input) into a contact table, in one transaction')
    .requiredOption('--table <name>', 'the table: a lowercase letter, then up to 62 of a-z, 0-9, _ and -')
    .option('--key <column>', 'the column rows are looked up by (number: normalised to E.164 in defaultCountry)', 'number')
    .option('--replace', 'the table becomes exactly this file (default: rows are added, or replace those with the same key)')
    .option('--skip-invalid', 'leave out rows that cannot be imported (listed) rather than refuse the file')
    .option('--json', 'print JSON')
    .action(async function (this: Command, file: string, opts: { table: string; key: string; replace?: boolean; skipInvalid?: boolean; json?: boolean }) {
      const config = configOf(this);
      checkContactTable(opts.table);
      const csv = readCsvFile(file);
      await withContext(config, true, async ({ service }) => {
        const report = await service.importContacts({ table: opts.table, csv, key: opts.key, replace: !!opts.replace, skipInvalid: !!opts.skipInvalid });
        print(!!opts.json, contactImportJson(report), () => importText(report));
      });
    });

  contacts
    .command('list')
    .description('the contact tables, with their key column, columns and size')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { json?: boolean }) {
      const config = configOf(this);
      await withContext(config, false, async ({ service }) => {
        const tables = await service.contactTables();
        print(!!opts.json, { items: tables.map(contactTableJson) }, () => tablesText(tables));
      });
    });

  contacts
    .command('show <table>')
    .description("a contact table's rows in key order")
    .option('--limit <n>', 'at most this many rows, 1 to 1000', '50')
    .option('--after <key>', 'continue after this key (the last one shown)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, name: string, opts: { limit: string; after?: string; json?: boolean }) {
      const config = configOf(this);
      checkContactTable(name);
      const limit = parseLimit(opts.limit);
      await withContext(config, false, async ({ service }) => {
        const view = await service.contactRows(name, { limit, after: opts.after });
        print(!!opts.json, { table: contactTableJson(view.table), items: view.rows, next: view.next }, () => {
          const columns = view.table.columns;
          const head = `${view.table.name}: ${view.table.rows} rows, keyed by ${view.table.key}, imported ${when(view.table.importedAt)}`;
          const rows = table(columns, view.rows.map((row) => columns.map((c) => row[c] ?? '')));
          return [head, '', rows, ...(view.next ? [`(more: --after ${view.next})`] : [])].join('\n');
        });
      });
    });

  contacts
    .command('lookup <table> <value>')
    .description('the row a script gets for this key (a number in any form, for a table keyed by number)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, name: string, value: string, opts: { json?: boolean }) {
      const config = configOf(this);
      checkContactTable(name);
      await withContext(config, false, async ({ service }) => {
        const row = await service.lookupContact(name, value);
        if (row === null) throw new NotFoundError(`contact ${value} in table ${name}`);
        print(!!opts.json, { table: name, row }, () => {
          const width = Math.max(...Object.keys(row).map((c) => c.length));
          return Object.entries(row).map(([column, cell]) => `${column.padEnd(width)}  ${cell}`).join('\n');
        });
      });
    });

  contacts
    .command('drop <table>')
    .description('remove a contact table and its rows')
    .option('--json', 'print JSON')
    .action(async function (this: Command, name: string, opts: { json?: boolean }) {
      const config = configOf(this);
      checkContactTable(name);
      await withContext(config, false, async ({ service }) => {
        const dropped = await service.dropContactTable(name);
        print(!!opts.json, { dropped: contactTableJson(dropped) }, () => `dropped ${dropped.name} (${dropped.rows} rows)`);
      });
    });
}
