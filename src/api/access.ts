import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config/types';
import { RequestRefused } from '../service/errors';

/** Who may call a route: anyone (health, the page's own files), any token, or the operator's only. */
export type Access = 'public' | 'viewer' | 'operator';
export type Role = 'viewer' | 'operator';

/** Who called: the role its token grants, and a scope for its idempotency keys (a digest of the token, never the token). */
export interface Caller {
  role: Role;
  scope: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Overrides the default (GET viewer, anything else operator). */
    access?: Access;
    /** The page's files say so (page.ts): they hold no data. */
    public?: boolean;
  }
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** Routes that must answer without a token: orchestrators and load balancers probe them. */
const HEALTH = new Set(['/healthz', '/readyz']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Tokens are compared as SHA-256 digests, so both sides always have the same length and
 * timingSafeEqual neither throws nor tells the token's length; both tokens are compared every
 * time, so the time does not tell which one matched either.
 */
export class Tokens {
  private readonly operator: Buffer | null;
  private readonly viewer: Buffer | null;

  constructor(config: Pick<ApiConfig, 'token' | 'viewerToken'>) {
    this.operator = config.token === '' ? null : digest(config.token);
    this.viewer = config.viewerToken === '' ? null : digest(config.viewerToken);
  }

  get none(): boolean {
    return this.operator === null && this.viewer === null;
  }

  roleOf(token: string): Caller | null {
    const given = digest(token);
    const isOperator = this.operator !== null && timingSafeEqual(given, this.operator);
    const isViewer = this.viewer !== null && timingSafeEqual(given, this.viewer);
    const scope = given.toString('hex').slice(0, 32);
    if (isOperator) return { role: 'operator', scope };
    if (isViewer) return { role: 'viewer', scope };
    return null;
  }
}

/** What a route needs, from its config, its path and its method. Unknown paths under /api need a token, so a 404 tells nothing to a stranger. */
export function accessOf(request: FastifyRequest): Access {
  const config = request.routeOptions.config;
  const url = request.routeOptions.url ?? request.url.split('?')[0];
  if (config?.public === true || HEALTH.has(url) || request.method === 'OPTIONS') return 'public';
  if (config?.access) return config.access;
  if (request.routeOptions.url === undefined && !url.startsWith('/api/') && url !== '/metrics') return 'public';
  return request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'operator';
}

/** The token of "Authorization: Bearer TOKEN", or null. */
function bearer(header: string | undefined): string | null {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

/**
 * Checks every request before its body is read (an unknown caller's body is never parsed): 401
 * without a token or with a wrong one, 403 when a viewer's token asks to write.
 */
export function registerAccess(app: FastifyInstance, config: Pick<ApiConfig, 'token' | 'viewerToken'>): void {
  const tokens = new Tokens(config);
  app.decorateRequest('caller', null);
  app.addHook('preParsing', async (request, reply) => {
    const access = accessOf(request);
    if (access === 'public') return;
    // A 401 says how to authenticate (RFC 9110); other answers need not.
    const unauthorized = (message: string) => {
      reply.header('WWW-Authenticate', 'Bearer realm="callbackd"');
      return new RequestRefused('unauthorized', message);
    };
    if (tokens.none) throw unauthorized('the API has no token configured: set api.token (CALLBACKD_API_TOKEN) to use it; only /healthz and /readyz answer without one');
    const token = bearer(request.headers.authorization);
    if (token === null) throw unauthorized('this request needs a token: send "Authorization: Bearer TOKEN" with api.token (or api.viewerToken to read)');
    const caller = tokens.roleOf(token);
    if (caller === null) throw unauthorized('the token is not one this daemon knows (api.token or api.viewerToken)');
    if (access === 'operator' && caller.role !== 'operator') throw new RequestRefused('forbidden', 'the viewer token may only read: changing callbacks needs the operator token (api.token)');
    request.caller = caller;
  });
}

/** A key for the rate limit: the token's digest when one is sent (right or wrong), else the client's address. */
export function rateKey(request: FastifyRequest): string {
  const token = bearer(request.headers.authorization);
  return token === null ? `ip:${request.ip}` : `token:${digest(token).toString('hex').slice(0, 32)}`;
}
