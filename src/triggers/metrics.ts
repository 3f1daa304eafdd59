import { Counter, type Registry } from 'prom-client';
import { FALLBACK_KINDS, type FallbackKind } from '../scripts/types';
import type { TickOutcome } from './interval-triggers';

/** What the counters listen to: the daemon's script runner and its interval triggers. */
export interface ScriptFallbacks {
  /** The scripts the configuration names, by the names the runner gives them: their series start at zero. */
  readonly scriptNames: readonly string[];
  onFallback(listener: (script: string, kind: FallbackKind) => void): () => void;
}

export interface TriggerTicks {
  readonly intervalTriggerNames: readonly string[];
  onTick(listener: (trigger: string, outcome: TickOutcome) => void): () => void;
}

const OUTCOMES: readonly TickOutcome[] = ['done', 'failed', 'overlap', 'taken'];

/** callbackd_script_fallbacks_total{script, kind}: decisions where a script failed and the embedded decision stood. */
export function countScriptFallbacks(registry: Registry, scripts: ScriptFallbacks): () => void {
  const counter = new Counter({
    name: 'callbackd_script_fallbacks_total',
    help: 'Decisions a script did not make, by script and why (threw, invalid verdict, timeout, memory limit, could not load): the embedded decision was used instead.',
    labelNames: ['script', 'kind'],
    registers: [registry],
  });
  for (const script of scripts.scriptNames) for (const kind of FALLBACK_KINDS) counter.inc({ script, kind }, 0);
  return scripts.onFallback((script, kind) => counter.inc({ script, kind }));
}

/** callbackd_trigger_ticks_total{trigger, outcome}: interval trigger ticks by what came of them. */
export function countTriggerTicks(registry: Registry, triggers: TriggerTicks): () => void {
  const counter = new Counter({
    name: 'callbackd_trigger_ticks_total',
    help: 'Ticks of interval triggers in this daemon, by what came of them: done, failed, overlap (skipped: the previous run was still going), taken (another daemon ran that slot).',
    labelNames: ['trigger', 'outcome'],
    registers: [registry],
  });
  for (const trigger of triggers.intervalTriggerNames) for (const outcome of OUTCOMES) counter.inc({ trigger, outcome }, 0);
  return triggers.onTick((trigger, outcome) => counter.inc({ trigger, outcome }));
}
