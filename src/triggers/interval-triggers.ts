import cron from 'node-cron';
import type { Logger } from 'winston';
import type { TriggerConfig } from '../config/types';
import type { Clock } from '../domain/clock';
import type { CallbackStore, TriggerRun } from '../domain/store';
import type { TriggerActions } from './actions';

/** Calls `tick` with each instant the expression names (epoch ms, whole seconds), until stopped. */
export type Schedule = (expression: string, timezone: string, tick: (slotAt: number) => void) => { stop(): void };

/** node-cron: the instant a tick was due is its slot, whenever the timer actually fired. */
export const cronSchedule: Schedule = (expression, timezone, tick) => {
  const task = cron.schedule(expression, (context) => tick(Math.floor(context.date.getTime() / 1000) * 1000), { timezone, unref: true });
  return { stop: () => void task.destroy() };
};

/** A run this old without an end is taken for dead (its daemon died): it no longer keeps the next slots from running. */
export const RUN_STALE_MS = 60 * 60 * 1000;

/** What came of one tick, for the log and the metrics. */
export type TickOutcome = 'done' | 'failed' | 'overlap' | 'taken';

/**
 * Interval triggers: each run on its cron schedule, never two runs of one trigger at once. A tick
 * that comes while the previous run is still going is skipped (and logged), not queued. Before it
 * runs, a tick claims its slot in the store: daemons sharing a database run each slot once, never
 * while another daemon's run of the trigger is going, and a daemon restarted within the same
 * second does not run it again. A claimed run whose daemon died stays without an end in the runs
 * list, and keeps the next slots from running for RUN_STALE_MS at most.
 */
export class IntervalTriggers {
  private readonly running = new Map<string, Promise<void>>();
  private readonly tasks: { stop(): void }[] = [];
  private readonly tickListeners = new Set<(trigger: string, outcome: TickOutcome) => void>();

  constructor(
    private readonly store: CallbackStore,
    private readonly triggers: readonly TriggerConfig[],
    private readonly actions: TriggerActions,
    private readonly deps: { clock: Clock; logger: Logger; owner: string; schedule?: Schedule; onTick?: (trigger: string, outcome: TickOutcome) => void },
  ) {}

  get intervalTriggerNames(): string[] {
    return this.triggers.filter((t) => t.on === 'interval').map((t) => t.name);
  }

  /** Told of every tick and what came of it (metrics); returns the function that stops telling. */
  onTick(listener: (trigger: string, outcome: TickOutcome) => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  start(): void {
    const schedule = this.deps.schedule ?? cronSchedule;
    for (const trigger of this.triggers.filter((t) => t.on === 'interval')) {
      this.tasks.push(schedule(trigger.cron, trigger.timezone, (slotAt) => void this.tick(trigger, slotAt)));
      this.deps.logger.info(`interval trigger ${trigger.name} scheduled: ${trigger.cron} (${trigger.timezone})`);
    }
  }

  /** Run an interval trigger now, as a tick of this instant would (POST /api/v1/triggers/NAME/run). */
  async runNow(name: string): Promise<TickOutcome> {
    const trigger = this.triggers.find((t) => t.name === name && t.on === 'interval');
    if (!trigger) throw new Error(`no interval trigger named ${name}`);
    return this.tick(trigger, Math.floor(this.deps.clock.now() / 1000) * 1000);
  }

  runs(name: string | null, limit: number): Promise<TriggerRun[]> {
    return this.store.triggerRuns(name, limit);
  }

  /** Stops the schedules and waits for the runs under way. */
  async stop(): Promise<void> {
    for (const task of this.tasks.splice(0)) task.stop();
    await Promise.allSettled([...this.running.values()]);
  }

  private async tick(trigger: TriggerConfig, slotAt: number): Promise<TickOutcome> {
    const { logger, clock, owner, onTick } = this.deps;
    const log = logger.child({ trigger: trigger.name, slotAt: new Date(slotAt).toISOString() });
    const finish = (outcome: TickOutcome): TickOutcome => {
      onTick?.(trigger.name, outcome);
      for (const listener of this.tickListeners) listener(trigger.name, outcome);
      return outcome;
    };
    if (this.running.has(trigger.name)) {
      log.warn(`interval trigger ${trigger.name}: the previous run is still going; this tick is skipped`);
      return finish('overlap');
    }
    let outcome: TickOutcome = 'failed';
    const run = (async () => {
      const claim = await this.store.claimTriggerRun(trigger.name, slotAt, owner, clock.now(), clock.now() - RUN_STALE_MS);
      if (claim === 'taken') {
        log.debug(`interval trigger ${trigger.name}: this slot was run already (by another daemon, or before a restart)`);
        outcome = 'taken';
        return;
      }
      if (claim === 'running') {
        log.warn(`interval trigger ${trigger.name}: a run started by another daemon is still going; this tick is skipped`);
        outcome = 'overlap';
        return;
      }
      const key = `${trigger.name}:${slotAt}`;
      let detail: string;
      try {
        if (trigger.webhook !== '') {
          await this.actions.post(trigger, 'trigger.interval', { trigger: trigger.name, slotAt: new Date(slotAt).toISOString() }, key);
          detail = `queued for webhook ${trigger.webhook}`;
        } else {
          detail = await this.actions.run(trigger, { on: 'interval', at: clock.now(), slotAt }, key);
        }
        outcome = 'done';
        log.info(`interval trigger ${trigger.name}: ${detail}`);
      } catch (err) {
        detail = String((err as Error).message ?? err);
        log.warn(`interval trigger ${trigger.name} failed: ${detail}`);
      }
      await this.store.finishTriggerRun(trigger.name, slotAt, { outcome: outcome === 'done' ? 'done' : 'failed', detail }, clock.now());
    })().catch((err: unknown) => {
      // The store itself failed (claim or finish): the tick is lost, the next one comes.
      log.warn(`interval trigger ${trigger.name}: the store failed; the next tick runs as usual`, { error: String(err) });
    });
    this.running.set(trigger.name, run);
    try {
      await run;
    } finally {
      this.running.delete(trigger.name);
    }
    return finish(outcome);
  }
}
