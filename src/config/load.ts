import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../domain/errors';
import { DEFAULTS } from './defaults';
import { CONFIG_FILE_VARIABLE, applyEnv, envOrigin } from './env';
import { SCHEMA } from './schema';
import type { Config } from './types';
import type { Problem } from './validate';
import { build, crossCheck, isPlainObject, resolveWebhookSecrets } from './validate';

export { describeKeys, envName } from './schema';
export type { KeyInfo } from './schema';
export { DEFAULTS } from './defaults';

/** Used when neither --config nor CALLBACKD_CONFIG names a file; relative to the working directory. */
export const DEFAULT_CONFIG_FILE = 'config/callbackd.yaml';

export interface LoadOptions {
  /** From --config; wins over CALLBACKD_CONFIG. */
  file?: string;
  /** The process environment, passed in so nothing else reads it. */
  env: Record<string, string | undefined>;
  /** Refuse to start on defaults when the default file is missing too. */
  requireFile?: boolean;
}

/**
 * Reads, overrides, validates and freezes the configuration, once, at start. A file named
 * explicitly must exist; the default file may be absent, so a fresh checkout runs on defaults.
 * A relative `db` written in the file is relative to the file's directory (so the daemon and the
 * commands find the same database from any working directory); one from CALLBACKD_DB or the
 * default stays relative to the working directory.
 * Throws one ConfigError listing every problem, keyed by the first.
 */
export function loadConfig(opts: LoadOptions): Config {
  return loadConfigWithSource(opts).config;
}

/** loadConfig, also telling which file it was read from (null: none, the defaults and the environment). */
export function loadConfigWithSource(opts: LoadOptions): { config: Config; file: string | null } {
  const fromOption = opts.file !== undefined;
  const named = opts.file ?? (opts.env[CONFIG_FILE_VARIABLE] || undefined);
  const file = named ?? DEFAULT_CONFIG_FILE;
  const how: FileOrigin = fromOption ? 'option' : named !== undefined ? 'env' : opts.requireFile === true ? 'required' : 'default';
  const read = readDocument(file, how);
  return { config: parseConfig(read === null ? {} : resolvePaths(read, file), opts.env), file: read === null ? null : path.resolve(file) };
}

/** Which way the file was chosen: it decides whether a missing file is an error, and what to say. */
type FileOrigin = 'option' | 'env' | 'required' | 'default';

/** A configuration file problem: about the file, not a key in it. `key` is the path, as before. */
class ConfigFileError extends ConfigError {
  constructor(file: string, message: string) {
    super(file, message);
    this.message = message;
  }
}

/** A relative db, log.file or script (transitions[].script, triggers[].script) written in the file is read from the file's directory. */
function resolvePaths(doc: unknown, file: string): unknown {
  if (!isPlainObject(doc)) return doc;
  const dir = path.dirname(path.resolve(file));
  const relative = (p: unknown): p is string => typeof p === 'string' && p.trim() !== '' && p !== ':memory:' && !path.isAbsolute(p);
  let out: Record<string, unknown> = doc;
  if (relative(doc.db)) out = { ...out, db: path.resolve(dir, doc.db) };
  const log = doc.log;
  if (isPlainObject(log) && relative(log.file)) out = { ...out, log: { ...log, file: path.resolve(dir, log.file) } };
  for (const list of ['transitions', 'triggers'] as const) {
    const items = out[list];
    if (!Array.isArray(items)) continue;
    out = { ...out, [list]: items.map((item: unknown) => (isPlainObject(item) && relative(item.script) ? { ...item, script: path.resolve(dir, item.script) } : item)) };
  }
  return out;
}

/** The same checks on a document already in memory (tests, the demo). */
export function parseConfig(doc: unknown, env: Record<string, string | undefined> = {}): Config {
  if (doc !== null && doc !== undefined && !isPlainObject(doc)) {
    throw new ConfigError('(root)', 'the configuration must be a mapping of keys to values');
  }
  const raw: Record<string, unknown> = doc ? structuredClone(doc) : {};
  const problems: Problem[] = [];
  const origins = applyEnv(raw, env, problems);
  // No rule configured still has to mean something: one catch-all transition on defaults.
  if (Array.isArray(raw.transitions) && raw.transitions.length === 0) delete raw.transitions;
  const config = build(SCHEMA, raw, DEFAULTS, '', problems) as Config;
  if (problems.length === 0) problems.push(...crossCheck(config));
  if (problems.length === 0) problems.push(...resolveWebhookSecrets(config, env));
  if (problems.length > 0) throw toError(problems, origins);
  return deepFreeze(structuredClone(config));
}

/** The parsed file, or null when the default file is absent (the defaults apply). */
function readDocument(file: string, how: FileOrigin): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && how === 'default') return null;
    if (code === 'ENOENT') {
      const fix =
        how === 'option'
          ? 'copy config/callbackd.example.yaml to it, or run without --config to use the defaults'
          : how === 'env'
            ? 'copy config/callbackd.example.yaml to it, or unset CALLBACKD_CONFIG to use the defaults'
            : 'copy config/callbackd.example.yaml to it';
      throw new ConfigFileError(file, `configuration file ${file}${how === 'env' ? ' (CALLBACKD_CONFIG)' : ''} not found (${fix})`);
    }
    const reason = code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new ConfigFileError(file, `configuration file ${file} cannot be read: ${reason}`);
  }
  try {
    return (parseYaml(text) as unknown) ?? {};
  } catch (err) {
    // The parser's message carries a code frame over several lines: the first says it all.
    const first = (err as Error).message.split('\n')[0].replace(/:$/, '');
    throw new ConfigFileError(file, `configuration file ${file} is not valid YAML: ${first}`);
  }
}

function toError(problems: Problem[], origins: Map<string, string>): ConfigError {
  const lines = problems.map((p) => {
    const from = envOrigin(p.key, origins);
    return { key: p.key, problem: from ? `${p.problem} (set by ${from})` : p.problem };
  });
  const [first, ...rest] = lines;
  const more = rest.map((p) => `\n  configuration key "${p.key}": ${p.problem}`).join('');
  return new ConfigError(first.key, `${first.problem}${more}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
