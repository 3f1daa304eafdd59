import { isIP } from 'node:net';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'winston';
import type { Config } from '../config/types';
import { ConfigError } from '../domain/errors';
import { RequestRefused } from '../service/errors';
import type { CallbackService } from '../service/service';
import { rateKey, registerAccess } from './access';
import { registerAnswers } from './answers';
import { registerCallRoutes } from './call-routes';
import { registerCallbackRoutes } from './callback-routes';
import { registerContactRoutes } from './contact-routes';
import { registerEventRoutes, type StreamOptions } from './event-routes';
import { fastifyLogger } from './fastify-log';
import { registerHealth, type HealthDeps } from './health';
import { registerMetrics, type MetricsDeps } from './metrics';
import { registerOpenApi } from './openapi';
import { registerPage } from './page';
import { registerRuleRoutes } from './rule-routes';
import { registerWebhookRoutes } from './webhook-routes';
import { registerTriggerRoutes } from './trigger-routes';
import { validatorCompiler } from './validation';

export interface ApiDeps {
  service: CallbackService;
  config: Config;
  logger: Logger;
  /** /healthz and /readyz (left out when not given). */
  health?: HealthDeps;
  /** /metrics (left out when not given). */
  metrics?: MetricsDeps;
  /** The event stream's heartbeat and polling (tests shorten the heartbeat). */
  stream?: StreamOptions;
}

/** A route as fastify registered it: what the OpenAPI document must list, unless it hides itself. */
export interface ServedRoute {
  method: string;
  url: string;
  hidden: boolean;
}

export interface ApiHandle {
  /** Where it listens, e.g. http://127.0.0.1:8090/ (the page is there). */
  url: string;
  app: FastifyInstance;
  served: readonly ServedRoute[];
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and localhost; anything else can be reached from another machine. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The daemon refuses to serve the API beyond this machine without an operator token (exit 78 through ConfigError). */
export function checkApiAccess(config: Pick<Config, 'http' | 'api'>): void {
  if (config.api.token === '' && !isLoopback(config.http.host)) {
    throw new ConfigError(
      'api.token',
      `is required when the API listens on http.host "${config.http.host}", which other machines can reach: set api.token (CALLBACKD_API_TOKEN), or listen on 127.0.0.1`,
    );
  }
}

/** The fastify instance with every route, not listening yet. */
export async function buildApi(deps: ApiDeps): Promise<{ app: FastifyInstance; served: ServedRoute[] }> {
  const { config, logger, service } = deps;
  // HEAD routes are not made for every GET: the document lists what is served, and nothing needs them.
  const app = Fastify({
    loggerInstance: fastifyLogger(logger),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.api.bodyLimitBytes,
    exposeHeadRoutes: false,
  });
  const served: ServedRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) served.push({ method, url: route.url, hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true });
  });
  app.setValidatorCompiler(validatorCompiler);
  // JSON only: a text body would otherwise reach the schema as a string and be refused less clearly (415 instead).
  app.removeContentTypeParser('text/plain');
  registerAnswers(app, { logger, bodyLimit: config.api.bodyLimitBytes });
  await registerOpenApi(app);
  if (config.api.cors.length > 0) {
    await app.register(cors, {
      origin: config.api.cors.includes('*') ? true : [...config.api.cors],
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID'],
      exposedHeaders: ['Idempotent-Replayed', 'Retry-After'],
      maxAge: 600,
    });
  }
  if (config.api.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.api.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: rateKey,
      allowList: (request) => ['/healthz', '/readyz'].includes(request.routeOptions.url ?? ''),
      errorResponseBuilder: (_request, context) =>
        new RequestRefused('rate_limited', `more than ${context.max} requests a minute from this token or address (api.rateLimitPerMinute): try again in ${context.after}`),
    });
  }
  registerAccess(app, config.api);
  // No body at all is an empty one: `POST …/cancel` needs no reason.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
  app.addHook('onResponse', async (request, reply) => {
    logger.debug(`HTTP ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]} ${reply.statusCode}`, { ms: Math.round(reply.elapsedTime) });
  });

  registerCallbackRoutes(app, service);
  registerCallRoutes(app, service);
  registerRuleRoutes(app, service);
  registerWebhookRoutes(app, service);
  registerTriggerRoutes(app, service);
  registerContactRoutes(app, service);
  registerEventRoutes(app, service, logger, { pollMs: config.store === 'postgres' ? 2_000 : 0, ...deps.stream });
  if (deps.health) registerHealth(app, deps.health);
  if (deps.metrics) registerMetrics(app, deps.metrics);
  registerPage(app);
  return { app, served };
}

/** Build and listen on http.host and http.port (port 0: any free port; the log says which). */
export async function startApi(deps: ApiDeps): Promise<ApiHandle> {
  checkApiAccess(deps.config);
  const { app, served } = await buildApi(deps);
  await app.listen({ host: deps.config.http.host, port: deps.config.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : deps.config.http.port;
  const host = deps.config.http.host.includes(':') ? `[${deps.config.http.host}]` : deps.config.http.host;
  const url = `http://${host}:${port}/`;
  deps.logger.info(`HTTP API and supervisors' page at ${url}`, { host: deps.config.http.host, port, viewerToken: deps.config.api.viewerToken !== '', cors: deps.config.api.cors.length > 0 });
  return { url, app, served, close: () => app.close() };
}
