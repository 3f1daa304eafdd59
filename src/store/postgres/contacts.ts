import type pg from 'pg';
import { type ContactImportOptions, type ContactImportResult, type ContactRow, type ContactRowsPage, type ContactRowsQuery, type ContactTableInfo, checkContactTable } from '../../domain/store';
import { type ContactTableRow, contactPage, pageLimit, planContactImport, toContactRow, toContactTable } from '../contacts';
import { inTransaction, type Queryable } from './connection';

/** Contact tables in PostgreSQL (migration 006); the same rules as SQLite's (src/store/contacts.ts). */

/** Rows per statement: a large import goes in a few statements, none with a huge parameter. */
const CHUNK = 5_000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * One transaction: readers keep seeing the table as it was until COMMIT. Imports into one table
 * queue on an advisory lock held to COMMIT, so two at once cannot count or merge past each other.
 */
export async function importContacts(pool: pg.Pool, table: string, rows: readonly ContactRow[], options: ContactImportOptions, at: number): Promise<ContactImportResult> {
  checkContactTable(table);
  return await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('callbackd.contacts.' || $1))", [table]);
    const found = (await client.query<ContactTableRow>('SELECT * FROM contact_tables WHERE name = $1', [table])).rows[0];
    const before = found ? toContactTable(found) : null;
    const plan = planContactImport(table, rows, options, before);
    const parts = chunks(plan.contacts);
    let updated = 0;
    if (before) {
      for (const part of parts) {
        const kept = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE table_name = $1 AND contact_key = ANY($2::text[])', [table, part.map((c) => c.key)]);
        updated += kept.rows[0]?.n ?? 0;
      }
    }
    const inserted = plan.contacts.length - updated;
    const total = plan.replace ? plan.contacts.length : (before?.rows ?? 0) + inserted;
    await client.query(
      `INSERT INTO contact_tables (name, key_column, column_names, row_count, imported_at) VALUES ($1, $2, $3::json, $4, $5)
       ON CONFLICT (name) DO UPDATE SET key_column = excluded.key_column, column_names = excluded.column_names,
                                        row_count = excluded.row_count, imported_at = excluded.imported_at`,
      [table, plan.key, JSON.stringify(plan.columns), total, at],
    );
    if (plan.replace) await client.query('DELETE FROM contacts WHERE table_name = $1', [table]);
    for (const part of parts) {
      await client.query(
        `INSERT INTO contacts (table_name, contact_key, row)
         SELECT $1, k, r::json FROM unnest($2::text[], $3::text[]) AS incoming (k, r)
         ON CONFLICT (table_name, contact_key) DO UPDATE SET row = excluded.row`,
        [table, part.map((c) => c.key), part.map((c) => c.row)],
      );
    }
    return { table, inserted, updated, total };
  });
}

export async function lookupContact(db: Queryable, table: string, key: string): Promise<ContactRow | null> {
  const found = (await db.query<{ row: ContactRow }>('SELECT row FROM contacts WHERE table_name = $1 AND contact_key = $2', [checkContactTable(table), String(key).trim()])).rows[0];
  return found ? toContactRow(found.row) : null;
}

export async function contactTables(db: Queryable): Promise<ContactTableInfo[]> {
  return (await db.query<ContactTableRow>('SELECT * FROM contact_tables ORDER BY name COLLATE "C"')).rows.map(toContactTable);
}

export async function contactRows(db: Queryable, table: string, query: ContactRowsQuery): Promise<ContactRowsPage> {
  const limit = pageLimit(query);
  const result = await db.query<{ contact_key: string; row: ContactRow }>(
    'SELECT contact_key, row FROM contacts WHERE table_name = $1 AND ($2::text IS NULL OR contact_key > $2::text) ORDER BY contact_key LIMIT $3',
    [checkContactTable(table), query.after ?? null, limit],
  );
  return contactPage(result.rows, limit);
}

export async function dropContactTable(db: Queryable, table: string): Promise<boolean> {
  return ((await db.query('DELETE FROM contact_tables WHERE name = $1', [checkContactTable(table)])).rowCount ?? 0) > 0;
}
