import { parseConfig } from '../config/load';
import type { Config, TransitionRule } from '../config/types';
import type { MemberConfig } from '../asterisk/simulator';

/**
 * What the demo is made of: two queues, their agents, the rules (transitions) callbackd applies,
 * and the timings everything follows. All durations are demo time (see timescale.ts).
 */

export const SUPPORT = 'support';
export const SALES = 'sales';
export const QUEUES = [SUPPORT, SALES] as const;
export type DemoQueue = (typeof QUEUES)[number];

/** Both rules retry any failed attempt after one minute, so retries happen within the demo. */
const RETRY_ONE_MINUTE = { busy: 1, no_answer: 1, congestion: 1, rejected: 1, failed: 1, agent_unanswered: 1, not_confirmed: 1, default: 1 };

/**
 * support: agent-first (a placeholder waits in the queue; the customer is dialled when an agent
 * takes it); every mechanism; a caller who gives up after 5 s of waiting is called back after
 * 1 minute, unless they call again and get through first (Neglected); 2 attempts.
 * sales: customer-first (the customer is dialled, presses 1, and is queued first); a caller who
 * gives up is called back at once; a callback not done within 1 minute expires.
 */
export const DEMO_TRANSITIONS = [
  {
    name: SUPPORT,
    sourceQueue: SUPPORT,
    mechanisms: ['IvrCallBack', 'LostShift', 'manual'],
    minWaitSeconds: 5,
    delayMinutes: 1,
    expiresAfterMinutes: 30,
    maxAttempts: 2,
    retryMinutes: RETRY_ONE_MINUTE,
    dialMode: 'agent-first',
    ringSeconds: 3,
    callerId: '+420200000000',
  },
  {
    name: SALES,
    sourceQueue: SALES,
    mechanisms: ['LostShift', 'manual'],
    minWaitSeconds: 5,
    delayMinutes: 0,
    expiresAfterMinutes: 1,
    maxAttempts: 2,
    retryMinutes: RETRY_ONE_MINUTE,
    dialMode: 'customer-first',
    ringSeconds: 3,
    callerId: '+420200000001',
  },
];

/** The IVR node's own parameter (dialplan `Gosub(callbackd-callback,s,1(support,1))`): call back in 1 minute. */
export const IVR_DELAY_MINUTES = 1;

/** `port` of the page and API (0: any free port); `token` the operator token the demo made for this run. */
export function demoConfig(opts: { url: string; db: string; logFile: string; port?: number; token?: string }): Config {
  return parseConfig({
    db: opts.db,
    http: { host: '127.0.0.1', port: opts.port ?? 0 },
    api: { token: opts.token ?? '' },
    pbx: 'asterisk',
    defaultCountry: 'CZ',
    log: { level: 'info', file: opts.logFile, format: 'json' },
    ari: { url: opts.url, user: 'callbackd', password: 'callbackd', reconnectMinMs: 200, reconnectMaxMs: 2000, formVariables: ['CB_FORM_ACCOUNT'] },
    ivr: { firstDigitSeconds: 4, interDigitSeconds: 2 },
    transitions: DEMO_TRANSITIONS,
  });
}

export function ruleFor(config: Config, queue: DemoQueue): TransitionRule {
  const rule = config.transitions.find((t) => t.name === queue);
  if (!rule) throw new Error(`the demo configuration has no transition ${queue}`);
  return rule;
}

/** How people and phones behave, in demo milliseconds. */
export const TIMING = {
  /** Support agents pick up after 1 s and talk 6, 7 or 8 s. */
  supportAnswerMs: 1000,
  supportTalkMs: (i: number) => 6000 + 1000 * (i % 3),
  /** Sales agents take 3 s to pick up and talk 5 s. */
  salesAnswerMs: 3000,
  salesTalkMs: 5000,
  /** A called-back customer answers after 1.5 s and, asked to (customer-first), presses 1 0.9 s later. */
  customerAnswerMs: 1500,
  customerKeyMs: 900,
  /** A busy line says so after 1 s. */
  busyAfterMs: 1000,
  /** Simulated Asterisk: one media item of a prompt, the gap between keyed digits. */
  playbackMs: 300,
  dtmfGapMs: 150,
} as const;

export interface Staff {
  support: MemberConfig[];
  sales: MemberConfig[];
}

/** `agents` support agents, and half as many (at least one) in sales. */
export function staff(agents: number): Staff {
  return {
    support: Array.from({ length: agents }, (_, i) => ({ name: `agent${i + 1}`, answerAfterMs: TIMING.supportAnswerMs, talkMs: TIMING.supportTalkMs(i) })),
    sales: Array.from({ length: Math.max(1, Math.floor(agents / 2)) }, (_, i) => ({ name: `sales${i + 1}`, answerAfterMs: TIMING.salesAnswerMs, talkMs: TIMING.salesTalkMs })),
  };
}

/** A member's calls per second: one per (time to pick up + talk time). */
function rate(m: MemberConfig): number {
  return 1000 / ((m.answerAfterMs ?? 0) + (m.talkMs ?? 0));
}

/** Calls one round of the scripted cast (below) brings to each queue's agents, counted in agent-calls. */
const CAST_CALLS_PER_ROUND: Record<DemoQueue, number> = { support: 8, sales: 1 };

/** Seconds of one round of the cast; the cast comes back every round. */
export const ROUND_SECONDS = 120;

/** Share of the agents' capacity the demo's traffic offers (below 1, so the queue stays steady). */
export const TARGET_LOAD: Record<DemoQueue, number> = { support: 0.7, sales: 0.45 };

/** A call brings this many agent-calls on average (a retry, a caller who calls again). */
const CALLS_PER_ARRIVAL = 1.1;

export interface Load {
  agents: number;
  /** Seconds one call keeps each agent (pick-up + talk). */
  secondsPerCall: number[];
  /** What the agents can take, calls per minute: Σ 60 / (pick-up + talk time). */
  capacityPerMinute: number;
  /** Callers per minute the background traffic sends (besides the scripted cast). */
  arrivalsPerMinute: number;
  /** What all traffic together brings, agent-calls per minute. */
  offeredPerMinute: number;
}

/**
 * The queue is steady when the agents take calls faster than they come:
 * agents × 1 / (pick-up + talk) > arrival rate. The background arrival rate is set from it, so
 * that the cast and the background together offer TARGET_LOAD of the capacity.
 */
export function load(team: Staff): Record<DemoQueue, Load> {
  const out = {} as Record<DemoQueue, Load>;
  for (const queue of QUEUES) {
    const members = team[queue];
    const capacity = members.reduce((sum, m) => sum + rate(m), 0) * 60;
    const cast = (CAST_CALLS_PER_ROUND[queue] * 60) / ROUND_SECONDS;
    const arrivals = Math.max(capacity * 0.1, (TARGET_LOAD[queue] * capacity - cast) / CALLS_PER_ARRIVAL);
    const secondsPerCall = members.map((m) => ((m.answerAfterMs ?? 0) + (m.talkMs ?? 0)) / 1000);
    out[queue] = { agents: members.length, secondsPerCall, capacityPerMinute: capacity, arrivalsPerMinute: arrivals, offeredPerMinute: arrivals * CALLS_PER_ARRIVAL + cast };
  }
  return out;
}

/** The agents' team huddle: every agent is paused from `start` to `end` of each round (seconds). */
export const HUDDLE = { start: 1, end: 14 } as const;
