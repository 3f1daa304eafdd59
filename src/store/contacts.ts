import type { Statement, Transaction } from 'better-sqlite3';
import { InvalidRequestError } from '../domain/errors';
import {
  checkContactTable,
  type ContactImportOptions,
  type ContactImportResult,
  type ContactRow,
  type ContactRowsPage,
  type ContactRowsQuery,
  type ContactTableInfo,
} from '../domain/store';
import type { Db } from './database';

/**
 * Contact tables (migration 008), and the rules both backends share: a table's name is checked
 * and kept as data, a row is JSON under its trimmed key, an import is checked whole before
 * anything is written.
 */

/** The longest key or column name a table takes; a CSV header longer than that is not a header. */
const MAX_NAME = 200;

/** A row as the store keeps it: its key and its JSON. */
export interface KeptContact {
  key: string;
  row: string;
}

/** An import checked and ready to write, whatever the backend. */
export interface ContactImportPlan {
  table: string;
  key: string;
  contacts: KeptContact[];
  /** The columns the table has after the import. */
  columns: string[];
  replace: boolean;
}

/** The table as it stands before an import, if it exists. */
export interface TableBefore {
  key: string;
  columns: readonly string[];
}

/**
 * Check an import against itself and against the table it goes into; throws InvalidRequestError
 * before anything is written. A merge keeps the table's columns and appends the new ones.
 */
export function planContactImport(table: string, rows: readonly ContactRow[], options: ContactImportOptions, before: TableBefore | null): ContactImportPlan {
  checkContactTable(table);
  const key = typeof options.key === 'string' ? options.key : '';
  if (key === '' || key.length > MAX_NAME) throw new InvalidRequestError(`the key column must be a column name of 1 to ${MAX_NAME} characters`);
  if (before && !options.replace && before.key !== key) {
    throw new InvalidRequestError(`contact table ${table} is keyed by column "${before.key}", not "${key}": import with that key, or replace the table`);
  }
  const own = options.columns ? [...options.columns] : columnsOf(rows);
  if (!own.includes(key)) own.unshift(key);
  const seen = new Set<string>();
  const contacts = rows.map((given, i) => {
    const value = given[key];
    const trimmed = typeof value === 'string' ? value.trim() : '';
    if (trimmed === '') throw new InvalidRequestError(`contact row ${i + 1} has no value in the key column "${key}"`);
    if (seen.has(trimmed)) throw new InvalidRequestError(`contact rows repeat the key ${JSON.stringify(trimmed)} (row ${i + 1}): each key once per import`);
    seen.add(trimmed);
    const cells = Object.entries(given).map(([column, cell]): [string, string] => {
      if (typeof cell !== 'string') throw new InvalidRequestError(`contact row ${i + 1}: the value of "${column}" is not a string`);
      return [column, column === key ? trimmed : cell];
    });
    // fromEntries keeps a column named __proto__ a column of the row.
    return { key: trimmed, row: JSON.stringify(Object.fromEntries(cells)) };
  });
  const columns = before && !options.replace ? [...before.columns, ...own.filter((c) => !before.columns.includes(c))] : own;
  return { table, key, contacts, columns, replace: options.replace };
}

function columnsOf(rows: readonly ContactRow[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const column of Object.keys(row)) columns.add(column);
  return [...columns];
}

export interface ContactTableRow {
  name: string;
  key_column: string;
  /** JSON text in SQLite, already parsed in PostgreSQL. */
  column_names: string | string[];
  row_count: number;
  imported_at: number;
}

export function toContactTable(row: ContactTableRow): ContactTableInfo {
  const columns = typeof row.column_names === 'string' ? (JSON.parse(row.column_names) as string[]) : row.column_names;
  return { name: row.name, key: row.key_column, columns, rows: Number(row.row_count), importedAt: Number(row.imported_at) };
}

/** A row as read back: JSON text in SQLite, parsed in PostgreSQL. */
export function toContactRow(row: string | ContactRow): ContactRow {
  return typeof row === 'string' ? (JSON.parse(row) as ContactRow) : row;
}

export function contactPage(rows: { contact_key: string; row: string | ContactRow }[], limit: number): ContactRowsPage {
  return { rows: rows.map((r) => toContactRow(r.row)), next: rows.length === limit ? rows[rows.length - 1].contact_key : null };
}

