import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeCsv } from '../contacts/csv';
import type { ContactImportReport } from '../contacts/import';
import { InvalidRequestError, NotFoundError } from '../domain/errors';
import { CONTACT_TABLE_NAME, type ContactTableInfo } from '../domain/store';
import { RequestRefused } from '../service/errors';
import { isoTime } from '../service/json';
import type { CallbackService } from '../service/service';
import { LIMIT, errorAnswers } from './schemas';

/** A contact table is imported whole in one request: far larger than api.bodyLimitBytes allows a JSON body. */
export const CSV_BODY_LIMIT = 16 * 1024 * 1024;

function shape<P extends Record<string, unknown>>(properties: P, description?: string) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) } as const;
}

const TABLE = { type: 'string', pattern: CONTACT_TABLE_NAME.source, description: 'a contact table: a lowercase letter, then up to 62 of a-z, 0-9, _ and -' } as const;
const KEY_VALUE = { type: 'string', minLength: 1, maxLength: 500, description: 'the key; for a table keyed by number, any form of the number (read in defaultCountry)' } as const;
const TABLE_PARAMS = shape({ table: TABLE });
const ROW_PARAMS = shape({ table: TABLE, key: KEY_VALUE });

const IMPORT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string', minLength: 1, maxLength: 200, description: 'the column rows are looked up by (default number: normalised to E.164)' },
    replace: { type: 'boolean', description: 'the table becomes exactly this file (default: rows are added, or replace those with the same key)' },
    skipInvalid: { type: 'boolean', description: 'leave out rows that cannot be imported (listed in rejected) rather than refuse the file' },
  },
} as const;

const ROWS_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: LIMIT, after: { type: 'string', minLength: 1, maxLength: 500, description: 'next of the previous page' } },
} as const;

const ROW = { type: 'object', additionalProperties: { type: 'string' }, description: 'column to value, as imported' } as const;

export const CONTACT_TABLE = shape({
  name: { type: 'string' },
  key: { type: 'string', description: 'the column rows are looked up by' },
  columns: { type: 'array', items: { type: 'string' } },
  rows: { type: 'integer' },
  importedAt: { type: 'string', format: 'date-time', description: 'the last import' },
});

const IMPORTED = shape({
  table: { type: 'string' },
  key: { type: 'string' },
  inserted: { type: 'integer', description: 'rows whose key was new to the table' },
  updated: { type: 'integer', description: 'rows that replaced one with the same key' },
  total: { type: 'integer', description: 'rows in the table now' },
  rejected: {
    type: 'array',
    items: shape({ line: { type: 'integer' }, value: { type: 'string' }, reason: { type: 'string' } }),
    description: 'rows left out (skipInvalid), by their line in the CSV',
  },
});

export function contactTableJson(info: ContactTableInfo): Record<string, unknown> {
  return { name: info.name, key: info.key, columns: [...info.columns], rows: info.rows, importedAt: isoTime(info.importedAt) };
}

export function contactImportJson(report: ContactImportReport): Record<string, unknown> {
  return { table: report.table, key: report.key, inserted: report.inserted, updated: report.updated, total: report.total, rejected: report.rejected };
}

const TOO_LARGE = `the CSV is larger than ${CSV_BODY_LIMIT / 1024 / 1024} MiB: split it, and import the parts without replace`;

/** The body read here, not by fastify, so its limit is this route's and its refusal says so. */
async function readCsv(request: FastifyRequest, payload: Readable): Promise<string> {
  if (Number(request.headers['content-length'] ?? 0) > CSV_BODY_LIMIT) throw new RequestRefused('payload_too_large', TOO_LARGE);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    size += (chunk as Buffer).length;
    if (size > CSV_BODY_LIMIT) throw new RequestRefused('payload_too_large', TOO_LARGE);
    chunks.push(chunk as Buffer);
  }
  return decodeCsv(Buffer.concat(chunks));
}

