import { CallbackdError, type ErrorCode } from '../domain/errors';

/**
 * Refusals only a front end reached over a network makes (who asks, how much, how often): they
 * have codes of their own in the same table, and never come from the domain.
 */
export type RefusalCode = 'unauthorized' | 'forbidden' | 'payload_too_large' | 'unsupported_media_type' | 'rate_limited';

export type AnswerCode = ErrorCode | RefusalCode;

/**
 * The one table from an error's stable code to an HTTP status, for the API (and anything else
 * that answers over HTTP). Codes are the contract; messages are for people and may change.
 */
export const HTTP_STATUS: Readonly<Record<AnswerCode, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  illegal_transition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_number: 422,
  number_not_allowed: 422,
  limit_reached: 422,
  rate_limited: 429,
  pbx_unavailable: 503,
  config_invalid: 500,
  already_running: 500,
};

export class RequestRefused extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestRefused';
  }

  /** For frameworks that read the status off the error (fastify's hooks and plugins). */
  get statusCode(): number {
    return HTTP_STATUS[this.code];
  }
}

/** The code of anything that is not a CallbackdError: a bug, whose message is not shown. */
export const INTERNAL = 'internal';

export interface ErrorAnswer {
  status: number;
  body: { error: { code: AnswerCode | typeof INTERNAL; message: string } };
}

/** What to answer for `err`: its status and `{ error: { code, message } }`, the shape the CLI prints with --json. */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof CallbackdError || err instanceof RequestRefused) {
    return { status: HTTP_STATUS[err.code] ?? 500, body: { error: { code: err.code, message: err.message } } };
  }
  return { status: 500, body: { error: { code: INTERNAL, message: 'internal error (see the daemon log)' } } };
}
