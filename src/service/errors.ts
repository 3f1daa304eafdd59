import { CallbackdError, type ErrorCode } from '../domain/errors';

/**
 * The one table from an error's stable code to an HTTP status, for the API (and anything else
 * that answers over HTTP). Codes are the contract; messages are for people and may change.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  invalid_number: 422,
  number_not_allowed: 422,
  not_found: 404,
  conflict: 409,
  illegal_transition: 409,
  pbx_unavailable: 503,
  config_invalid: 500,
  already_running: 500,
};

/** The code of anything that is not a CallbackdError: a bug, whose message is not shown. */
export const INTERNAL = 'internal';

export interface ErrorAnswer {
  status: number;
  body: { error: { code: ErrorCode | typeof INTERNAL; message: string } };
}

/** What to answer for `err`: its status and `{ error: { code, message } }`, the shape the CLI prints with --json. */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof CallbackdError) return { status: HTTP_STATUS[err.code] ?? 500, body: { error: { code: err.code, message: err.message } } };
  return { status: 500, body: { error: { code: INTERNAL, message: 'internal error (see the daemon log)' } } };
}
