import type { KeyInfo, SchemaNode } from './schema';
import { describeKeys } from './schema';
import type { Problem } from './validate';
import { isPlainObject } from './validate';

/** Names the configuration file; it is read before the keys, so it is not one of them. */
export const CONFIG_FILE_VARIABLE = 'CALLBACKD_CONFIG';

const PREFIX = 'CALLBACKD_';

let byName: Map<string, KeyInfo> | undefined;

function keysByEnvName(): Map<string, KeyInfo> {
  if (!byName) {
    byName = new Map();
    for (const key of describeKeys()) {
      if (key.env === null) continue;
      // Two paths that snake-case alike would make one variable ambiguous; fail loudly in tests.
      if (byName.has(key.env)) throw new Error(`${key.env} would name two configuration keys`);
      byName.set(key.env, key);
    }
  }
  return byName;
}

/** Turns a variable's text into the key's type; JSON for lists and sections. */
function coerce(node: SchemaNode, name: string, text: string): { value: unknown } | { problem: string } {
  switch (node.kind) {
    case 'string':
    case 'enum':
      return { value: text };
    case 'int':
      return /^\s*-?\d+\s*$/.test(text) ? { value: Number(text) } : { problem: `${name} must be a whole number, got "${text}"` };
    default:
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        // The text is not echoed: a section such as CALLBACKD_ARI may carry a password.
        return { problem: `${name} must be JSON (${node.kind === 'list' ? 'a list' : 'an object'})` };
      }
  }
}

function setIn(doc: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let at = doc;
  for (const segment of segments.slice(0, -1)) {
    if (!isPlainObject(at[segment])) at[segment] = {};
    at = at[segment] as Record<string, unknown>;
  }
  at[segments[segments.length - 1]] = value;
}

/**
 * Writes CALLBACKD_* variables over the document read from the file. Whole sections are applied
 * before the keys inside them, so CALLBACKD_ARI='{"url": …}' and CALLBACKD_ARI_PASSWORD combine.
 * Returns which variable set which path, so later problems can name the variable too.
 */
export function applyEnv(doc: Record<string, unknown>, env: Record<string, string | undefined>, problems: Problem[]): Map<string, string> {
  const keys = keysByEnvName();
  const origins = new Map<string, string>();
  const found: KeyInfo[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(PREFIX) || name === CONFIG_FILE_VARIABLE || env[name] === undefined) continue;
    const key = keys.get(name);
    if (key) found.push(key);
    else problems.push({ key: name, problem: 'unknown environment variable: no configuration key has this name' });
  }
  found.sort((a, b) => a.segments.length - b.segments.length);
  for (const key of found) {
    const name = key.env as string;
    const result = coerce(key.node, name, env[name] as string);
    if ('problem' in result) {
      problems.push({ key: key.path, problem: result.problem });
      continue;
    }
    setIn(doc, key.segments, result.value);
    origins.set(key.path, name);
  }
  return origins;
}

/** The variable that set `key` or one of its parents, if any. */
export function envOrigin(key: string, origins: Map<string, string>): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const [path, name] of origins) {
    const covers = key === path || key.startsWith(`${path}.`) || key.startsWith(`${path}[`);
    if (covers && path.length > bestLength) {
      best = name;
      bestLength = path.length;
    }
  }
  return best;
}
