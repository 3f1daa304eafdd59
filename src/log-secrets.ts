import type { Config } from './config/types';

/** Masking and bounding of what goes into a log line: secrets never appear, no field is huge. */

const MASK = '***';

/** Keys whose values are secrets wherever they appear, at any depth. */
const SECRET_KEY = /password|passwd|token|secret|authorization|api[-_]?key/i;

// scheme://user:password@host or scheme://token@host
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*)(:[^\s/?#@]*)?@/gi;
// api_key=user:pass, ?token=…, password=… in query strings or free text
const SECRET_PARAM = /(^|[^a-z0-9_])((?:[a-z0-9_.-]*)(?:password|passwd|token|secret|authorization|api[-_]?key)(?:[a-z0-9_.-]*)=)([^&\s#;,'"]+)/gi;
// "Authorization: Basic …" in a dumped header, or a bearer token quoted on its own
const AUTH_HEADER = /\b(authorization\s*:\s*)(?:(bearer|basic|digest)\s+)?[^\s,;'"]+/gi;
const BEARER = /\b(bearer)\s+[a-z0-9._~+/=-]{8,}/gi;

export function maskString(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, password?: string) =>
      password === undefined ? `${scheme}${MASK}@` : `${scheme}${user}:${MASK}@`,
    )
    .replace(SECRET_PARAM, (_m, before: string, name: string) => `${before}${name}${MASK}`)
    .replace(AUTH_HEADER, (_m, header: string, scheme?: string) => `${header}${scheme ? `${scheme} ` : ''}${MASK}`)
    .replace(BEARER, (_m, scheme: string) => `${scheme} ${MASK}`);
}

/**
 * Bounds of one log entry. Fields come from the PBX too, and a megabyte caller number or event
 * must not become a megabyte log line (nor cost a megabyte of regex work per line).
 */
export const MAX_FIELD_CHARS = 2000;
export const MAX_ITEMS = 100;
const MAX_DEPTH = 8;
export const MAX_LINE_CHARS = 16_000;

/** How a walk treats sizes: log entries are bounded, maskSecrets copies are whole. */
export interface Walk {
  seen: WeakSet<object>;
  bounded: boolean;
}

export function maskText(text: string, walk: Walk): string {
  if (!walk.bounded || text.length <= MAX_FIELD_CHARS) return maskString(text);
  // Masked before it is cut, so a credential straddling the cut is never half shown; only a
  // margin beyond the cut is looked at, so a huge string costs what a short one does.
  const masked = maskString(text.slice(0, MAX_FIELD_CHARS + 1000));
  return `${masked.slice(0, MAX_FIELD_CHARS)}…[truncated, ${text.length} characters]`;
}

export function maskAny(value: unknown, walk: Walk, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value, walk);
  if (typeof value !== 'object' || value === null) return value;
  if (walk.seen.has(value)) return '[Circular]';
  walk.seen.add(value);
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    // JSON drops an Error's fields; keep what an operator needs, masked like the rest.
    const err = value as Error & { code?: unknown };
    const out: Record<string, unknown> = { name: err.name, message: maskText(err.message, walk) };
    if (err.code !== undefined) out.code = err.code;
    if (err.stack) out.stack = maskText(err.stack, walk);
    return out;
  }
  if (walk.bounded && depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    const items = walk.bounded && value.length > MAX_ITEMS ? value.slice(0, MAX_ITEMS) : value;
    const out = items.map((item) => maskAny(item, walk, depth + 1));
    if (items.length < value.length) out.push(`…[truncated, ${value.length} items]`);
    return out;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value);
  for (const [key, child] of walk.bounded ? entries.slice(0, MAX_ITEMS) : entries) out[key] = maskField(key, child, walk, depth + 1);
  if (walk.bounded && entries.length > MAX_ITEMS) out['…'] = `[truncated, ${entries.length} keys]`;
  return out;
}

export function maskField(key: string, value: unknown, walk: Walk, depth = 0): unknown {
  // An empty or absent secret reveals nothing, and showing it as empty tells the operator it is unset.
  if (SECRET_KEY.test(key) && value !== '' && value !== null && value !== undefined) return MASK;
  return maskAny(value, walk, depth);
}

/**
 * A copy of `value` with secrets replaced by '***': values under secret-looking keys, and
 * credentials inside URLs, query strings and Authorization headers in any string.
 */
export function maskSecrets<T>(value: T): T {
  return maskAny(value, { seen: new WeakSet(), bounded: false }) as T;
}

/** The configuration, safe to print or log. */
export function redactConfig(config: Config): Config {
  return maskSecrets(config);
}
