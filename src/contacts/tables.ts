import { InvalidNumberError, NotFoundError } from '../domain/errors';
import { normaliseNumber } from '../domain/number';
import { checkContactTable, type ContactRow, type ContactTableInfo } from '../domain/store';
import type { ServiceContext } from '../service/context';
import { optionalText, pageLimit } from '../service/input';
import { NUMBER_KEY } from './import';

/** The contact tables as front ends and scripts read them, and dropping one. */

const HINT = 'callbackd contacts list (GET /api/v1/contacts) shows the tables imported';

export async function tableInfo(ctx: ServiceContext, table: string): Promise<ContactTableInfo> {
  checkContactTable(table);
  const info = (await ctx.store.contactTables()).find((t) => t.name === table);
  if (!info) throw new NotFoundError(`contact table ${table}`, HINT);
  return info;
}

/**
 * The row keyed `value` in `table`, or null. A table keyed by number is looked up in E.164, so
 * "601 111 222" finds what "+420601111222" was imported as; a value that is no number finds nothing.
 */
export async function lookupContact(ctx: ServiceContext, table: string, value: string): Promise<ContactRow | null> {
  const info = await tableInfo(ctx, table);
  let key = String(value).trim();
  if (info.key === NUMBER_KEY) {
    try {
      key = normaliseNumber(key, ctx.config.defaultCountry);
    } catch (err) {
      if (err instanceof InvalidNumberError) return null;
      throw err;
    }
  }
  return key === '' ? null : ctx.store.lookupContact(table, key);
}

export interface ContactRowsInput {
  limit?: number | string;
  /** The `next` of the previous page. */
  after?: string;
}

const DEFAULT_LIMIT = 50;

export interface ContactRowsView {
  table: ContactTableInfo;
  rows: ContactRow[];
  next: string | null;
}

export async function contactRows(ctx: ServiceContext, table: string, input: ContactRowsInput = {}): Promise<ContactRowsView> {
  const limit = pageLimit(input.limit, DEFAULT_LIMIT);
  const after = optionalText(input.after, 'after', 500) ?? undefined;
  const info = await tableInfo(ctx, table);
  const page = await ctx.store.contactRows(table, { limit, after });
  return { table: info, ...page };
}

/** The table as it was, once its rows are gone. */
export async function dropContactTable(ctx: ServiceContext, table: string): Promise<ContactTableInfo> {
  const info = await tableInfo(ctx, table);
  if (!(await ctx.store.dropContactTable(table))) throw new NotFoundError(`contact table ${table}`, HINT);
  return info;
}
