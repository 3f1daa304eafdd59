import Ajv, { type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Two validators, because the parts of a request differ. A JSON body is taken as the client
 * typed it: "5" is not a number and an unknown field is refused, never dropped (fastify's default
 * would coerce the one and silently remove the other). A query string, a path and headers are
 * text by nature, so "limit=10" becomes the integer its schema names.
 */
const COMMON: Options = { allErrors: false, removeAdditional: false, useDefaults: false, strict: true, allowUnionTypes: true };

/** "now", or a date and time with its offset, as ajv-formats reads date-time. */
const dateTime = fullFormats['date-time'] as { validate: (value: string) => boolean };
const dueTime = (value: string): boolean => value === 'now' || dateTime.validate(value);

function build(options: Options): Ajv {
  const ajv = new Ajv({ ...COMMON, ...options });
  addFormats(ajv);
  ajv.addFormat('due-time', dueTime);
  return ajv;
}

const strict = build({ coerceTypes: false });
const coercing = build({ coerceTypes: true });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema);

/** Formats in words, for the message a client reads. */
const FORMAT_WORDS: Record<string, string> = {
  'date-time': 'a date and time in ISO 8601 with its offset (e.g. 2030-01-31T14:00:00+01:00)',
  'due-time': 'a date and time in ISO 8601 with its offset (e.g. 2030-01-31T14:00:00+01:00), or "now"',
};

/** "body.form.account", "query.limit", "headers.idempotency-key". */
function fieldName(part: string, instancePath: string): string {
  const path = instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [part === 'querystring' ? 'query' : part, ...path].join('.');
}

/**
 * One sentence naming the field and what it must be: what a person fixing the request needs
 * (ajv's own wording says "must NOT have additional properties" without naming the property).
 */
export function validationMessage(errors: readonly ErrorObject[], part: string): string {
  const err = errors[0];
  if (!err) return `${fieldName(part, '')} is not valid`;
  const field = fieldName(part, err.instancePath);
  const params = err.params as Record<string, unknown>;
  // A key of an object (a form field's name) broke propertyNames: ajv reports the name's own error.
  if (err.propertyName !== undefined) return `${field} has a field whose name is not a plain name (letters, digits, _; at most 64): "${err.propertyName.slice(0, 64)}"`;
  switch (err.keyword) {
    case 'required':
      return `${field}.${String(params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${field} has an unknown field "${String(params.additionalProperty)}"`;
    case 'type':
      return `${field} must be ${String(params.type).replace(/,/g, ' or ')}`;
    case 'enum':
      return `${field} must be one of ${(params.allowedValues as unknown[]).filter((v) => v !== null).join(', ')}`;
    case 'format':
      return `${field} must be ${FORMAT_WORDS[String(params.format)] ?? `in the ${String(params.format)} format`}`;
    case 'pattern':
      return `${field} ${part === 'headers' ? 'has characters a header of this kind may not hold' : `must match ${String(params.pattern)}`}`;
    case 'propertyNames':
      return `${field} has a field whose name is not a plain name (letters, digits, _; at most 64)`;
    default:
      return `${field} ${err.message ?? 'is not valid'}`;
  }
}
