import path from 'node:path';
import { scriptProblems } from '../scripts/paths';
import type { Config, TransitionRule, WebhookConfig } from './types';
import type { SchemaNode } from './schema';
import { WEEKDAYS } from './schema';

export interface Problem {
  /** Dotted path of the key, e.g. transitions[0].window.timezone. */
  key: string;
  problem: string;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  // The value itself is not shown: it may be a secret typed into the wrong key.
  return `a ${typeof value}`;
}

/** Edit distance, small inputs only: used to suggest the key someone probably meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const keep = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = keep;
    }
  }
  return row[b.length];
}

function unknownKey(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const near = known.find((k) => {
    const candidate = k.toLowerCase();
    return distance(candidate, lower) <= 2 || (candidate.length >= 3 && lower.startsWith(candidate)) || candidate.startsWith(lower);
  });
  return near ? `unknown key (did you mean "${near}"?)` : `unknown key; expected one of ${known.join(', ')}`;
}

/**
 * Walks a raw document against the schema, filling what it leaves out from `dflt` and recording
 * every problem instead of stopping at the first, so one start-up shows the operator all of them.
 * A missing or null value takes the default: YAML writes an empty value as null.
 */
export function build(node: SchemaNode, raw: unknown, dflt: unknown, path: string, problems: Problem[]): unknown {
  const fail = (problem: string): unknown => {
    problems.push({ key: path, problem });
    return dflt;
  };
  if (raw === undefined || raw === null) return dflt;
  switch (node.kind) {
    case 'string': {
      if (typeof raw !== 'string') return fail(`expected a string, got ${typeName(raw)}`);
      if (node.nonEmpty && raw.trim() === '') return fail('must not be empty');
      const wrong = node.check?.(raw);
      return wrong ? fail(wrong) : raw;
    }
    case 'int': {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return fail(`expected a whole number, got ${typeName(raw)}`);
      if (raw < node.min) return fail(`must be at least ${node.min}, got ${raw}`);
      if (node.max !== undefined && raw > node.max) return fail(`must be at most ${node.max}, got ${raw}`);
      return raw;
    }
    case 'bool':
      return typeof raw === 'boolean' ? raw : fail(`expected true or false, got ${typeName(raw)}`);
    case 'enum': {
      if (typeof raw !== 'string' || !node.values.includes(raw)) {
        const got = typeof raw === 'string' ? `"${raw}"` : typeName(raw);
        return fail(`must be one of ${node.values.join(', ')}; got ${got}`);
      }
      return raw;
    }
    case 'list': {
      if (!Array.isArray(raw)) return fail(`expected a list, got ${typeName(raw)}`);
      return raw.map((item, i) => build(node.item, item, node.itemDefault, `${path}[${i}]`, problems));
    }
    case 'nullable':
      return build(node.inner, raw, node.whenSet, path, problems);
    case 'map':
    case 'object': {
      if (!isPlainObject(raw)) return fail(`expected a mapping, got ${typeName(raw)}`);
      const known = node.kind === 'map' ? node.keys : Object.keys(node.fields);
      const base = isPlainObject(dflt) ? dflt : {};
      const out: Record<string, unknown> = node.kind === 'map' ? { ...base } : {};
      for (const key of Object.keys(raw)) {
        if (!known.includes(key)) problems.push({ key: join(path, key), problem: unknownKey(key, known) });
      }
      for (const key of known) {
        const field = node.kind === 'map' ? node.value : node.fields[key];
        const value = build(field, raw[key], base[key], join(path, key), problems);
        if (value !== undefined) out[key] = value;
      }
      if (node.kind === 'object') {
        for (const key of node.required ?? []) {
          if (raw[key] === undefined || raw[key] === null) problems.push({ key: join(path, key), problem: 'is required' });
        }
      }
      return out;
    }
  }
}