/**
 * Contact tables: imported from a CSV body (the operator's), read with any token. In a scope of
 * their own, so text/csv is read only here and a JSON body is refused here in words about CSV.
 */
export function registerContactRoutes(app: FastifyInstance, service: CallbackService): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('text/csv', readCsv);
    scope.addContentTypeParser('*', async () => {
      throw new RequestRefused('unsupported_media_type', 'send the CSV as the body, with Content-Type: text/csv');
    });

    scope.post<{ Params: { table: string }; Querystring: { key?: string; replace?: boolean; skipInvalid?: boolean }; Body: string }>(
      '/api/v1/contacts/:table',
      {
        schema: {
          summary: 'Import a contact table from CSV: a header naming the columns, then a row per contact; one transaction, numbers in E.164',
          description: `UTF-8, RFC 4180 (quoted fields, CRLF or LF), at most ${CSV_BODY_LIMIT / 1024 / 1024} MiB. A row whose key is missing, repeated or (for number) not a valid number refuses the whole file, with the lines, unless skipInvalid.`,
          consumes: ['text/csv'],
          params: TABLE_PARAMS,
          querystring: IMPORT_QUERY,
          body: { type: 'string', description: 'the CSV' },
          response: { 200: IMPORTED, ...errorAnswers('forbidden', 'payload_too_large', 'unsupported_media_type') },
        },
        // With no body the API's hook makes it {}: say what is missing rather than "body must be string".
        preValidation: async (request) => {
          if (typeof request.body !== 'string') throw new InvalidRequestError('the body is empty: send the CSV (a header row naming the columns, then a row per contact) with Content-Type: text/csv');
        },
      },
      async (request) => {
        const { key, replace, skipInvalid } = request.query;
        return contactImportJson(await service.importContacts({ table: request.params.table, csv: request.body, key, replace, skipInvalid }));
      },
    );

    scope.get(
      '/api/v1/contacts',
      { schema: { summary: 'The contact tables imported', response: { 200: shape({ items: { type: 'array', items: CONTACT_TABLE } }), ...errorAnswers() } } },
      async () => ({ items: (await service.contactTables()).map(contactTableJson) }),
    );

    scope.get<{ Params: { table: string }; Querystring: { limit?: number; after?: string } }>(
      '/api/v1/contacts/:table',
      {
        schema: {
          summary: 'The rows of a contact table in key order, a page at a time',
          params: TABLE_PARAMS,
          querystring: ROWS_QUERY,
          response: { 200: shape({ table: CONTACT_TABLE, items: { type: 'array', items: ROW }, next: { type: ['string', 'null'], description: 'give as after for the next page; null after the last' } }), ...errorAnswers('not_found') },
        },
      },
      async (request) => {
        const view = await service.contactRows(request.params.table, request.query);
        return { table: contactTableJson(view.table), items: view.rows, next: view.next };
      },
    );

    scope.get<{ Params: { table: string; key: string } }>(
      '/api/v1/contacts/:table/:key',
      { schema: { summary: 'One row of a contact table, by its key (what a script gets from contacts.lookup)', params: ROW_PARAMS, response: { 200: shape({ table: { type: 'string' }, row: ROW }), ...errorAnswers('not_found') } } },
      async (request) => {
        const { table, key } = request.params;
        const row = await service.lookupContact(table, key);
        if (row === null) throw new NotFoundError(`contact ${key} in table ${table}`);
        return { table, row };
      },
    );

    scope.delete<{ Params: { table: string } }>(
      '/api/v1/contacts/:table',
      { schema: { summary: 'Remove a contact table and its rows', params: TABLE_PARAMS, response: { 200: shape({ dropped: CONTACT_TABLE }), ...errorAnswers('forbidden', 'not_found') } } },
      async (request) => ({ dropped: contactTableJson(await service.dropContactTable(request.params.table)) }),
    );
  });
}
