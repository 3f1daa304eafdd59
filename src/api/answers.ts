import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'winston';
import { InvalidRequestError, NotFoundError } from '../domain/errors';
import { RequestRefused, errorAnswer } from '../service/errors';
import { validationMessage } from './validation';

/**
 * Every refusal the API gives is `{ error: { code, message } }` with the status of its code
 * (src/service/errors.ts): the domain's errors as the service raised them, fastify's own
 * refusals (validation, body size, media type) put in the same words. Nothing else gets out: no
 * stack, no HTML page, no framework wording for a 500.
 */
function refusalOf(err: FastifyError, bodyLimit: number): unknown {
  if (err.validation) return new InvalidRequestError(validationMessage(err.validation as never, err.validationContext ?? 'request'));
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RequestRefused('payload_too_large', `the request body is larger than ${bodyLimit} bytes (api.bodyLimitBytes)`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RequestRefused('unsupported_media_type', 'send the body as JSON (Content-Type: application/json)');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidRequestError('the body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidRequestError('the body is empty although Content-Type says JSON: send {} or no Content-Type');
    default:
      break;
  }
  // Other refusals fastify makes before a handler runs (a malformed URL, a bad Content-Length): the client's to fix.
  const status = err.statusCode ?? 500;
  if (status === 404) return new NotFoundError('route');
  if (status >= 400 && status < 500 && /^FST_ERR_/.test(err.code ?? '')) return new InvalidRequestError(err.message);
  return err;
}

export function registerAnswers(app: FastifyInstance, opts: { logger: Logger; bodyLimit: number }): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const answer = errorAnswer(refusalOf(err, opts.bodyLimit));
    if (answer.status >= 500) {
      opts.logger.error(`API ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]} failed`, { error: String(err.stack ?? err) });
    }
    return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { body } = errorAnswer(new NotFoundError(`${request.method} ${request.url.split('?')[0]}`, 'no such route (see GET /api/v1/openapi.json)'));
    return reply.code(404).type('application/json; charset=utf-8').send(body);
  });
}