/** Rules that tie several keys together, checked once every key has its own valid value. */
export function crossCheck(config: Config): Problem[] {
  const problems: Problem[] = [];
  if (config.pbx === 'asterisk') {
    if (config.ari.url === '') problems.push({ key: 'ari.url', problem: 'is required when pbx is asterisk' });
    if (config.ari.password === '') problems.push({ key: 'ari.password', problem: 'is required when pbx is asterisk' });
  }
  if (config.store === 'postgres' && config.storeUrl === '') problems.push({ key: 'storeUrl', problem: 'is required when store is postgres (CALLBACKD_STORE_URL=postgres://user:password@host:5432/database)' });
  if (config.pbx === 'freeswitch') {
    // The event-socket adapter is not part of this version: refuse at start rather than run without dialling.
    problems.push({ key: 'pbx', problem: 'freeswitch is not supported by this version yet; use asterisk or none' });
    if (config.esl.password === '') problems.push({ key: 'esl.password', problem: 'is required when pbx is freeswitch' });
  }
  if (config.api.viewerToken !== '' && config.api.viewerToken === config.api.token) {
    problems.push({ key: 'api.viewerToken', problem: 'must differ from api.token (a viewer would be let write)' });
  }
  if (config.ari.reconnectMaxMs < config.ari.reconnectMinMs) {
    problems.push({ key: 'ari.reconnectMaxMs', problem: 'must not be below ari.reconnectMinMs' });
  }
  const seen = new Set<string>();
  config.transitions.forEach((t, i) => {
    if (seen.has(t.name)) problems.push({ key: `transitions[${i}].name`, problem: `"${t.name}" is used by another transition` });
    seen.add(t.name);
    const mechanisms = new Set(t.mechanisms);
    if (mechanisms.size !== t.mechanisms.length) problems.push({ key: `transitions[${i}].mechanisms`, problem: 'lists a mechanism twice' });
    if (t.window && !WEEKDAYS.some((d) => (t.window?.hours[d]?.length ?? 0) > 0)) {
      problems.push({ key: `transitions[${i}].window.hours`, problem: 'opens on no day, so its callbacks would never be dialled' });
    }
    problems.push(...scheduleProblems(t, i));
    const shadow = config.transitions.slice(0, i).find((earlier) => alwaysTakesFirst(earlier, t));
    if (shadow) {
      problems.push({
        key: `transitions[${i}]`,
        problem: `transition "${t.name}" is never used: "${shadow.name}" comes first, takes every call of ${shadow.sourceQueue === '*' ? 'any queue' : `queue ${shadow.sourceQueue}`} for ${t.mechanisms.join(', ')} and has no schedule (move "${t.name}" before it, or give one a schedule)`,
      });
    }
  });
  problems.push(...webhookProblems(config.webhooks));
  problems.push(...triggerProblems(config));
  problems.push(...scriptFileProblems(config));
  return problems;
}

/** A script named must be there and parse, or the daemon refuses to start (a relative path is read from the configuration file's directory). */
function scriptFileProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const check = (key: string, file: string) => {
    if (file === '') return;
    const problem = scriptProblems(path.resolve(file));
    if (problem) problems.push({ key, problem });
  };
  config.transitions.forEach((t, i) => check(`transitions[${i}].script`, t.script));
  config.triggers.forEach((t, i) => check(`triggers[${i}].script`, t.script));
  return problems;
}

