import type { TransitionRule } from '../config/types';
import { InvalidNumberError } from '../domain/errors';
import { judgeLostCall, type LostCallJudgement, type LostCallRules, type LostCallSkip, type LostCallWorld } from '../domain/lost-shift';
import { checkNumberAllowed, normaliseNumber } from '../domain/number';
import { initialDueAt } from '../domain/retry';
import { targetQueue } from '../domain/rules';
import type { CallRecord, Form } from '../domain/types';
import { scriptInput } from '../scripts/context';
import type { CheckedVerdict, ScriptInput, ScriptOutcome } from '../scripts/types';

/** What the lost-call judgement needs of the script runner (src/scripts/runner.ts). */
export interface ScriptDecider {
  decide(script: string, input: ScriptInput): Promise<ScriptOutcome>;
  /** How logs, metrics and history name the script. */
  nameOf(script: string): string;
}

/** The judgement of a lost call, and what its transition's script made of it. */
export type ScriptedJudgement = LostCallJudgement & {
  /** Merged into the callback's form (a script's form, its priority). */
  form?: Form;
  /** The script asked, and what came of it: its verdict, or why the embedded decision stood. */
  script?: { name: string; verdict: CheckedVerdict['action'] | 'fallback'; fallback?: string };
};

/** Decides one lost call: the embedded rules, then the transition's script when it names one. */
export type LostCallJudge = (call: CallRecord, world: LostCallWorld, now: number) => Promise<ScriptedJudgement>;

const QUEUE_NAME = /^[A-Za-z0-9_.@+-]{1,80}$/;

/**
 * The daemon's LostShift decision (and a replay's): judgeLostCall, then, under a transition with
 * a script, the script's verdict in its place. What a script returns is held to the rules a
 * person's request is: its number normalised and checked against the transition's number rules
 * (nothing a script returns reaches a dial string unchecked), its queue a queue name, its time
 * not in the past. A script that fails, in whatever way, leaves the embedded decision standing.
 */
export function lostCallJudge(rules: LostCallRules, scripts: ScriptDecider | null): LostCallJudge {
  return async (call, world, now) => {
    const judgement = await judgeLostCall(call, rules, world, now);
    const rule = ruleOf(judgement, rules);
    if (!rule || rule.script === '' || !scripts || (judgement.action === 'skip' && judgement.reason === 'shifted')) return judgement;
    const name = scripts.nameOf(rule.script);
    const pending = call.number && world.pendingOfNumber ? await world.pendingOfNumber(call.number) : [];
    const proposal = judgement.action === 'create' ? { action: 'create' as const, queue: judgement.queue, number: judgement.number, dueAt: judgement.dueAt } : { action: 'skip' as const, reason: judgement.reason, detail: judgement.detail };
    const outcome = await scripts.decide(rule.script, scriptInput({ trigger: 'LostShift', transition: rule.name, call, pending, proposal, now }));
    if (outcome.outcome === 'fallback') return { ...judgement, script: { name, verdict: 'fallback', fallback: `${outcome.kind}: ${outcome.detail}` } };
    const verdict = outcome.verdict;
    if (verdict.action === 'default') return { ...judgement, script: { name, verdict: 'default' } };
    if (verdict.action === 'skip') {
      return { action: 'skip', reason: 'script_skip', detail: `script ${name}: ${verdict.reason}`, transition: rule.name, script: { name, verdict: 'skip' } };
    }
    return applyCreate(call, rule, rules, world, now, judgement, verdict, name);
  };
}

function ruleOf(judgement: LostCallJudgement, rules: LostCallRules): TransitionRule | null {
  if (judgement.action === 'create') return judgement.rule;
  return judgement.transition === null ? null : (rules.transitions.find((t) => t.name === judgement.transition) ?? null);
}

async function applyCreate(
  call: CallRecord,
  rule: TransitionRule,
  rules: LostCallRules,
  world: LostCallWorld,
  now: number,
  judgement: LostCallJudgement,
  verdict: Extract<CheckedVerdict, { action: 'create' }>,
  name: string,
): Promise<ScriptedJudgement> {
  const script = { name, verdict: 'create' as const };
  const refuse = (reason: LostCallSkip['reason'], detail: string): ScriptedJudgement => ({ action: 'skip', reason, detail: `script ${name}: ${detail}`, transition: rule.name, script });
  const given = verdict.number ?? (judgement.action === 'create' ? judgement.number : call.number);
  if (given === null || given === undefined || String(given).trim() === '') return refuse('anonymous', 'asked for a callback, but there is no number to call');
  let number: string;
  try {
    number = normaliseNumber(String(given), rules.defaultCountry);
    checkNumberAllowed(number, rule.numbers, rules.defaultCountry);
  } catch (err) {
    if (!(err instanceof InvalidNumberError)) throw err;
    return refuse(err.code === 'number_not_allowed' ? 'number_not_allowed' : 'invalid_number', `returned number ${JSON.stringify(given)}: ${err.message}`);
  }
  const queue = verdict.queue ?? (judgement.action === 'create' ? judgement.queue : targetQueue(rule, call.queue ?? ''));
  if (!QUEUE_NAME.test(queue)) return refuse('error', `returned queue ${JSON.stringify(queue)}, which is not a queue name`);
  let dueAt: number | null;
  if (verdict.dueAt !== undefined) dueAt = Math.max(now, verdict.dueAt);
  else if (verdict.delayMinutes !== undefined) dueAt = now + verdict.delayMinutes * 60_000;
  else dueAt = judgement.action === 'create' ? judgement.dueAt : initialDueAt(now, rule.delayMinutes, rule);
  if (dueAt === null) return refuse('window_never_opens', `the calling window of transition "${rule.name}" never opens`);
  const form: Form = { ...verdict.form, ...(verdict.priority !== undefined ? { priority: String(verdict.priority) } : {}) };
  return { action: 'create', rule, number, queue, dueAt, mergesInto: await world.pendingFor(number, queue), form, script };
}
