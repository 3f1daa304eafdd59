import { isSupportedCountry } from 'libphonenumber-js';
import { DateTime, IANAZone } from 'luxon';
import { validate as isValidCron } from 'node-cron';
import { crashSpecProblem } from '../crash';
import { NUMBER_PLACEHOLDERS } from '../domain/number';
import { MECHANISMS, OUTCOMES, STATUSES } from '../domain/types';
import { DEFAULT_TRANSITION, DEFAULT_TRIGGER, DEFAULT_WEBHOOK } from './defaults';

/** Returns what is wrong with a value, or null when it is fine. */
export type Check = (value: string) => string | null;

/**
 * The shape of the configuration file. One tree drives validation, environment overrides and
 * the completeness test of the example file, so a key added here cannot be forgotten elsewhere.
 */
export type SchemaNode =
  | { kind: 'string'; nonEmpty?: boolean; check?: Check }
  | { kind: 'int'; min: number; max?: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'bool' }
  /** `itemDefault` fills the keys an object item leaves out. */
  | { kind: 'list'; item: SchemaNode; itemDefault?: unknown }
  | { kind: 'object'; fields: Readonly<Record<string, SchemaNode>>; required?: readonly string[] }
  /** An object whose keys come from a fixed set, any of which may be absent. */
  | { kind: 'map'; keys: readonly string[]; value: SchemaNode }
  /** An object that may be null; `whenSet` fills the keys it leaves out when it is given. */
  | { kind: 'nullable'; inner: SchemaNode; whenSet: unknown };

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const NUMBER_TYPES = [
  'FIXED_LINE',
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
  'VOIP',
  'PERSONAL_NUMBER',
  'UAN',
  'TOLL_FREE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'PAGER',
  'VOICEMAIL',
] as const;

/** Outcomes after which another attempt may follow; answered and invalid_number end the callback. */
export const RETRIED_OUTCOMES = OUTCOMES.filter((o) => o !== 'answered' && o !== 'invalid_number');

const timezone: Check = (v) => (IANAZone.isValidZone(v) ? null : `"${v}" is not an IANA time zone (for example Europe/Prague)`);

const cron: Check = (v) => (isValidCron(v) ? null : `"${v}" is not a valid cron expression`);

const regex: Check = (v) => {
  try {
    new RegExp(v);
    return null;
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
};

const storeUrl: Check = (v) =>
  v === '' || /^postgres(ql)?:\/\//.test(v) ? null : `"${v.replace(/:[^:@/]*@/, ':***@')}" is not a PostgreSQL URL (postgres://user:password@host:5432/database)`;

const pbxName: Check = (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(v) ? null : `"${v}" is not a PBX name (letters, digits, . _ -; at most 63)`);

const country: Check = (v) =>
  isSupportedCountry(v) ? null : `"${v}" is not a country code known to libphonenumber (two upper-case letters, e.g. CZ)`;

const endpoint: Check = (v) =>
  NUMBER_PLACEHOLDERS.some((p) => v.includes(p)) ? null : `must contain where the number to dial goes: ${NUMBER_PLACEHOLDERS.join(', ')}`;

const date: Check = (v) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) && DateTime.fromFormat(v, 'yyyy-MM-dd').isValid ? null : `"${v}" is not a date as YYYY-MM-DD`;

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/;

/** "HH:MM-HH:MM" within one day; 24:00 may close a range so a day can run to midnight. */
const hoursRange: Check = (v) => {
  const m = HOURS.exec(v);
  if (!m) return `"${v}" is not a range HH:MM-HH:MM`;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (end > 24 * 60) return `"${v}" ends after 24:00`;
  if (end <= start) return `"${v}" ends before it starts (a range cannot cross midnight; split it over two days)`;
  return null;
};

/** A browser origin as the Origin header carries it (scheme, host, port; no path), or * for any. */
const origin: Check = (v) => {
  if (v === '*') return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return `"${v}" is not an origin (for example https://wallboard.example.com, or * for any)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${v}" is not an http:// or https:// origin`;
  if (url.origin !== v) return `"${v}" is not an origin: give scheme, host and port only, as ${url.origin}`;
  return null;
};

const formVariable: Check = (v) => (/^CB_FORM_[A-Z0-9_]+$/.test(v) ? null : 'must be a channel variable named CB_FORM_<NAME> (capitals, digits, _)');

const ariUrl: Check = (v) => {
  if (v === '') return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'not a URL (expected something like http://127.0.0.1:8088)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (/\/ari\/?$/.test(url.pathname)) return "give Asterisk's HTTP base URL without the /ari path";
  return null;
};

const str = (opts: { nonEmpty?: boolean; check?: Check } = {}): SchemaNode => ({ kind: 'string', ...opts });
const int = (min: number, max?: number): SchemaNode => ({ kind: 'int', min, max });
const list = (item: SchemaNode): SchemaNode => ({ kind: 'list', item });
const object = (fields: Record<string, SchemaNode>, required?: readonly string[]): SchemaNode => ({ kind: 'object', fields, required });
const prompt = list(str({ nonEmpty: true }));

