import winston from 'winston';
import type { Config, LogConfig } from './config/types';

/** One logger type everywhere, so modules can take a child logger without knowing the transport. */
export type Logger = winston.Logger;

/** The ids that tie a log line to a callback and its calls (PRODUCT section 4, Logs). */
export interface LogIds {
  callbackId?: string | null;
  callId?: string | null;
  queue?: string | null;
}

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

function maskString(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, password?: string) =>
      password === undefined ? `${scheme}${MASK}@` : `${scheme}${user}:${MASK}@`,
    )
    .replace(SECRET_PARAM, (_m, before: string, name: string) => `${before}${name}${MASK}`)
    .replace(AUTH_HEADER, (_m, header: string, scheme?: string) => `${header}${scheme ? `${scheme} ` : ''}${MASK}`)
    .replace(BEARER, (_m, scheme: string) => `${scheme} ${MASK}`);
}

function maskAny(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    // JSON drops an Error's fields; keep what an operator needs, masked like the rest.
    const err = value as Error & { code?: unknown };
    const out: Record<string, unknown> = { name: err.name, message: maskString(err.message) };
    if (err.code !== undefined) out.code = err.code;
    if (err.stack) out.stack = maskString(err.stack);
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => maskAny(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = maskField(key, child, seen);
  return out;
}

function maskField(key: string, value: unknown, seen: WeakSet<object>): unknown {
  // An empty or absent secret reveals nothing, and showing it as empty tells the operator it is unset.
  if (SECRET_KEY.test(key) && value !== '' && value !== null && value !== undefined) return MASK;
  return maskAny(value, seen);
}

/**
 * A copy of `value` with secrets replaced by '***': values under secret-looking keys, and
 * credentials inside URLs, query strings and Authorization headers in any string.
 */
export function maskSecrets<T>(value: T): T {
  return maskAny(value, new WeakSet()) as T;
}

/** The configuration, safe to print or log. */
export function redactConfig(config: Config): Config {
  return maskSecrets(config);
}

/** Masks the message and every field of a log entry, leaving winston's symbol keys alone. */
const maskEntry = winston.format((info) => {
  const seen = new WeakSet<object>();
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    info[key] = maskField(key, info[key], seen);
  }
  return info;
});

function transportFor(cfg: LogConfig, stream?: NodeJS.WritableStream): winston.transport {
  if (stream) return new winston.transports.Stream({ stream });
  if (cfg.file !== '') return new winston.transports.File({ filename: cfg.file });
  return new winston.transports.Stream({ stream: process.stdout });
}

/**
 * One JSON object per line: timestamp, level, message and the entry's fields, secrets masked.
 * Writes to `opts.stream` when given (tests), else to the configured file, else to stdout.
 */
export function createLogger(cfg: LogConfig, opts: { stream?: NodeJS.WritableStream } = {}): Logger {
  return winston.createLogger({
    level: cfg.level,
    format: winston.format.combine(winston.format.timestamp(), maskEntry(), winston.format.json()),
    transports: [transportFor(cfg, opts.stream)],
  });
}

/** A logger that writes nothing, for code under test that needs one. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Stream({ stream: process.stdout })] });
}

/**
 * A child logger whose every line carries the given ids. Unknown ids are left out rather than
 * written as null, so a search for `callId` finds only lines that really concern a call.
 */
export function withIds(logger: Logger, ids: LogIds): Logger {
  const fields: Record<string, string> = {};
  for (const key of ['callbackId', 'callId', 'queue'] as const) {
    const value = ids[key];
    if (value !== undefined && value !== null) fields[key] = value;
  }
  return logger.child(fields);
}
