import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../domain/errors';
import { DEFAULTS } from './defaults';
import { CONFIG_FILE_VARIABLE, applyEnv, envOrigin } from './env';
import { SCHEMA } from './schema';
import type { Config } from './types';
import type { Problem } from './validate';
import { build, crossCheck, isPlainObject } from './validate';

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
 * Throws one ConfigError listing every problem, keyed by the first.
 */
export function loadConfig(opts: LoadOptions): Config {
  const named = opts.file ?? (opts.env[CONFIG_FILE_VARIABLE] || undefined);
  const file = named ?? DEFAULT_CONFIG_FILE;
  const doc = readDocument(file, named !== undefined || opts.requireFile === true);
  return parseConfig(doc, opts.env);
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
  if (problems.length > 0) throw toError(problems, origins);
  return deepFreeze(structuredClone(config));
}

function readDocument(file: string, mustExist: boolean): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !mustExist) return {};
    throw new ConfigError(file, code === 'ENOENT' ? 'file not found' : `cannot read the file: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new ConfigError(file, `not valid YAML: ${(err as Error).message}`);
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