const WINDOW = object(
  {
    timezone: str({ check: timezone }),
    hours: { kind: 'map', keys: WEEKDAYS, value: list(str({ check: hoursRange })) },
    datesOff: list(str({ check: date })),
  },
  ['timezone', 'hours'],
);

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

const time: Check = (v) => (v === '' || TIME.test(v) ? null : `"${v}" is not a time HH:MM (00:00 to 23:59)`);

const optionalDate: Check = (v) => (v === '' ? null : date(v));

const MONTH_DAY = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** "MM-DD" or "MM-DD..MM-DD"; 02-29 is allowed (it is a day in leap years). */
const yearlyDay: Check = (v) => {
  const parts = v.split('..');
  const bad = parts.length > 2 || parts.some((p) => !MONTH_DAY.test(p) || !DateTime.fromFormat(`2024-${p}`, 'yyyy-MM-dd').isValid);
  return bad ? `"${v}" is not a day of the year MM-DD or a span MM-DD..MM-DD` : null;
};

const SCHEDULE = object(
  {
    timezone: str({ check: timezone }),
    weekly: { kind: 'nullable', inner: { kind: 'map', keys: WEEKDAYS, value: list(str({ check: hoursRange })) }, whenSet: {} },
    dateFrom: str({ check: optionalDate }),
    dateTo: str({ check: optionalDate }),
    yearly: list(str({ check: yearlyDay })),
    from: str({ check: time }),
    to: str({ check: time }),
  },
  ['timezone'],
);

const TRANSITION = object(
  {
    name: str({ nonEmpty: true }),
    sourceQueue: str({ nonEmpty: true }),
    targetQueue: str(),
    mechanisms: list({ kind: 'enum', values: MECHANISMS }),
    schedule: { kind: 'nullable', inner: SCHEDULE, whenSet: { weekly: null, dateFrom: '', dateTo: '', yearly: [], from: '', to: '' } },
    script: str(),
    minWaitSeconds: int(0),
    internalExtensions: str({ check: regex }),
    whenPending: { kind: 'enum', values: ['merge', 'skip'] },
    delayMinutes: int(0),
    expiresAfterMinutes: int(0),
    maxAttempts: int(1),
    retryMinutes: { kind: 'map', keys: [...RETRIED_OUTCOMES, 'default'], value: int(0) },
    window: { kind: 'nullable', inner: WINDOW, whenSet: { datesOff: [] } },
    dialMode: { kind: 'enum', values: ['agent-first', 'customer-first'] },
    endpoint: str({ check: endpoint }),
    callerId: str(),
    ringSeconds: int(1, 600),
    numbers: object({
      allowCountries: list(str({ check: country })),
      allowPatterns: list(str({ check: regex })),
      blockPatterns: list(str({ check: regex })),
      tollFraudPatterns: list(str({ check: regex })),
      maxPerNumberPerDay: int(0),
      allowTypes: list({ kind: 'enum', values: NUMBER_TYPES }),
    }),
    maxPending: int(0),
    maxPerQueuePerDay: int(0),
    maxConcurrent: int(1),
    offerPendingOnReturn: { kind: 'bool' },
  },
  ['name'],
);

/** A webhook's name is a path segment of the API (/api/v1/webhooks/NAME/test); `deliveries` is that API's own. */
const webhookName: Check = (v) =>
  v === 'deliveries' ? '"deliveries" is reserved (GET /api/v1/webhooks/deliveries); choose another name' : /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(v) ? null : `"${v}" is not a webhook name (letters, digits, . _ -; at most 63)`;

const webhookUrl: Check = (v) => {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'not a URL (expected something like https://crm.example.com/callbackd)';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? null : 'must be an http:// or https:// URL';
};

const triggerName: Check = (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(v) ? null : `"${v}" is not a trigger name (letters, digits, . _ -; at most 63)`);
const optionalCron: Check = (v) => (v === '' ? null : cron(v));

const TRIGGER = object(
  {
    name: str({ nonEmpty: true, check: triggerName }),
    on: { kind: 'enum', values: ['status', 'interval'] },
    statuses: list({ kind: 'enum', values: STATUSES }),
    queues: list(str({ nonEmpty: true })),
    mechanisms: list({ kind: 'enum', values: MECHANISMS }),
    cron: str({ check: optionalCron }),
    timezone: str({ nonEmpty: true, check: timezone }),
    webhook: str(),
    script: str(),
  },
  ['name', 'on'],
);

/** Not CALLBACKD_*: those name configuration keys, and one that names none is refused at start. */
const envVariable: Check = (v) => {
  if (v === '') return null;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return `"${v}" is not an environment variable name`;
  return v.toUpperCase().startsWith('CALLBACKD_') ? `"${v}" starts with CALLBACKD_, which names configuration keys: use another name (for example CRM_WEBHOOK_SECRET)` : null;
};

