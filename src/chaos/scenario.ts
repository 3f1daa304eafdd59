import type { AriSimulator, MemberConfig } from '../asterisk/simulator';
import type { Random } from './random';

/**
 * The contact centre the storm runs against: two queues with their agents and the rules the
 * daemon gets. Delays are whole minutes in the configuration, so retries that must happen within
 * a run use 0 minutes, and the rules that should make callbacks expire combine a 1-minute
 * deadline with a 1-minute retry (the retry would land after the deadline: Expired at once).
 */

/** Agent-first; LostShift callbacks wait a minute so that callers who ring again make them Neglected. */
export const SUPPORT = 'support';
/** Customer-first, short deadline: lost calls are dialled at once, a no-answer expires them. */
export const SALES = 'sales';
export const QUEUES = [SUPPORT, SALES] as const;

export const MIN_WAIT_SECONDS = 2;

/** The rules as the daemon reads them from CALLBACKD_TRANSITIONS. */
export function transitions(): unknown[] {
  return [
    {
      name: SUPPORT,
      sourceQueue: SUPPORT,
      mechanisms: ['IvrCallBack', 'LostShift', 'manual'],
      minWaitSeconds: MIN_WAIT_SECONDS,
      delayMinutes: 1,
      maxAttempts: 3,
      expiresAfterMinutes: 30,
      retryMinutes: { busy: 0, no_answer: 0, congestion: 0, rejected: 0, failed: 0, agent_unanswered: 0, not_confirmed: 0, default: 0 },
      dialMode: 'agent-first',
      ringSeconds: 3,
      callerId: '+420200000000',
    },
    {
      name: SALES,
      sourceQueue: SALES,
      mechanisms: ['IvrCallBack', 'LostShift', 'manual'],
      minWaitSeconds: MIN_WAIT_SECONDS,
      delayMinutes: 0,
      maxAttempts: 3,
      expiresAfterMinutes: 1,
      retryMinutes: { busy: 0, no_answer: 1, congestion: 0, rejected: 0, failed: 0, agent_unanswered: 0, not_confirmed: 0, default: 0 },
      dialMode: 'customer-first',
      ringSeconds: 3,
      callerId: '+420200000001',
    },
  ];
}

/** Queues whose rule turns abandoned calls into callbacks, with the wait that makes a call count as lost. */
export function lostShiftQueues(): Record<string, { minWaitSeconds: number }> {
  return { [SUPPORT]: { minWaitSeconds: MIN_WAIT_SECONDS }, [SALES]: { minWaitSeconds: MIN_WAIT_SECONDS } };
}

export interface Staff {
  queue: string;
  members: MemberConfig[];
}

/** 3 support agents and one sales agent (so sales callers wait and give up), each answering in 100-400 ms and talking 300-1500 ms. */
export function staff(rng: Random): Staff[] {
  const member = (name: string): MemberConfig => ({ name, answerAfterMs: rng.int(100, 400), talkMs: rng.int(300, 1500), state: 'available' });
  return [
    { queue: SUPPORT, members: [member('alice'), member('bob'), member('carol')] },
    { queue: SALES, members: [member('dave')] },
  ];
}

export function setUpPbx(sim: AriSimulator, team: readonly Staff[]): void {
  for (const { queue, members } of team) sim.addQueue(queue, { members, ringTimeoutMs: 2000, retryMs: 200 });
}

/** Everything the daemon and the CLI need, and nothing from the developer's own CALLBACKD_* settings. */
export function daemonEnv(opts: { db: string; ariUrl: string }): Record<string, string> {
  return {
    CALLBACKD_DB: opts.db,
    CALLBACKD_PBX: 'asterisk',
    CALLBACKD_DEFAULT_COUNTRY: 'CZ',
    CALLBACKD_ARI_URL: opts.ariUrl,
    CALLBACKD_ARI_PASSWORD: 'callbackd',
    CALLBACKD_ARI_RECONNECT_MIN_MS: '50',
    CALLBACKD_ARI_RECONNECT_MAX_MS: '200',
    CALLBACKD_IVR_FIRST_DIGIT_SECONDS: '2',
    CALLBACKD_IVR_INTER_DIGIT_SECONDS: '1',
    CALLBACKD_IVR_MAX_TRIES: '2',
    // Lease recovery and expiry every 5 s instead of every minute, so both happen within a run.
    CALLBACKD_SCHEDULER_SWEEP_CRON: '*/5 * * * * *',
    CALLBACKD_SCHEDULER_LEASE_SECONDS: '5',
    CALLBACKD_TRANSITIONS: JSON.stringify(transitions()),
  };
}

/**
 * Fresh Czech mobile numbers (+420 601..608, the valid mobile ranges), never repeated within a
 * run, so that a number's history belongs to the callers the load meant to share it.
 */
export class Numbers {
  private readonly used = new Set<string>();

  constructor(private readonly rng: Random) {}

  next(): string {
    for (;;) {
      const number = `+42060${this.rng.int(1, 8)}${String(this.rng.int(0, 999_999)).padStart(6, '0')}`;
      if (this.used.has(number)) continue;
      this.used.add(number);
      return number;
    }
  }
}

/** What a caller keys for a Czech number: the nine national digits. */
export function nationalDigits(e164: string): string {
  return e164.replace(/^\+420/, '');
}
