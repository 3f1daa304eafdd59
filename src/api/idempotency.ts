import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { RequestKey } from '../domain/store';

/** JSON with its keys sorted at every depth: the same request in any key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The request key of a creating POST that sent an Idempotency-Key, or undefined. The key is scoped
 * to the caller's token (two clients choosing the same key never meet), and hashed with it, so the
 * store keeps neither the token nor the client's words. The fingerprint is the route, its path
 * parameters and the body: the same key with anything else is refused (409 idempotency_mismatch).
 */
export function requestKeyOf(request: FastifyRequest): RequestKey | undefined {
  const header = request.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key === '') return undefined;
  const scope = request.caller?.scope ?? 'anonymous';
  return {
    key: sha256(`${scope}\n${key}`),
    fingerprint: sha256(`${request.method} ${request.routeOptions.url}\n${canonical(request.params)}\n${canonical(request.body ?? {})}`),
  };
}
