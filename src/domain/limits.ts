import type { TransitionRule } from '../config/types';

/**
 * The concurrency limit of each queue, as the store counts it: a transition with a fixed target
 * queue limits that queue; one whose target is its source queue (the usual '*' rule) limits
 * whichever queue its calls came from, under the key '*' (a queue named by a rule of its own
 * takes that rule's limit instead). Where several transitions lead to one queue, the strictest
 * wins, since they dial over the same agents and trunks.
 */
export function queueLimits(rules: readonly TransitionRule[]): Record<string, number> {
  const limits: Record<string, number> = {};
  const tighten = (queue: string, limit: number) => {
    limits[queue] = Math.min(limits[queue] ?? Number.POSITIVE_INFINITY, limit);
  };
  for (const rule of rules) {
    const fixed = rule.targetQueue !== '' && rule.targetQueue !== '*';
    if (fixed) tighten(rule.targetQueue, rule.maxConcurrent);
    else if (rule.sourceQueue === '*') tighten('*', rule.maxConcurrent);
    else tighten(rule.sourceQueue, rule.maxConcurrent);
  }
  return limits;
}
