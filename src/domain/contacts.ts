import { InvalidRequestError } from './errors';

/** Contact tables as the store keeps them (src/contacts): rows a supervisor imported, read by scripts. */

/** A contact table's name: kept as data, never part of SQL. */
export const CONTACT_TABLE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** `name` when it is a contact table's name; InvalidRequestError otherwise. */
export function checkContactTable(name: string): string {
  if (typeof name !== 'string' || !CONTACT_TABLE_NAME.test(name)) {
    throw new InvalidRequestError(`contact table name ${JSON.stringify(String(name).slice(0, 80))} is not valid: a lowercase letter, then up to 62 of a-z, 0-9, _ and -`);
  }
  return name;
}

/** One row of a contact table: its columns by name (the CSV header), every value a string. */
export type ContactRow = Record<string, string>;

export interface ContactImportOptions {
  /** The column rows are looked up by (for example `number`). */
  key: string;
  /** True: the table becomes exactly these rows. False: add them, replacing rows with the same key. */
  replace: boolean;
  /** The columns in order (the CSV header); default: the rows' own, in order of first appearance. */
  columns?: readonly string[];
}

export interface ContactImportResult {
  table: string;
  /** Rows whose key was not in the table before. */
  inserted: number;
  /** Rows whose key was (their row replaced). */
  updated: number;
  /** Rows in the table now. */
  total: number;
}

export interface ContactTableInfo {
  name: string;
  key: string;
  columns: string[];
  rows: number;
  importedAt: number;
}

export interface ContactRowsQuery {
  limit: number;
  /** The key of the last row of the previous page. */
  after?: string;
}

export interface ContactRowsPage {
  rows: ContactRow[];
  /** Pass as `after` for the next page; null after the last. */
  next: string | null;
}
