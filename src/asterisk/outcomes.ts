import type { Outcome } from '../domain/types';
import type { AriEvent } from './events';

/**
 * How an originated channel ended, as the recorded Asterisk 22 traces show it
 * (test/fixtures/asterisk/originate_outcomes.json). Pure: fold events in, then classify.
 *
 * The final `Dial` status is the best witness. Its absence is informative too: a ring timeout
 * ends with cause 19 and no final status, a missing extension with cause 0 and no status at all.
 * The `;1` half of a Local channel can be destroyed with cause 0 for busy and congestion while
 * the `;2` half carries 17 / 34, so both halves are kept. A rejected call (cause 21) is reported
 * by Dial as NOANSWER, so cause 21 wins over the status; so does a number that does not exist
 * (cause 1 Unallocated, 3, 22 Number changed, 28 Invalid format), seen on Asterisk 22 as NOANSWER
 * with cause 1: retrying it would only repeat the failure.
 */
export interface DialTrace {
  /** The originated channel (`;1` of a Local channel). */
  channelId: string;
  /** The `;2` half when known (`otherChannelId`, else `<id>;2`). */
  otherId: string;
  answered: boolean;
  /** Last non-empty Dial status other than RINGING / PROGRESS. */
  finalStatus: string | null;
  ringing: boolean;
  cause: number | null;
  otherCause: number | null;
}

export function newDialTrace(channelId: string, otherId: string = `${channelId};2`): DialTrace {
  return { channelId, otherId, answered: false, finalStatus: null, ringing: false, cause: null, otherCause: null };
}

const PROGRESS_STATUSES = new Set(['', 'RINGING', 'PROGRESS', 'PROCEEDING']);

/** Fold one event into the trace; events about other channels leave it unchanged. */
export function traceDial(trace: DialTrace, event: AriEvent): DialTrace {
  switch (event.type) {
    case 'Dial': {
      if (event.peer.id !== trace.channelId || event.caller) return trace;
      const status = event.dialstatus.toUpperCase();
      if (status === 'RINGING') return { ...trace, ringing: true };
      if (PROGRESS_STATUSES.has(status)) return trace;
      return { ...trace, finalStatus: status, answered: trace.answered || status === 'ANSWER' };
    }
    case 'StasisStart':
      return event.channel.id === trace.channelId ? { ...trace, answered: true } : trace;
    case 'ChannelDestroyed':
      if (event.channel.id === trace.channelId) return { ...trace, cause: event.cause };
      if (event.channel.id === trace.otherId) return { ...trace, otherCause: event.cause };
      return trace;
    default:
      return trace;
  }
}

export interface Classified {
  outcome: Outcome;
  detail: string;
}

const INVALID_NUMBER_CAUSES = new Set([1, 3, 22, 28]);
const CONGESTION_CAUSES = new Set([34, 38, 41, 42, 44, 47]);
const NO_ANSWER_CAUSES = new Set([18, 19]);
const BUSY_CAUSES = new Set([17]);

/** The most telling hangup cause: the `;2` half's unless it says nothing (0 or 16). */
function tellingCause(trace: DialTrace): number | null {
  const vague = (c: number | null) => c === null || c === 0 || c === 16;
  if (!vague(trace.otherCause)) return trace.otherCause;
  if (!vague(trace.cause)) return trace.cause;
  return trace.cause ?? trace.otherCause;
}

function fromCause(cause: number | null): Outcome {
  if (cause === null) return 'failed';
  if (cause === 21) return 'rejected';
  if (BUSY_CAUSES.has(cause)) return 'busy';
  if (NO_ANSWER_CAUSES.has(cause)) return 'no_answer';
  if (CONGESTION_CAUSES.has(cause)) return 'congestion';
  if (INVALID_NUMBER_CAUSES.has(cause)) return 'invalid_number';
  return 'failed';
}

export function classifyDial(trace: DialTrace): Classified {
  const cause = tellingCause(trace);
  const causes = `cause ${trace.cause ?? '-'}/${trace.otherCause ?? '-'}`;
  const status = trace.finalStatus ?? (trace.ringing ? 'RINGING' : 'none');
  const detail = `dial status ${status}, ${causes}`;
  if (trace.answered) return { outcome: 'answered', detail };
  if (trace.cause === 21 || trace.otherCause === 21) return { outcome: 'rejected', detail };
  if (cause !== null && INVALID_NUMBER_CAUSES.has(cause)) return { outcome: 'invalid_number', detail };
  switch (trace.finalStatus) {
    case 'BUSY':
      return { outcome: 'busy', detail };
    case 'CONGESTION':
      return { outcome: 'congestion', detail };
    case 'NOANSWER':
      return { outcome: 'no_answer', detail };
    case 'CHANUNAVAIL':
      return { outcome: cause !== null && INVALID_NUMBER_CAUSES.has(cause) ? 'invalid_number' : 'failed', detail };
    case null:
      // A missing extension dies at once with cause 0 and no Dial status: the endpoint
      // template points nowhere, which retrying the same number will not fix.
      return { outcome: fromCause(cause), detail: cause === 0 ? `${detail} (nothing answered the dial string)` : detail };
    default:
      return { outcome: 'failed', detail };
  }
}

/** The outcome of a trace built from a whole recorded sequence (used by tests and by reconcile). */
export function classifyEvents(channelId: string, events: readonly AriEvent[], otherId?: string): Classified {
  return classifyDial(events.reduce(traceDial, newDialTrace(channelId, otherId)));
}

/** What an originate refused over HTTP means for the attempt. */
export function classifyOriginateError(status: number | null, message: string): Classified {
  const detail = `originate refused: ${status ?? 'no status'} ${message}`.trim();
  if (/allocation failed/i.test(message)) return { outcome: 'failed', detail };
  if (status === 400 || status === 404 || /invalid|not found|no such|unknown (endpoint|technology)/i.test(message)) {
    return { outcome: 'invalid_number', detail };
  }
  return { outcome: 'failed', detail };
}
