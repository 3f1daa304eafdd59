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

/**
 * Bounds of one log entry. Fields come from the PBX too, and a megabyte caller number or event
 * must not become a megabyte log line (nor cost a megabyte of regex work per line).
 */
const MAX_FIELD_CHARS = 2000;
const MAX_ITEMS = 100;
const MAX_DEPTH = 8;
const MAX_LINE_CHARS = 16_000;

/** How a walk treats sizes: log entries are bounded, maskSecrets copies are whole. */
interface Walk {
  seen: WeakSet<object>;
  bounded: boolean;
}

function maskText(text: string, walk: Walk): string {
  if (!walk.bounded || text.length <= MAX_FIELD_CHARS) return maskString(text);
  // Masked before it is cut, so a credential straddling the cut is never half shown; only a
  // margin beyond the cut is looked at, so a huge string costs what a short one does.
  const masked = maskString(text.slice(0, MAX_FIELD_CHARS + 1000));
  return `${masked.slice(0, MAX_FIELD_CHARS)}…[truncated, ${text.length} characters]`;
}

function maskAny(value: unknown, walk: Walk, depth = 0): unknown {
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

function maskField(key: string, value: unknown, walk: Walk, depth = 0): unknown {
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

/** Masks and bounds the message and every field of a log entry, leaving winston's symbol keys alone. */
const maskEntry = winston.format((info) => {
  const walk: Walk = { seen: new WeakSet<object>(), bounded: true };
  const keys = Object.keys(info);
  const kept = new Set([...keys.slice(0, MAX_ITEMS), 'message', 'timestamp']);
  for (const key of keys) {
    if (key === 'level') continue;
    if (kept.has(key)) info[key] = maskField(key, info[key], walk);
    else delete info[key];
  }
  return info;
});

/** Where winston's json format leaves the finished line. */
const MESSAGE = Symbol.for('message');

/** The last word on size: a line still too long (many bounded fields) keeps only what identifies it. */
const boundLine = winston.format((info) => {
  const line = info[MESSAGE] as unknown;
  if (typeof line !== 'string' || line.length <= MAX_LINE_CHARS) return info;
  const { level, message, timestamp } = info as { level: string; message: unknown; timestamp?: unknown };
  info[MESSAGE] = JSON.stringify({ level, message: String(message).slice(0, MAX_FIELD_CHARS), timestamp, truncated: `line of ${line.length} characters cut` });
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
  const logger = winston.createLogger({
    level: cfg.level,
    format: winston.format.combine(winston.format.timestamp(), maskEntry(), winston.format.json(), boundLine()),
    transports: [transportFor(cfg, opts.stream)],
  });
  return harmlessAfterEnd(logger);
}

/**
 * Work still in flight when the daemon stops (a request that waits on a dead Asterisk) may log
 * after the logger was closed. Winston would emit "write after end" as an error nobody listens
 * to, which ends the process: such lines are dropped instead, and a transport's own error is
 * reported on stderr rather than thrown.
 */
function harmlessAfterEnd(logger: Logger): Logger {
  const write = logger.write.bind(logger) as (chunk: unknown, ...rest: unknown[]) => boolean;
  // Child loggers write through their parent's write(), so this covers them too.
  (logger as unknown as { write: typeof write }).write = (chunk, ...rest) => (logger.writableEnded ? true : write(chunk, ...rest));
  let reported = false;
  logger.on('error', (err: unknown) => {
    if (reported) return;
    reported = true;
    process.stderr.write(`callbackd: the log could not be written: ${err instanceof Error ? err.message : String(err)}\n`);
  });
  return logger;
}

/** Ends the logger and resolves once its transports have written everything (or after `ms`). */
export function closeLogger(logger: Logger, ms = 2000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (logger.writableFinished) return resolve();
    // Not unref'd: the caller's exit (code 70 after an uncaught exception) must come after it.
    const timer = setTimeout(resolve, ms);
    const transports = logger.transports.length;
    let finished = 0;
    const done = () => {
      finished += 1;
      if (finished < Math.max(1, transports)) return;
      clearTimeout(timer);
      resolve();
    };
    if (transports === 0) logger.once('finish', done);
    for (const transport of logger.transports) transport.once('finish', done);
    if (!logger.writableEnded) logger.end();
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
