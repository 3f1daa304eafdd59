import path from 'node:path';
import winston from 'winston';
import type { Config, LogConfig } from './config/types';
import { prepareLogFile } from './log-file';
import { MAX_FIELD_CHARS, MAX_ITEMS, MAX_LINE_CHARS, maskField, maskString, redactConfig, type Walk } from './log-secrets';

export { LogFileError, prepareLogFile } from './log-file';
export { maskSecrets, redactConfig } from './log-secrets';

/** One logger type everywhere, so modules can take a child logger without knowing the transport. */
export type Logger = winston.Logger;

/** The ids that tie a log line to a callback and its calls (PRODUCT section 4, Logs). */
export interface LogIds {
  callbackId?: string | null;
  callId?: string | null;
  queue?: string | null;
  attemptId?: string | null;
}

/** The ids that tie a line to a callback, a call, a queue and an attempt: first on every line, in this order. */
const ID_KEYS = ['callbackId', 'callId', 'queue', 'attemptId'] as const;
const HEAD_KEYS = new Set<string>(['timestamp', 'level', 'message', ...ID_KEYS]);

/** Masks and bounds the message and every field of a log entry, leaving winston's symbol keys alone. */
const maskEntry = winston.format((info) => {
  const walk: Walk = { seen: new WeakSet<object>(), bounded: true };
  const keys = Object.keys(info);
  const kept = new Set<string>([...keys.slice(0, MAX_ITEMS), 'message', 'timestamp', ...ID_KEYS]);
  for (const key of keys) {
    if (key === 'level') continue;
    if (kept.has(key)) info[key] = maskField(key, info[key], walk);
    else delete info[key];
  }
  return info;
});

/** Where a finishing format leaves the finished line. */
const MESSAGE = Symbol.for('message');

/** The entry's own fields (not winston's symbols, not the head), in the order they were given. */
function restOf(info: Record<string, unknown>): [string, unknown][] {
  return Object.keys(info)
    .filter((key) => !HEAD_KEYS.has(key) && info[key] !== undefined)
    .map((key) => [key, info[key]]);
}

/** JSON.stringify that cannot throw on what a log call may carry (BigInt, a getter that throws). */
function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null';
  } catch (err) {
    return JSON.stringify(`[unserialisable: ${(err as Error).message}]`);
  }
}

/**
 * One JSON object per line, for machines: timestamp, level and message first, then the ids
 * (callbackId, callId, queue, attemptId), then the entry's fields in the order they were given.
 */
const orderedJson = winston.format((info) => {
  const entry = info as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { timestamp: entry.timestamp, level: entry.level, message: entry.message };
  for (const key of ID_KEYS) if (entry[key] !== undefined && entry[key] !== null) out[key] = entry[key];
  for (const [key, value] of restOf(entry)) out[key] = value;
  (info as unknown as Record<symbol, unknown>)[MESSAGE] = toJson(out);
  return info;
});

/** The last word on size: a line still too long (many bounded fields) keeps only what identifies it. */
const boundLine = winston.format((info) => {
  const line = (info as unknown as Record<symbol, unknown>)[MESSAGE];
  if (typeof line !== 'string' || line.length <= MAX_LINE_CHARS) return info;
  const entry = info as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { timestamp: entry.timestamp, level: entry.level, message: String(entry.message).slice(0, MAX_FIELD_CHARS) };
  for (const key of ID_KEYS) if (typeof entry[key] === 'string') out[key] = String(entry[key]).slice(0, 200);
  out.truncated = `line of ${line.length} characters cut`;
  (info as unknown as Record<symbol, unknown>)[MESSAGE] = toJson(out);
  return info;
});

const ANSI = { reset: '\x1b[0m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', grey: '\x1b[90m' };
const LEVEL_COLOUR: Record<string, string> = { error: ANSI.red, warn: ANSI.yellow, info: ANSI.green, debug: ANSI.grey };

