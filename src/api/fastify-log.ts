import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'winston';

type Level = 'error' | 'warn' | 'info' | 'debug';

/**
 * fastify's logger interface (pino's calling style: an object of fields and a message, or a
 * message alone, or an error) over the daemon's winston logger, so what fastify and its plugins
 * say lands in the one log, masked like every other line. Requests are not logged by fastify
 * itself (server.ts logs them at debug).
 */
export function fastifyLogger(logger: Logger): FastifyBaseLogger {
  const write =
    (level: Level) =>
    (first?: unknown, second?: unknown): void => {
      if (typeof first === 'string') return void logger.log(level, `http: ${first}`);
      if (first instanceof Error) return void logger.log(level, `http: ${typeof second === 'string' ? second : first.message}`, { error: String(first.stack ?? first) });
      const fields = { ...(first as Record<string, unknown>) };
      if (fields.err instanceof Error) fields.err = String(fields.err.stack ?? fields.err);
      logger.log(level, `http: ${typeof second === 'string' ? second : 'fastify'}`, fields);
    };
  const adapter = {
    level: 'info',
    fatal: write('error'),
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    trace: write('debug'),
    silent: () => undefined,
    child: () => adapter,
  };
  return adapter as unknown as FastifyBaseLogger;
}