const WEBHOOK = object(
  {
    name: str({ nonEmpty: true, check: webhookName }),
    url: str({ nonEmpty: true, check: webhookUrl }),
    secret: str(),
    secretEnv: str({ check: envVariable }),
    timeoutMs: int(1, 120_000),
    maxAttempts: int(1, 100),
    retry: object({ firstDelaySeconds: int(0, 86_400), factor: int(1, 100), maxDelaySeconds: int(0, 7 * 86_400) }),
  },
  ['name', 'url'],
);

export const SCHEMA: SchemaNode = object({
  db: str({ nonEmpty: true }),
  store: { kind: 'enum', values: ['sqlite', 'postgres'] },
  storeUrl: str({ check: storeUrl }),
  pbxName: str({ nonEmpty: true, check: pbxName }),
  defaultCountry: str({ check: country }),
  pbx: { kind: 'enum', values: ['asterisk', 'freeswitch', 'none'] },
  log: object({
    level: { kind: 'enum', values: ['error', 'warn', 'info', 'debug'] },
    file: str(),
    format: { kind: 'enum', values: ['json', 'pretty'] },
  }),
  // Port 0 asks the OS for any free port, which tests rely on.
  http: object({ host: str({ nonEmpty: true }), port: int(0, 65535) }),
  api: object({
    token: str(),
    viewerToken: str(),
    cors: list(str({ check: origin })),
    // At least 1 KiB: a manual callback with its note and form must fit.
    bodyLimitBytes: int(1024, 10 * 1024 * 1024),
    rateLimitPerMinute: int(0),
  }),
  ari: object({
    url: str({ check: ariUrl }),
    user: str({ nonEmpty: true }),
    password: str(),
    app: str({ nonEmpty: true }),
    reconnectMinMs: int(1),
    reconnectMaxMs: int(1),
    formVariables: list(str({ check: formVariable })),
  }),
  esl: object({ host: str({ nonEmpty: true }), port: int(1, 65535), password: str() }),
  scheduler: object({
    maxConcurrent: int(1),
    leaseSeconds: int(5),
    sweepCron: str({ check: cron }),
  }),
  ivr: object({
    maxTries: int(1, 10),
    firstDigitSeconds: int(1, 60),
    interDigitSeconds: int(1, 60),
    // E.164 allows 15 digits; a few more leave room for an international prefix such as 00.
    maxDigits: int(1, 20),
    calledAgainSeconds: int(1, 60),
    prompts: object({
      yourNumber: prompt,
      confirmOrChange: prompt,
      enterNumber: prompt,
      invalidNumber: prompt,
      booked: prompt,
      refused: prompt,
      goodbye: prompt,
      agentCalling: prompt,
      agentCustomerUnavailable: prompt,
      customerPressOne: prompt,
      calledAgainBooked: prompt,
      calledAgainOptions: prompt,
      calledAgainKept: prompt,
      calledAgainCancelled: prompt,
    }),
  }),
  transitions: { kind: 'list', item: TRANSITION, itemDefault: DEFAULT_TRANSITION },
  webhooks: { kind: 'list', item: WEBHOOK, itemDefault: DEFAULT_WEBHOOK },
  triggers: { kind: 'list', item: TRIGGER, itemDefault: DEFAULT_TRIGGER },
  testing: object({ crashAt: str({ check: crashSpecProblem }) }),
});

export interface KeyInfo {
  /** Dotted path; `[]` stands for any item of a list, e.g. `transitions[].window.timezone`. */
  path: string;
  /** The variable that overrides the key, or null for keys inside list items. */
  env: string | null;
  node: SchemaNode;
  segments: readonly string[];
}

/** ari.reconnectMinMs -> CALLBACKD_ARI_RECONNECT_MIN_MS */
export function envName(segments: readonly string[]): string {
  const snake = segments.map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase());
  return ['CALLBACKD', ...snake].join('_');
}

/** Every key the file may contain, parents before children. */
export function describeKeys(root: SchemaNode = SCHEMA): KeyInfo[] {
  const out: KeyInfo[] = [];
  const visit = (node: SchemaNode, segments: string[], path: string, inList: boolean): void => {
    if (segments.length > 0) out.push({ path, env: inList ? null : envName(segments), node, segments });
    const child = (key: string) => (path === '' ? key : `${path}.${key}`);
    switch (node.kind) {
      case 'object':
        for (const [key, field] of Object.entries(node.fields)) visit(field, [...segments, key], child(key), inList);
        break;
      case 'map':
        for (const key of node.keys) visit(node.value, [...segments, key], child(key), true);
        break;
      case 'nullable':
        if (node.inner.kind === 'object') {
          for (const [key, field] of Object.entries(node.inner.fields)) visit(field, [...segments, key], child(key), true);
        }
        break;
      case 'list':
        if (node.item.kind === 'object') {
          for (const [key, field] of Object.entries(node.item.fields)) visit(field, [...segments, key], `${path}[].${key}`, true);
        }
        break;
      default:
        break;
    }
  };
  visit(root, [], '', false);
  return out;
}
