import type { TransitionRule } from '../config/types';
import type { Mechanism } from './types';

/**
 * The transition (rule) for calls of `queue` born through `mechanism`: an exact source-queue
 * match wins over '*'; among equals the first in the configuration wins. Null = not enabled.
 */
export function findTransition(rules: readonly TransitionRule[], queue: string, mechanism: Mechanism): TransitionRule | null {
  const enabled = rules.filter((r) => r.mechanisms.includes(mechanism));
  return enabled.find((r) => r.sourceQueue === queue) ?? enabled.find((r) => r.sourceQueue === '*') ?? null;
}

/** The queue that handles callbacks made under `rule` from calls of `sourceQueue`. */
export function targetQueue(rule: TransitionRule, sourceQueue: string): string {
  return rule.targetQueue === '' || rule.targetQueue === '*' ? sourceQueue : rule.targetQueue;
}

/** The rule a stored callback was created under; falls back to the queue's rule if it was renamed or removed. */
export function ruleOf(rules: readonly TransitionRule[], name: string, queue: string): TransitionRule | null {
  return rules.find((r) => r.name === name) ?? findTransition(rules, queue, 'manual') ?? rules[0] ?? null;
}
