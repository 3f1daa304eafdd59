import { OUTCOMES, STATUSES, type Status } from '../domain/types';
import { HUDDLE, IVR_DELAY_MINUTES, QUEUES, ROUND_SECONDS, SALES, type DemoQueue, type Load } from './scenario';
import type { Birth, Snapshot } from './snapshot';

export interface SummaryInput {
  /** Demo seconds since the start. */
  elapsedSeconds: number;
  /** How long the demo runs (seconds); 0 = until Ctrl-C. */
  runSeconds: number;
  snapshot: Snapshot;
  load: Record<DemoQueue, Load>;
  pbxUp: boolean;
  /** Latest lifecycle lines of the log, already formatted. */
  recent: readonly string[];
  logFile: string;
  dbFile: string;
  /** The supervisors' page with its token, while the demo runs. */
  pageUrl?: string;
  /** Things that did not go as the traffic meant. */
  problems: readonly string[];
  /** The demo runs faster than real time (tests); 1 = real time. */
  timescale: number;
}

export const STATUS_MEANING: Record<Status, string> = {
  Scheduled: 'waits for its time or its turn',
  Dialing: 'an attempt is under way',
  Completed: 'the customer talked to an agent',
  Failed: 'attempts used up (support: 2)',
  Neglected: 'the caller called again, got through',
  Cancelled: 'backed out in the IVR, or by a supervisor',
  Expired: 'not done in time (sales: 1 minute)',
};