/** Each trigger fires on one thing (status or schedule) and does one thing (a webhook or a script). */
function triggerProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const names = new Set<string>();
  const webhooks = new Set(config.webhooks.map((w) => w.name));
  config.triggers.forEach((t, i) => {
    const key = `triggers[${i}]`;
    if (names.has(t.name)) problems.push({ key: `${key}.name`, problem: `"${t.name}" is used by another trigger` });
    names.add(t.name);
    if (t.on === 'status' && t.statuses.length === 0) problems.push({ key: `${key}.statuses`, problem: 'a status trigger needs the statuses whose entering fires it (for example [Failed, Expired])' });
    if (t.on === 'status' && t.cron !== '') problems.push({ key: `${key}.cron`, problem: 'only an interval trigger has a schedule (on: interval)' });
    if (t.on === 'interval' && t.cron === '') problems.push({ key: `${key}.cron`, problem: "an interval trigger needs a cron expression (for example '0 8 * * 1-5')" });
    if (t.on === 'interval' && (t.statuses.length > 0 || t.queues.length > 0 || t.mechanisms.length > 0)) {
      problems.push({ key: `${key}.on`, problem: 'statuses, queues and mechanisms filter status triggers; an interval trigger has none' });
    }
    if ((t.webhook === '') === (t.script === '')) problems.push({ key: `${key}.webhook`, problem: 'a trigger does exactly one thing: name a webhook or a script' });
    if (t.webhook !== '' && !webhooks.has(t.webhook)) problems.push({ key: `${key}.webhook`, problem: `names webhook "${t.webhook}", which is not among webhooks[].name` });
  });
  return problems;
}

function webhookProblems(webhooks: readonly WebhookConfig[]): Problem[] {
  const problems: Problem[] = [];
  const names = new Set<string>();
  webhooks.forEach((w, i) => {
    const key = `webhooks[${i}]`;
    if (names.has(w.name)) problems.push({ key: `${key}.name`, problem: `"${w.name}" is used by another webhook` });
    names.add(w.name);
    if (w.secret !== '' && w.secretEnv !== '') problems.push({ key: `${key}.secretEnv`, problem: 'give secret or secretEnv, not both' });
    if (w.retry.maxDelaySeconds < w.retry.firstDelaySeconds) problems.push({ key: `${key}.retry.maxDelaySeconds`, problem: `must not be below retry.firstDelaySeconds (${w.retry.firstDelaySeconds})` });
  });
  return problems;
}

/**
 * Reads each webhook's secretEnv into its secret, once, as the configuration is parsed (nothing
 * later reads the environment). A variable that is not set, or empty, refuses the start: the
 * receiver would refuse every unsigned request anyway.
 */
export function resolveWebhookSecrets(config: Config, env: Record<string, string | undefined>): Problem[] {
  const problems: Problem[] = [];
  config.webhooks.forEach((w, i) => {
    if (w.secretEnv === '') return;
    const value = env[w.secretEnv];
    if (value === undefined || value === '') problems.push({ key: `webhooks[${i}].secretEnv`, problem: `names ${w.secretEnv}, which is not set (or empty) in the environment` });
    else (w as { secret: string }).secret = value;
  });
  return problems;
}

/** `earlier` has no schedule, covers the later one's queue and every mechanism it enables: the later one can never be first. */
function alwaysTakesFirst(earlier: TransitionRule, later: TransitionRule): boolean {
  if (earlier.schedule !== null || later.mechanisms.length === 0) return false;
  const coversQueue = earlier.sourceQueue === '*' || earlier.sourceQueue === later.sourceQueue;
  return coversQueue && later.mechanisms.every((m) => earlier.mechanisms.includes(m));
}

function scheduleProblems(t: TransitionRule, i: number): Problem[] {
  const schedule = t.schedule;
  if (!schedule) return [];
  const key = `transitions[${i}].schedule`;
  const problems: Problem[] = [];
  if ((schedule.from === '') !== (schedule.to === '')) problems.push({ key: `${key}.${schedule.from === '' ? 'from' : 'to'}`, problem: 'from and to go together: give both, or neither' });
  if (schedule.from !== '' && schedule.from === schedule.to) problems.push({ key: `${key}.to`, problem: `equals from (${schedule.from}): leave both out for all day` });
  if (schedule.dateFrom !== '' && schedule.dateTo !== '' && schedule.dateTo < schedule.dateFrom) problems.push({ key: `${key}.dateTo`, problem: `is before dateFrom ${schedule.dateFrom}` });
  if (schedule.weekly !== null && !WEEKDAYS.some((d) => (schedule.weekly?.[d]?.length ?? 0) > 0)) {
    problems.push({ key: `${key}.weekly`, problem: 'has hours on no day, so the transition would never be in force' });
  }
  return problems;
}
