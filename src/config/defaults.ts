import type { Config, IvrPrompts, TransitionRule, TriggerConfig, WebhookConfig } from './types';

/**
 * Every prompt is a sound from Asterisk's core English set (asterisk-core-sounds-en), so a stock
 * installation plays something sensible before anyone records custom prompts. The words each
 * sound says are listed next to the keys in config/callbackd.example.yaml.
 */
export const DEFAULT_PROMPTS: IvrPrompts = {
  yourNumber: ['you-entered'],
  confirmOrChange: ['if-correct-press', 'digits/1', 'vm-calldiffnum'],
  enterNumber: ['privacy-prompt', 'astcc-followed-by-the-pound-key'],
  invalidNumber: ['privacy-incorrect'],
  booked: ['auth-thankyou'],
  refused: ['sorry', 'please-try-call-later'],
  goodbye: ['vm-goodbye'],
  agentCalling: ['calling'],
  agentCustomerUnavailable: ['number-not-answering'],
  customerPressOne: ['hello', 'followme/options'],
  calledAgainBooked: ['hello', 'calling'],
  calledAgainOptions: ['vm-press', 'digits/1', 'activated', 'vm-press', 'digits/2', 'cancelled', 'vm-press', 'digits/3', 'one-moment-please'],
  calledAgainKept: ['auth-thankyou'],
  calledAgainCancelled: ['cancelled'],
};

/**
 * Number ranges abused for toll fraud (the caller is paid per minute by whoever answers), refused
 * even where a transition allows foreign countries: global satellite and international network
 * codes (+881, +882, +883, Inmarsat +870), the international premium rate code (+979), the UK's
 * premium 09 numbers and the Baltic premium 90x ranges (+371 90, +370 90, +372 900), often used for
 * revenue-share fraud. Premium-rate numbers that libphonenumber recognises are refused by
 * allowTypes as well; this list catches ranges it classes otherwise.
 */
export const TOLL_FRAUD_PATTERNS: readonly string[] = [
  '^\\+88[123]',
  '^\\+870',
  '^\\+979',
  '^\\+449',
  '^\\+37190',
  '^\\+37090',
  '^\\+372900',
];

/**
 * The values a transition gets for every key it leaves out. Tuned for a staffed contact centre:
 * short abandons are ignored, a busy line is retried soon, an unanswered one later, and a
 * callback still not done after a day is no longer worth making.
 */
export const DEFAULT_TRANSITION: TransitionRule = {
  name: 'default',
  sourceQueue: '*',
  targetQueue: '',
  mechanisms: ['IvrCallBack', 'LostShift', 'manual'],
  schedule: null,
  script: '',
  minWaitSeconds: 10,
  // Two to six digits as the PBX gave them: an extension of this PBX, not a customer to call back.
  internalExtensions: '^[0-9]{2,6}$',
  whenPending: 'merge',
  delayMinutes: 5,
  expiresAfterMinutes: 1440,
  maxAttempts: 3,
  retryMinutes: {
    busy: 5,
    no_answer: 15,
    congestion: 3,
    rejected: 30,
    failed: 10,
    agent_unanswered: 2,
    not_confirmed: 15,
    default: 10,
  },
  window: null,
  dialMode: 'agent-first',
  endpoint: 'PJSIP/{number}@trunk',
  callerId: '',
  ringSeconds: 30,
  numbers: {
    allowCountries: [],
    allowPatterns: [],
    blockPatterns: [],
    tollFraudPatterns: TOLL_FRAUD_PATTERNS,
    maxPerNumberPerDay: 0,
    // Premium-rate, shared-cost, toll-free, pager and voicemail numbers are left out on purpose:
    // calling them back costs money or reaches no person.
    allowTypes: ['FIXED_LINE', 'MOBILE', 'FIXED_LINE_OR_MOBILE', 'VOIP', 'PERSONAL_NUMBER', 'UAN'],
  },
  maxPending: 0,
  maxPerQueuePerDay: 0,
  maxConcurrent: 5,
  // Opt-in: an installation that upgrades keeps sending returning callers straight to the queue.
  offerPendingOnReturn: false,
};

/**
 * What a webhook gets for every key it leaves out: six attempts over about twenty minutes
 * (10 s, 30 s, 1.5 min, 4.5 min, 13.5 min apart), each given 5 s to answer.
 */
export const DEFAULT_WEBHOOK: WebhookConfig = {
  name: '',
  url: '',
  secret: '',
  secretEnv: '',
  timeoutMs: 5000,
  maxAttempts: 6,
  retry: { firstDelaySeconds: 10, factor: 3, maxDelaySeconds: 3600 },
};

/** What a trigger gets for every key it leaves out: no filter, cron read in UTC. */
export const DEFAULT_TRIGGER: TriggerConfig = {
  name: '',
  on: 'status',
  statuses: [],
  queues: [],
  mechanisms: [],
  cron: '',
  timezone: 'UTC',
  webhook: '',
  script: '',
};

/**
 * The configuration used when no file exists. `pbx: none` so a fresh checkout starts without a
 * PBX to talk to; `defaultCountry: US` only decides how numbers without a leading + are read.
 */
export const DEFAULTS: Config = {
  db: 'data/callbackd.db',
  store: 'sqlite',
  storeUrl: '',
  pbxName: 'default',
  defaultCountry: 'US',
  pbx: 'none',
  log: { level: 'info', file: '', format: 'json' },
  http: { host: '127.0.0.1', port: 8090 },
  // Empty: the API refuses every request except /healthz until a token is set. 64 KiB holds a
  // manual callback with its longest note and a full form many times over; 1200 a minute lets a
  // busy supervisors' page refresh on every event without letting a runaway script flood the store.
  api: { token: '', viewerToken: '', cors: [], bodyLimitBytes: 65_536, rateLimitPerMinute: 1200 },
  ari: {
    url: '',
    user: 'callbackd',
    password: '',
    app: 'callbackd',
    reconnectMinMs: 500,
    reconnectMaxMs: 30000,
    formVariables: [],
  },
  // FreeSWITCH ships mod_event_socket with this password; it is only safe on loopback.
  esl: { host: '127.0.0.1', port: 8021, password: 'ClueCon' },
  scheduler: { maxConcurrent: 20, leaseSeconds: 60, sweepCron: '* * * * *' },
  ivr: {
    maxTries: 3,
    firstDigitSeconds: 6,
    interDigitSeconds: 4,
    maxDigits: 15,
    calledAgainSeconds: 8,
    prompts: DEFAULT_PROMPTS,
  },
  transitions: [DEFAULT_TRANSITION],
  webhooks: [],
  triggers: [],
  testing: { crashAt: '' },
};