/** A value as it reads in `key=value`: bare when unambiguous, JSON otherwise; never a line break. */
function prettyValue(value: unknown): string {
  if (typeof value === 'string') return value !== '' && /^[^\s"'=[\]\\]+$/.test(value) ? value : toJson(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  return toJson(value);
}

/** Text on one line: a message or an id with a line break in it would otherwise look like two events. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Local date and time to the millisecond (2026-12-02 10:15:03.120): what people compare with a wall clock. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * One readable line per event, for people:
 * `2026-12-02 10:15:03.120 info  [cb 6b0e4c1a-… call 1733161234.42 support] Scheduled -[dial]-> Dialing  attempt=… dueAt=…`.
 * Ids are whole, so any of them can be pasted into `callbackd show` or a search of the JSON log;
 * colour only when `colour` (the destination is a terminal).
 */
export function prettyLine(info: Record<string, unknown>, colour = false): string {
  const paint = (code: string, text: string) => (colour ? `${code}${text}${ANSI.reset}` : text);
  const parsed = typeof info.timestamp === 'string' ? Date.parse(info.timestamp) : NaN;
  const time = localTime(Number.isNaN(parsed) ? Date.now() : parsed);
  const level = String(info.level ?? 'info');
  const ids: string[] = [];
  if (info.callbackId) ids.push(`cb ${oneLine(String(info.callbackId))}`);
  if (info.callId) ids.push(`call ${oneLine(String(info.callId))}`);
  if (info.queue) ids.push(oneLine(String(info.queue)));
  const fields: [string, unknown][] = [];
  if (info.attemptId) fields.push(['attempt', info.attemptId]);
  fields.push(...restOf(info));
  const parts = [paint(ANSI.grey, time), paint(LEVEL_COLOUR[level] ?? '', level.padEnd(5))];
  if (ids.length > 0) parts.push(paint(ANSI.cyan, `[${ids.join(' ')}]`));
  parts.push(oneLine(String(info.message ?? '')));
  let line = parts.join(' ');
  if (fields.length > 0) line += `  ${fields.map(([key, value]) => `${paint(ANSI.grey, `${key}=`)}${oneLine(prettyValue(value))}`).join(' ')}`;
  if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS)}…[line of ${line.length} characters cut]${colour ? ANSI.reset : ''}`;
  return line;
}

const pretty = winston.format((info, opts: unknown) => {
  (info as unknown as Record<symbol, unknown>)[MESSAGE] = prettyLine(info as unknown as Record<string, unknown>, !!(opts as { colour?: boolean }).colour);
  return info;
});

/** The whole configuration given as a field (`{ config }`) looks like this: it is summarised unless the level is debug. */
function isWholeConfig(value: unknown): value is Config {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.db === 'string' && typeof v.pbx === 'string' && Array.isArray(v.transitions) && typeof v.log === 'object';
}

/**
 * The few facts about a configuration worth a line at start: where it came from, which PBX,
 * which database, where the log goes, how many transitions. Secrets masked.
 */
export function configFacts(config: Config, source: { file?: string | null } = {}): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  if (source.file !== undefined) facts.file = source.file === null ? '(none: defaults and environment)' : path.resolve(source.file);
  facts.pbx = config.pbx;
  if (config.pbx === 'asterisk') facts.ari = maskString(config.ari.url);
  facts.db = path.resolve(config.db);
  facts.log = config.log.file === '' ? 'stdout' : path.resolve(config.log.file);
  facts.logFormat = config.log.format ?? 'json';
  facts.transitions = config.transitions.length;
  return facts;
}

/**
 * The start-up lines about the configuration: a short one at info (configFacts), the whole
 * configuration (redacted) at debug.
 */
export function logConfiguration(logger: Logger, config: Config, source: { file?: string | null } = {}): void {
  logger.info('configuration loaded', configFacts(config, source));
  logger.debug('configuration in full', { config: redactConfig(config) });
}

/**
 * A whole configuration logged as a field makes a 2,000-character first line: below debug it is
 * replaced by its few facts (configFacts), so the line stays readable; at debug it is kept whole.
 */
const summariseConfig = winston.format((info, opts: unknown) => {
  const entry = info as unknown as Record<string, unknown>;
  if ((opts as { keepWhole?: boolean }).keepWhole || !isWholeConfig(entry.config)) return info;
  const facts = configFacts(entry.config);
  delete entry.config;
  Object.assign(entry, facts);
  return info;
});

/** Whether colour codes belong on this destination: a terminal, unless NO_COLOR is set. */
function wantsColour(stream: NodeJS.WritableStream | undefined): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return !!(stream as { isTTY?: boolean } | undefined)?.isTTY;
}

function transportFor(cfg: Pick<LogConfig, 'file'>, stream?: NodeJS.WritableStream): { transport: winston.transport; destination: NodeJS.WritableStream | undefined } {
  if (stream) return { transport: new winston.transports.Stream({ stream }), destination: stream };
  if (cfg.file !== '') return { transport: new winston.transports.File({ filename: prepareLogFile(cfg.file) }), destination: undefined };
  return { transport: new winston.transports.Stream({ stream: process.stdout }), destination: process.stdout };
}

export interface LoggerOptions {
  /** Write here instead of the configured file or stdout (tests, the CLI's stderr). */
  stream?: NodeJS.WritableStream;
  /** Colour in the pretty format; default: only when the destination is a terminal (and NO_COLOR is unset). */
  colour?: boolean;
}

/**
 * Lines with timestamp, level, message, the ids and the entry's fields, secrets masked: one JSON
 * object per line (`format: json`, the default) or one readable line (`format: pretty`).
 * Writes to `opts.stream` when given, else to the configured file, else to stdout. A log file
 * that cannot be written throws LogFileError here, before anything else starts.
 */
export function createLogger(cfg: Pick<LogConfig, 'level' | 'file'> & Partial<LogConfig>, opts: LoggerOptions = {}): Logger {
  const { transport, destination } = transportFor(cfg, opts.stream);
  const finish = cfg.format === 'pretty' ? pretty({ colour: opts.colour ?? wantsColour(destination) }) : winston.format.combine(orderedJson(), boundLine());
  const logger = winston.createLogger({
    level: cfg.level,
    format: winston.format.combine(winston.format.timestamp(), summariseConfig({ keepWhole: cfg.level === 'debug' }), maskEntry(), finish),
    transports: [transport],
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
  for (const key of ID_KEYS) {
    const value = ids[key];
    if (value !== undefined && value !== null) fields[key] = value;
  }
  return logger.child(fields);
}
