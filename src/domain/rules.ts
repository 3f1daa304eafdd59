import type { TransitionRule } from '../config/types';
import { scheduleVerdict } from './schedule';
import type { Mechanism } from './types';

/** How one transition measured up against a call: the first `applies` in the list is the one used. */
export interface TransitionCheck {
  name: string;
  applies: boolean;
  /** Why it applies, or the first reason it does not. */
  why: string;
}

/** One transition against a call of `queue` born through `mechanism` at `at`, in the order a supervisor reads the rule. */
export function checkTransition(rule: TransitionRule, queue: string, mechanism: Mechanism, at: number): TransitionCheck {
  const no = (why: string): TransitionCheck => ({ name: rule.name, applies: false, why });
  if (rule.sourceQueue !== '*' && rule.sourceQueue !== queue) return no(`its source queue is "${rule.sourceQueue}", not "${queue}"`);
  if (!rule.mechanisms.includes(mechanism)) return no(`it does not enable ${mechanism} (only ${rule.mechanisms.join(', ') || 'nothing'})`);
  const schedule = scheduleVerdict(at, rule.schedule);
  if (!schedule.applies) return no(`not in force: ${schedule.why}`);
  const source = rule.sourceQueue === '*' ? 'any queue' : `queue "${queue}"`;
  return { name: rule.name, applies: true, why: `${source}, ${mechanism} enabled, ${schedule.why}` };
}

/**
 * Every transition in configuration order, each with why it does or does not apply. The order is
 * the supervisor's: the first that applies wins, so a specific rule goes before a catch-all.
 */
export function explainTransitions(rules: readonly TransitionRule[], queue: string, mechanism: Mechanism, at: number): TransitionCheck[] {
  let found = false;
  return rules.map((rule) => {
    const check = checkTransition(rule, queue, mechanism, at);
    if (found && check.applies) return { ...check, applies: false, why: `would apply, but an earlier transition already does (${check.why})` };
    found ||= check.applies;
    return check;
  });
}

/** The transition for calls of `queue` born through `mechanism` at `at`: the first in the list that applies. Null = none. */
export function findTransition(rules: readonly TransitionRule[], queue: string, mechanism: Mechanism, at: number): TransitionRule | null {
  return rules.find((rule) => checkTransition(rule, queue, mechanism, at).applies) ?? null;
}

/** The queue that handles callbacks made under `rule` from calls of `sourceQueue`. */
export function targetQueue(rule: TransitionRule, sourceQueue: string): string {
  return rule.targetQueue === '' || rule.targetQueue === '*' ? sourceQueue : rule.targetQueue;
}

/**
 * The rule a stored callback was created under, whatever its schedule says now (a callback
 * booked at night is dialled by day under the night's rule). Falls back to the queue's manual
 * rule if it was renamed or removed, then to the first.
 */
export function ruleOf(rules: readonly TransitionRule[], name: string, queue: string, at: number): TransitionRule | null {
  return rules.find((r) => r.name === name) ?? findTransition(rules, queue, 'manual', at) ?? rules[0] ?? null;
}
