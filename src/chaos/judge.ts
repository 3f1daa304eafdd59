import type { CallbackRow, CallerRecord, EventRow, JudgeRules, OriginateRecord, StormRecords, Uptime } from './records';

/** The counts that must all be zero, in the order they are printed. */
export const JUDGED = [
  'double dials',
  'dials after a terminal status',
  'dials after a conversation',
  'lost LostShift callbacks',
  'placeholders left for terminal callbacks',
  'placeholders without their attempt',
  'callbacks stuck',
  'callers parked',
  'channels left after their attempt',
  'daemon exits not caused by the storm',
] as const;
export type JudgedName = (typeof JUDGED)[number];

export interface Count {
  name: JudgedName;
  value: number;
  /** One line per offence, enough to find it in daemon.log and the database. */
  details: string[];
}

export interface Verdict {
  counts: Count[];
  /** Informational figures: what the storm did and what the daemon ended with. */
  totals: Array<[string, number | string]>;
  failed: boolean;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Neglected', 'Cancelled', 'Expired']);

const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString().slice(11, 23) : '?');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The daemon was up around `t`, at least `margin` ms after it connected and before it was killed. */
function upAround(uptimes: readonly Uptime[], t: number, margin: number): boolean {
  return uptimes.some((u) => u.connectedAt + margin <= t && (u.endedAt === null || t <= u.endedAt - margin));
}

