import { InvalidNumberError, InvalidRequestError } from '../domain/errors';
import { normaliseNumber } from '../domain/number';
import { checkContactTable, type ContactImportResult, type ContactRow } from '../domain/store';
import type { ServiceContext } from '../service/context';
import { parseCsv, type CsvRecord, type CsvTable } from './csv';

/**
 * A contact table imported from CSV: the text read (csv.ts), each row's key checked, numbers
 * normalised to E.164 as callbacks' are, and the rows written by the store in one transaction.
 * A row that cannot be imported refuses the whole file, unless the caller asked to leave such
 * rows out: half a table imported by accident would be looked up as if it were whole.
 */

/** The key column whose values are phone numbers, compared in E.164. */
export const NUMBER_KEY = 'number';

export interface ContactImportInput {
  table: string;
  /** The CSV text (a header naming the columns, then a row per contact), or a table parseCsv already read. */
  csv: string | CsvTable;
  /** The column rows are looked up by; default `number`. */
  key?: string;
  /** The table becomes exactly this file's rows (default: they are added to it, by key). */
  replace?: boolean;
  /** Leave out the rows that cannot be imported, rather than refuse the file. */
  skipInvalid?: boolean;
}

/** A row left out, by its line in the CSV. */
export interface RejectedContact {
  line: number;
  /** The key as the CSV gave it. */
  value: string;
  reason: string;
}

export interface ContactImportReport extends ContactImportResult {
  key: string;
  rejected: RejectedContact[];
}

/** Rejected rows shown in a message; the rest are counted. */
const SHOWN = 5;

function listed(rejected: readonly RejectedContact[]): string {
  const lines = rejected.slice(0, SHOWN).map((r) => `line ${r.line}: ${r.reason}`);
  if (rejected.length > SHOWN) lines.push(`and ${rejected.length - SHOWN} more`);
  return lines.join('; ');
}

/** Rows of the CSV that cannot be imported, so nothing was. */
export class ContactsRejectedError extends InvalidRequestError {
  constructor(
    readonly rejected: readonly RejectedContact[],
    total: number,
  ) {
    super(
      rejected.length === total
        ? `none of the ${total} rows can be imported (${listed(rejected)}); nothing was imported`
        : `${rejected.length} of the ${total} rows cannot be imported (${listed(rejected)}); nothing was imported: fix them, or leave them out (--skip-invalid, or skipInvalid=true over the API)`,
    );
  }
}

/** The key a row is kept under, or why it has none. */
function keyOf(record: CsvRecord, key: string, defaultCountry: string): { key: string } | { reason: string } {
  const given = record.fields[key].trim();
  if (given === '') return { reason: `no value in the key column "${key}"` };
  if (key !== NUMBER_KEY) return { key: given };
  try {
    return { key: normaliseNumber(given, defaultCountry) };
  } catch (err) {
    if (!(err instanceof InvalidNumberError)) throw err;
    const national = !given.startsWith('+') && !given.startsWith('00');
    return { reason: national ? `${err.message} (numbers without + or 00 are read as ${defaultCountry} numbers)` : err.message };
  }
}

/** Check every row, then write those that pass; see the file's comment for when it refuses. */
export async function importContacts(ctx: ServiceContext, input: ContactImportInput): Promise<ContactImportReport> {
  const table = checkContactTable(input.table);
  const key = (input.key ?? NUMBER_KEY).trim();
  if (key === '') throw new InvalidRequestError('the key column is empty: name the column rows are looked up by (default number)');
  const csv = typeof input.csv === 'string' ? parseCsv(input.csv) : input.csv;
  if (!csv.columns.includes(key)) {
    throw new InvalidRequestError(`the CSV has no column "${key}" (its columns: ${csv.columns.join(', ')}): name the key column (--key, or key= over the API)`);
  }
  const rows: ContactRow[] = [];
  const rejected: RejectedContact[] = [];
  const firstLine = new Map<string, number>();
  for (const record of csv.records) {
    const found = keyOf(record, key, ctx.config.defaultCountry);
    const value = record.fields[key];
    if ('reason' in found) {
      rejected.push({ line: record.line, value, reason: found.reason });
      continue;
    }
    const earlier = firstLine.get(found.key);
    if (earlier !== undefined) {
      rejected.push({ line: record.line, value, reason: `${found.key} is already on line ${earlier}` });
      continue;
    }
    firstLine.set(found.key, record.line);
    rows.push({ ...record.fields, [key]: found.key });
  }
  const total = csv.records.length;
  if (rejected.length > 0 && (!input.skipInvalid || rows.length === 0)) throw new ContactsRejectedError(rejected, total);
  const result = await ctx.store.importContacts(table, rows, { key, replace: input.replace === true, columns: csv.columns }, ctx.clock.now());
  return { ...result, key, rejected };
}