const BIRTH_LABEL: Record<Birth, string> = {
  heldPlace: 'pressed 1 (place kept)',
  ivrLater: `IVR, in ${IVR_DELAY_MINUTES} min`,
  lostShift: 'LostShift (gave up)',
  manual: 'manual',
  other: 'other',
};

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** "a + b + c" with the labels, and whether the parts add up to the whole. */
function sum(total: number, parts: Array<[string, number]>, always: readonly string[] = []): string {
  const shown = parts.filter(([label, n]) => n > 0 || always.includes(label));
  const added = parts.reduce((s, [, n]) => s + n, 0);
  const text = shown.map(([label, n]) => `${label} ${n}`).join(' + ');
  return `${text}${added === total ? '' : `   ≠ ${added}: DOES NOT ADD UP`}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Two columns of "Status  meaning", the left column as wide as its widest cell. */
function legend(): string[] {
  const cell = (st: Status) => `${pad(st, 9)}  ${STATUS_MEANING[st]}`;
  const left = STATUSES.filter((_, i) => i % 2 === 0);
  const right = STATUSES.filter((_, i) => i % 2 === 1);
  const width = Math.max(...left.map((st) => cell(st).length)) + 3;
  return left.map((st, i) => `  ${pad(cell(st), width)}${right[i] ? cell(right[i]) : ''}`.trimEnd());
}

/** How long one call keeps an agent: "7-8 s" for a team with different talk times. */
function perCall(l: Load): string {
  const [lo, hi] = [Math.min(...l.secondsPerCall), Math.max(...l.secondsPerCall)];
  return lo === hi ? `${lo} s` : `${lo}-${hi} s`;
}

/** The demo's screen, as plain text, about 40 lines of at most about 100 columns. */
export function renderSummary(s: SummaryInput): string {
  const { snapshot: snap } = s;
  const of = s.runSeconds > 0 ? ` of ${clock(s.runSeconds)}` : '';
  const speed = s.timescale !== 1 ? ` · ${s.timescale}× real time` : '';
  const lines: string[] = [
    `callbackd demo · ${clock(s.elapsedSeconds)}${of}${speed} · simulated Asterisk ${s.pbxUp ? 'connected' : 'DISCONNECTED'} · Ctrl-C stops`,
    ...(s.pageUrl ? [`Watch it live in a browser: ${s.pageUrl}`] : []),
    'Callers ring two queues of a simulated Asterisk; callbackd turns their key presses and hang-ups,',
    "and supervisors' requests, into callbacks and dials them. Every count is read from its database.",
    `Each ${ROUND_SECONDS / 60}-minute round starts with a team huddle (${HUDDLE.start}-${HUDDLE.end} s): callers wait, some press 1, some give up.`,
    '',
    'CALLS INTO A QUEUE   placed = served + gave up + pressed 1 + waiting',
  ];
  for (const queue of QUEUES) {
    const c = snap.calls[queue];
    const parts: Array<[string, number]> = [
      ['served', c.served],
      ['gave up', c.gaveUp],
      ['pressed 1', c.pressedOne],
      ['waiting', c.waiting],
      ['entering', c.entering],
      ['other', c.other],
    ];
    lines.push(`  ${pad(queue, 8)} ${String(c.placed).padStart(4)} = ${sum(c.placed, parts, ['served', 'gave up', 'pressed 1', 'waiting'])}`);
  }
  lines.push('  served: an agent answered · gave up: hung up while waiting · pressed 1: left for a callback');
  lines.push(`CALLS STRAIGHT TO THE CALLBACK IVR NODE (support, "call me back in ${IVR_DELAY_MINUTES} minute")   ${snap.ivrDirect.placed}`);
  lines.push('');

  const cb = snap.callbacks;
  lines.push(`CALLBACKS ${cb.total}   each counted once, in its status now`);
  lines.push(`  = ${sum(cb.total, STATUSES.map((st) => [st, cb.byStatus[st]]), STATUSES)}`);
  lines.push(...legend());
  const births = (Object.keys(BIRTH_LABEL) as Birth[]).map((b): [string, number] => [BIRTH_LABEL[b], cb.byBirth[b]]);
  lines.push(`  born = ${sum(cb.total, births, births.slice(0, 4).map(([label]) => label))}`);
  const at = snap.attempts;
  const outcomes = OUTCOMES.filter((o) => at.byOutcome[o] > 0 || ['answered', 'busy', 'no_answer', 'not_confirmed', 'agent_unanswered'].includes(o));
  lines.push(`ATTEMPTS ${at.ended} ended = ${outcomes.map((o) => `${o} ${at.byOutcome[o]}`).join(' + ')}`);
  lines.push(`  ${at.underWay} under way · dialled agent-first ${at.byMode['agent-first']} (support), customer-first ${at.byMode['customer-first']} (sales)`);
  lines.push('');

  lines.push('NOW   (placeholder: holds a callback’s place; its customer is dialled when an agent takes it)');
  for (const queue of QUEUES) {
    const q = snap.queues[queue];
    const entries = q.entries.map((e) => (e.placeholderFor ? `[${e.position} placeholder, cb ${e.placeholderFor.slice(0, 8)}…]` : e.customerOf ? `[${e.position} ${e.customerOf.replace('callback', 'cb')}]` : `[${e.position} ${e.number}]`));
    const shown = entries.length > 3 ? [...entries.slice(0, 3), `+${entries.length - 3} more`] : entries;
    const what = queue === SALES ? `${q.customers} called-back customer(s)` : `${q.heldPlaces} placeholder(s)`;
    lines.push(`  ${pad(queue, 8)} waiting ${q.callers} caller(s), ${what}${shown.length ? `: ${shown.join(' ')}` : ''}`);
    lines.push(`  ${pad('', 8)} ${snap.agents[queue].map((a) => `${a.name} ${a.doing}`).join(' · ')}`);
  }
  lines.push('LOAD (steady while the agents take calls faster than they come)');
  for (const queue of QUEUES) {
    const l = s.load[queue];
    const share = Math.round((100 * l.offeredPerMinute) / l.capacityPerMinute);
    lines.push(`  ${pad(queue, 8)} ${l.agents} agent(s) × 1 call per ${perCall(l)} = ${l.capacityPerMinute.toFixed(1)} calls/min; offered ≈ ${l.offeredPerMinute.toFixed(1)}/min (${share}%)`);
  }
  lines.push('RULES    support: agent-first · gave up after ≥ 5 s: called back 1 min later · 2 attempts, 1 min apart');
  lines.push('         sales: customer-first (presses 1, then first in the queue) · gave up: called back at once ·');
  lines.push('                expires 1 min after it was made');
  if (s.problems.length > 0) lines.push(`PROBLEMS (${s.problems.length}): ${s.problems.slice(-2).join(' | ')}`);
  lines.push('');
  lines.push('LATEST CHANGES (ids shortened here, whole in the log)');
  lines.push(...(s.recent.length > 0 ? s.recent.map((l) => `  ${l}`) : ['  (none yet)']));
  lines.push('');
  lines.push(`Log (JSON lines, kept when the demo stops): ${s.logFile}`);
  lines.push(`Database (kept too): ${s.dbFile}`);
  return lines.join('\n');
}

/** One line for a pipe (no terminal): the counts that matter. */
export function summaryLine(s: SummaryInput): string {
  const snap = s.snapshot;
  const calls = QUEUES.map((q) => `${q} ${snap.calls[q].placed} (served ${snap.calls[q].served}, gave up ${snap.calls[q].gaveUp}, pressed 1 ${snap.calls[q].pressedOne}, waiting ${snap.calls[q].waiting})`).join(', ');
  const statuses = STATUSES.map((st) => `${st} ${snap.callbacks.byStatus[st]}`).join(' ');
  return `${clock(s.elapsedSeconds)}  calls: ${calls}  callbacks ${snap.callbacks.total}: ${statuses}`;
}