/** A customer's phone rang: an accepted originate that is not a placeholder (a Local channel into the queue). */
function customerDials(originations: readonly OriginateRecord[]): OriginateRecord[] {
  return originations.filter((o) => o.status > 0 && o.status < 300 && !/^local\//i.test(o.endpoint));
}

function groupBy<T>(items: readonly T[], key: (t: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const list = out.get(k) ?? [];
    list.push(item);
    out.set(k, list);
  }
  return out;
}

function statusChanges(events: readonly EventRow[]): Map<string, Array<{ at: number; to: string }>> {
  const out = new Map<string, Array<{ at: number; to: string }>>();
  for (const e of events) {
    if (e.type !== 'StatusChanged' || !e.callbackId || typeof e.data.to !== 'string') continue;
    const list = out.get(e.callbackId) ?? [];
    list.push({ at: e.at, to: e.data.to });
    out.set(e.callbackId, list);
  }
  return out;
}

function statusAt(changes: ReadonlyArray<{ at: number; to: string }> | undefined, t: number): string {
  let status = 'Scheduled';
  for (const c of changes ?? []) if (c.at <= t) status = c.to;
  return status;
}

function doubleDials(r: StormRecords): Count {
  const details: string[] = [];
  let value = 0;
  const attemptIds = new Set(r.db.attempts.map((a) => a.id));
  for (const dial of customerDials(r.originations)) {
    if (dial.attemptId === null || !attemptIds.has(dial.attemptId)) {
      value++;
      details.push(`${dial.endpoint} dialled at ${iso(dial.at)} for attempt ${dial.attemptId ?? '(none)'}, which has no attempt row`);
    }
  }
  for (const [attemptId, dials] of groupBy(customerDials(r.originations), (d) => d.attemptId)) {
    if (dials.length < 2) continue;
    value += dials.length - 1;
    details.push(`attempt ${attemptId} of callback ${dials[0].callbackId}: ${dials[0].endpoint} dialled ${dials.length} times, at ${dials.map((d) => iso(d.at)).join(', ')}`);
  }
  return { name: 'double dials', value, details };
}

function dialsAfterTerminal(r: StormRecords, rules: JudgeRules): Count {
  const details: string[] = [];
  const changes = statusChanges(r.db.events);
  for (const dial of customerDials(r.originations)) {
    if (!dial.callbackId) continue;
    const terminal = (changes.get(dial.callbackId) ?? []).find((c) => TERMINAL.has(c.to));
    if (terminal && dial.at > terminal.at + rules.orderingToleranceMs) {
      details.push(`callback ${dial.callbackId} became ${terminal.to} at ${iso(terminal.at)}; ${dial.endpoint} dialled ${secs(dial.at - terminal.at)} later (attempt ${dial.attemptId})`);
    }
  }
  return { name: 'dials after a terminal status', value: details.length, details };
}

/**
 * Called again after getting through: (a) the callback's own customer already talked to an agent
 * on an earlier attempt, or (b) the caller got through on an inbound call the daemon saw while
 * the callback was Scheduled (Neglected should have ended it).
 */
function dialsAfterConversation(r: StormRecords, rules: JudgeRules): Count {
  const details: string[] = [];
  const dials = customerDials(r.originations);
  const callbackOfChannel = new Map<string, string>();
  for (const d of dials) if (d.channelId && d.callbackId) callbackOfChannel.set(d.channelId, d.callbackId);
  const throughAt = new Map<string, number>();
  const through = (channelId: string, at: number) => {
    const cb = callbackOfChannel.get(channelId);
    if (cb && at < (throughAt.get(cb) ?? Number.POSITIVE_INFINITY)) throughAt.set(cb, at);
  };
  for (const b of r.bridgeEntries) through(b.channelId, b.at);
  for (const c of r.conversations) through(c.channelId, c.answeredAt);
  const counted = new Set<OriginateRecord>();
  for (const d of dials) {
    const at = d.callbackId ? throughAt.get(d.callbackId) : undefined;
    if (at !== undefined && d.at > at + rules.orderingToleranceMs) {
      counted.add(d);
      details.push(`callback ${d.callbackId}: its customer talked to an agent at ${iso(at)}; dialled again ${secs(d.at - at)} later (attempt ${d.attemptId})`);
    }
  }

  const callers = new Map(r.callers.map((c) => [c.callId, c]));
  const seenCalls = new Set(r.db.calls.map((c) => c.id));
  const changes = statusChanges(r.db.events);
  const byNumber = groupBy(r.db.callbacks, (c) => c.number);
  const dialsOf = groupBy(dials, (d) => d.callbackId);
  for (const conv of r.conversations) {
    const caller = callers.get(conv.channelId);
    if (!caller || !caller.number.startsWith('+') || !seenCalls.has(caller.callId)) continue;
    if (!upAround(r.uptimes, conv.answeredAt, rules.graceMs)) continue;
    for (const cb of byNumber.get(caller.number) ?? []) {
      if (!cb.shifted || cb.createdAt >= conv.answeredAt || statusAt(changes.get(cb.id), conv.answeredAt) !== 'Scheduled') continue;
      for (const d of dialsOf.get(cb.id) ?? []) {
        if (counted.has(d) || d.at <= conv.answeredAt + rules.graceMs) continue;
        counted.add(d);
        details.push(`callback ${cb.id} for ${cb.number} was Scheduled when call ${caller.callId} got through at ${iso(conv.answeredAt)}; dialled ${secs(d.at - conv.answeredAt)} later`);
      }
    }
  }
  return { name: 'dials after a conversation', value: details.length, details };
}

function lostLostShift(r: StormRecords, rules: JudgeRules): Count {
  const details: string[] = [];
  const seenCalls = new Map(r.db.calls.map((c) => [c.id, c]));
  const born = new Set(r.db.callbacks.map((c) => c.originCallId).filter((id): id is string => id !== null));
  const merged = new Set(r.db.events.filter((e) => e.type === 'Merged' && e.callId).map((e) => e.callId as string));
  for (const c of r.callers) {
    if (c.abandonedAt === null || c.waitedMs === null || !c.number.startsWith('+')) continue;
    // Hung up as an agent picked up (the PBX bridged them a moment later): the PBX, and so the
    // daemon, saw an answered call, which is no lost call.
    if (c.servedAt !== null) continue;
    const rule = rules.lostShift[c.queue];
    // QUEUEWAIT is whole seconds; a little margin keeps timer skew from deciding the case.
    if (!rule || c.waitedMs < rule.minWaitSeconds * 1000 + 200) continue;
    if (!seenCalls.has(c.callId) || !upAround(r.uptimes, c.abandonedAt, rules.graceMs)) continue;
    if (born.has(c.callId) || merged.has(c.callId)) continue;
    const row = seenCalls.get(c.callId);
    const decision = row?.lostDecision ? `, decision "${row.lostDecision}"` : '';
    details.push(`call ${c.callId} from ${c.number} gave up in ${c.queue} at ${iso(c.abandonedAt)} after ${secs(c.waitedMs)}: no callback, no merge (call row ${row?.result}${decision})`);
  }
  return { name: 'lost LostShift callbacks', value: details.length, details };
}

function placeholders(r: StormRecords): Count[] {
  const callbacks = new Map(r.db.callbacks.map((c) => [c.id, c]));
  const openAttempt = new Map(r.db.attempts.filter((a) => a.endedAt === null).map((a) => [a.callbackId, a]));
  const terminal: string[] = [];
  const orphan: string[] = [];
  for (const e of r.end.queueEntries) {
    if (!e.placeholderFor) continue;
    const cb = callbacks.get(e.placeholderFor);
    if (!cb || TERMINAL.has(cb.status)) {
      terminal.push(`${e.channelId} waits in ${e.queue} for callback ${e.placeholderFor}, which is ${cb ? cb.status : 'unknown'}`);
      continue;
    }
    const attempt = openAttempt.get(cb.id);
    if (!attempt || `${attempt.placeholderRef};2` !== e.channelId) {
      orphan.push(`${e.channelId} waits in ${e.queue} for ${cb.status} callback ${cb.id}, whose open attempt ${attempt ? `uses ${attempt.placeholderRef}` : 'does not exist'}`);
    }
  }
  return [
    { name: 'placeholders left for terminal callbacks', value: terminal.length, details: terminal },
    { name: 'placeholders without their attempt', value: orphan.length, details: orphan },
  ];
}

function stuck(r: StormRecords, rules: JudgeRules): Count {
  const details: string[] = [];
  const open = new Map(r.db.attempts.filter((a) => a.endedAt === null).map((a) => [a.callbackId, a]));
  const queued = new Set(r.end.queueEntries.map((e) => e.placeholderFor).filter((id): id is string => id !== null));
  const inStasis = new Set(r.end.channels.map((c) => (c.appName === 'Stasis' ? attemptOfStasis(c.appData) : null)).filter((id): id is string => id !== null));
  const say = (cb: CallbackRow, why: string) => details.push(`callback ${cb.id} (${cb.mechanism}, ${cb.number} in ${cb.queue}): ${why}`);
  for (const cb of r.db.callbacks) {
    const attempt = open.get(cb.id);
    if (cb.status === 'Scheduled' && cb.dueAt === null) {
      if (!attempt) say(cb, 'Scheduled to hold a place, but no attempt holds it');
      else if (!queued.has(cb.id) && !inStasis.has(attempt.id)) say(cb, `holds a place with attempt ${attempt.id}, but no placeholder of it is in the queue`);
    } else if (cb.status === 'Dialing') {
      if (!attempt) say(cb, 'Dialing with no attempt under way');
      else if (attempt.startedAt < r.end.at - rules.overdueMs) say(cb, `Dialing for ${secs(r.end.at - attempt.startedAt)}: attempt ${attempt.id} never ended`);
    } else if (cb.status === 'Scheduled' && cb.dueAt !== null && cb.dueAt < r.end.at - rules.overdueMs) {
      say(cb, `due ${secs(r.end.at - cb.dueAt)} ago and not dialled`);
    }
  }
  return { name: 'callbacks stuck', value: details.length, details };
}

/** How long, between `from` and `to`, a daemon was connected: a caller can only be handled then. */
function connectedWithin(uptimes: readonly Uptime[], from: number, to: number): number {
  let total = 0;
  for (const u of uptimes) total += Math.max(0, Math.min(to, u.endedAt ?? to) - Math.max(from, u.connectedAt));
  return total;
}

/** Why a caller sat in the daemon's application with nobody handling them, or null. */
function parkedReason(c: CallerRecord, r: StormRecords, rules: JudgeRules): string | null {
  for (const stay of c.stasis) {
    const end = stay.end ?? r.end.at;
    // Time with no daemon does not count: a caller waits for the next one, which must take them on.
    const waited = connectedWithin(r.uptimes, stay.start, end);
    if (stay.args.startsWith('observe') && (stay.end === null || waited > rules.observeHopMs)) {
      return `sat ${secs(end - stay.start)} in the observe hop (from ${iso(stay.start)}; ${secs(waited)} of it with a daemon connected)${stay.end === null ? ', still there at the end' : ''}`;
    }
    if (!stay.args.startsWith('callback')) continue;
    // Each restart during the dialog must pick the caller up again: a prompt soon after it connected.
    for (const back of r.uptimes) {
      if (back.connectedAt <= stay.start || back.connectedAt >= end || end <= back.connectedAt + rules.parkGraceMs) continue;
      if (c.heard.some((t) => t >= back.connectedAt && t <= back.connectedAt + rules.parkGraceMs)) continue;
      return `in the CallBack node (${stay.args}) across a restart; nothing played to them in the ${secs(rules.parkGraceMs)} after the daemon came back at ${iso(back.connectedAt)} (they stayed ${secs(end - back.connectedAt)})`;
    }
  }
  // Time with the daemon that watches queue calls down does not count: a caller who entered its
  // application just before it died sits there until it is back (ARI keeps the channel in the app).
  if (c.entry === 'queue' && c.queued.length === 0 && connectedWithin(r.uptimes, c.placedAt, c.goneAt ?? r.end.at) > rules.observeHopMs) {
    return `never reached the queue (placed ${iso(c.placedAt)}, ${c.goneAt === null ? 'still on the line' : `hung up ${secs(c.goneAt - c.placedAt)} later`})`;
  }
  return null;
}

function parked(r: StormRecords, rules: JudgeRules): Count {
  const details: string[] = [];
  const known = new Set<string>();
  for (const c of r.callers) {
    known.add(c.callId);
    const why = parkedReason(c, r, rules);
    if (why) details.push(`${c.kind} caller ${c.callId} (${c.number}, ${c.queue}): ${why}`);
  }
  for (const ch of r.end.channels) {
    if (known.has(ch.id) || ch.appName !== 'Stasis' || !/^[^,]+,(observe|callback)\b/.test(ch.appData)) continue;
    details.push(`channel ${ch.id} still in Stasis(${ch.appData}) at the end`);
  }
  return { name: 'callers parked', value: details.length, details };
}

/** The attempt a channel in the daemon's application belongs to (`app,customer,ATTEMPT` or `app,placeholder,ATTEMPT`). */
export function attemptOfStasis(appData: string): string | null {
  const m = /^[^,]+,(?:customer|placeholder),([^,]+)$/.exec(appData);
  return m ? m[1] : null;
}

/** A customer or an agent still in the daemon's application at the end, for an attempt that is over: nobody will ever hang them up. */
function leftAfterAttempt(r: StormRecords): Count {
  const attempts = new Map(r.db.attempts.map((a) => [a.id, a]));
  const details: string[] = [];
  for (const ch of r.end.channels) {
    const attemptId = ch.appName === 'Stasis' ? attemptOfStasis(ch.appData) : null;
    if (!attemptId) continue;
    const attempt = attempts.get(attemptId);
    if (attempt && attempt.endedAt === null) continue;
    const cb = attempt ? r.db.callbacks.find((c) => c.id === attempt.callbackId) : undefined;
    details.push(`${ch.id} still in Stasis(${ch.appData}) at the end; its attempt ${attempt ? `ended ${iso(attempt.endedAt as number)} (${attempt.outcome}), callback ${cb?.status ?? '?'}` : 'is unknown'}`);
  }
  return { name: 'channels left after their attempt', value: details.length, details };
}

function tally(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
}

function totals(r: StormRecords): Array<[string, number | string]> {
  const customers = customerDials(r.originations);
  return [
    ['kills', [...r.uptimes, ...(r.otherUptimes ?? [])].filter((u) => u.endedBy === 'kill').length],
    ['daemon runs', r.uptimes.length + (r.otherUptimes ?? []).length],
    ['calls placed', r.callers.length],
    ['callers by kind', tally(r.callers.map((c) => c.kind))],
    ['callers served by an agent', r.callers.filter((c) => c.servedAt !== null).length],
    ['callers who gave up in the queue', r.callers.filter((c) => c.abandonedAt !== null).length],
    ['manual callbacks requested', r.manual.length],
    ['manual requests refused', r.manual.filter((m) => m.code !== 0).length],
    ['originates', r.originations.length],
    ['placeholder originates', r.originations.filter((o) => /^local\//i.test(o.endpoint)).length],
    ['customer originates', customers.length],
    ['originates refused by the PBX', r.originations.filter((o) => !(o.status > 0 && o.status < 300)).length],
    ['conversations', r.conversations.length],
    ['callbacks', r.db.callbacks.length],
    ['callbacks by status', tally(r.db.callbacks.map((c) => c.status))],
    ['callbacks by mechanism', tally(r.db.callbacks.map((c) => c.mechanism))],
    ['attempts', r.db.attempts.length],
    ['attempts by outcome', tally(r.db.attempts.map((a) => a.outcome ?? 'under way'))],
    ['merges', r.db.events.filter((e) => e.type === 'Merged').length],
    ['calls recorded', r.db.calls.length],
    ['calls by result', tally(r.db.calls.map((c) => c.result))],
    ['daemon log errors', r.logErrors.length],
    ['daemon log errors by message', tally(r.logErrors)],
  ];
}

/** The storm's verdict: every judged count must be zero. */
export function judge(r: StormRecords, rules: JudgeRules): Verdict {
  const counts: Count[] = [
    doubleDials(r),
    dialsAfterTerminal(r, rules),
    dialsAfterConversation(r, rules),
    lostLostShift(r, rules),
    ...placeholders(r),
    stuck(r, rules),
    parked(r, rules),
    leftAfterAttempt(r),
    { name: 'daemon exits not caused by the storm', value: r.unexpectedExits, details: [] },
  ];
  return { counts, totals: totals(r), failed: counts.some((c) => c.value > 0) };
}