/** A page size the statements take: at least one row. */
export function pageLimit(query: ContactRowsQuery): number {
  return Math.max(1, Math.trunc(query.limit));
}

type TableParams = { name: string; key_column: string; column_names: string; row_count: number; imported_at: number };

/** Contact tables in SQLite: an import is one IMMEDIATE transaction, so readers see the table before it or after it. */
export class Contacts {
  private readonly table: Statement<[string], ContactTableRow>;
  private readonly tables: Statement<[], ContactTableRow>;
  private readonly saveTable: Statement<TableParams>;
  private readonly has: Statement<[string, string], { found: number }>;
  private readonly put: Statement<[string, string, string]>;
  private readonly clear: Statement<[string]>;
  private readonly one: Statement<[string, string], { row: string }>;
  private readonly page: Statement<{ table: string; after: string | null; limit: number }, { contact_key: string; row: string }>;
  private readonly drop: Statement<[string]>;
  private readonly importTx: Transaction<(table: string, rows: readonly ContactRow[], options: ContactImportOptions, at: number) => ContactImportResult>;

  constructor(db: Db) {
    this.table = db.prepare('SELECT * FROM contact_tables WHERE name = ?');
    this.tables = db.prepare('SELECT * FROM contact_tables ORDER BY name');
    this.saveTable = db.prepare(`
      INSERT INTO contact_tables (name, key_column, column_names, row_count, imported_at)
      VALUES (@name, @key_column, @column_names, @row_count, @imported_at)
      ON CONFLICT (name) DO UPDATE SET key_column = excluded.key_column, column_names = excluded.column_names,
                                       row_count = excluded.row_count, imported_at = excluded.imported_at`);
    this.has = db.prepare('SELECT 1 AS found FROM contacts WHERE table_name = ? AND contact_key = ?');
    this.put = db.prepare('INSERT INTO contacts (table_name, contact_key, row) VALUES (?, ?, ?) ON CONFLICT (table_name, contact_key) DO UPDATE SET row = excluded.row');
    this.clear = db.prepare('DELETE FROM contacts WHERE table_name = ?');
    this.one = db.prepare('SELECT row FROM contacts WHERE table_name = ? AND contact_key = ?');
    this.page = db.prepare('SELECT contact_key, row FROM contacts WHERE table_name = @table AND (@after IS NULL OR contact_key > @after) ORDER BY contact_key LIMIT @limit');
    this.drop = db.prepare('DELETE FROM contact_tables WHERE name = ?');
    this.importTx = db.transaction((table, rows, options, at) => {
      const found = this.table.get(checkContactTable(table));
      const before = found ? toContactTable(found) : null;
      const plan = planContactImport(table, rows, options, before);
      const updated = before ? plan.contacts.filter((c) => this.has.get(table, c.key) !== undefined).length : 0;
      const inserted = plan.contacts.length - updated;
      const total = plan.replace ? plan.contacts.length : (before?.rows ?? 0) + inserted;
      // The table's row first: its rows refer to it.
      this.saveTable.run({ name: table, key_column: plan.key, column_names: JSON.stringify(plan.columns), row_count: total, imported_at: at });
      if (plan.replace) this.clear.run(table);
      for (const contact of plan.contacts) this.put.run(table, contact.key, contact.row);
      return { table, inserted, updated, total };
    });
  }

  importContacts(table: string, rows: readonly ContactRow[], options: ContactImportOptions, at: number): ContactImportResult {
    return this.importTx.immediate(table, rows, options, at);
  }

  lookupContact(table: string, key: string): ContactRow | null {
    const found = this.one.get(checkContactTable(table), String(key).trim());
    return found ? toContactRow(found.row) : null;
  }

  contactTables(): ContactTableInfo[] {
    return this.tables.all().map(toContactTable);
  }

  contactRows(table: string, query: ContactRowsQuery): ContactRowsPage {
    const limit = pageLimit(query);
    return contactPage(this.page.all({ table: checkContactTable(table), after: query.after ?? null, limit }), limit);
  }

  dropContactTable(table: string): boolean {
    return this.drop.run(checkContactTable(table)).changes > 0;
  }
}
