import type { Logger } from 'winston';
import type { Config } from '../config/types';
import type { Clock } from '../domain/clock';
import type { CallbackStore } from '../domain/store';
import type { Feed } from '../engine/feed';
import { ScriptRunner } from '../scripts/runner';
import type { FallbackKind } from '../scripts/types';
import type { CallbackService } from '../service/service';
import { WebhookDeliverer } from '../webhooks/delivery';
import { IntervalTriggers } from './interval-triggers';
import type { ScriptFallbacks } from './metrics';
import { StatusTriggers } from './status-triggers';
import { DaemonTriggerActions } from './trigger-actions';

/**
 * What a daemon runs beside dialling: the scripts of its transitions and triggers (off the main
 * thread), its webhook deliveries, and its status and interval triggers. Built in two steps, as
 * the daemon is: the scripts first (the lost-call judgement needs them), the rest once the
 * service they act through exists.
 */
export class Automation {
  readonly deliverer: WebhookDeliverer;
  readonly statusTriggers: StatusTriggers;
  readonly intervalTriggers: IntervalTriggers;

  /** The runner of every script the configuration names; null when it names none. A script's contacts.lookup reads the contact tables through `service` (a number key normalised). */
  static scriptsFor(config: Config, logger: Logger, service: () => CallbackService): ScriptRunner | null {
    if (configuredScripts(config).length === 0) return null;
    return new ScriptRunner({ dir: process.cwd(), logger, lookup: (table, key) => service().lookupContact(table, key) });
  }

  constructor(
    readonly scripts: ScriptRunner | null,
    private readonly config: Config,
    deps: { store: CallbackStore; feed: Feed; service: CallbackService; clock: Clock; logger: Logger; owner: string },
  ) {
    const { store, feed, service, clock, logger, owner } = deps;
    this.deliverer = new WebhookDeliverer({ store, clock, logger, owner, webhooks: config.webhooks });
    service.useWebhooks(this.deliverer);
    const actions = new DaemonTriggerActions({ deliverer: this.deliverer, scripts, service, clock, logger });
    this.statusTriggers = new StatusTriggers(store, feed, config.triggers, actions, logger);
    this.intervalTriggers = new IntervalTriggers(store, config.triggers, actions, { clock, logger, owner });
    service.useTriggers(this.intervalTriggers);
  }

  async start(): Promise<void> {
    this.scripts?.prepare(configuredScripts(this.config));
    await this.deliverer.start();
    await this.statusTriggers.start();
    this.intervalTriggers.start();
  }

  /** Stops the triggers and the deliveries, waiting for the runs and attempts under way. The scripts' workers go last: close(). */
  async stop(): Promise<void> {
    await this.intervalTriggers.stop();
    this.statusTriggers.stop();
    await this.deliverer.stop();
  }

  async close(): Promise<void> {
    await this.scripts?.close();
  }

  /** callbackd_script_fallbacks_total listens to the runner's fallback events. */
  scriptFallbacks(): ScriptFallbacks | undefined {
    const runner = this.scripts;
    if (!runner) return undefined;
    return {
      scriptNames: configuredScripts(this.config).map((script) => runner.nameOf(script)),
      onFallback(listener) {
        const own = (script: string, kind: FallbackKind) => listener(script, kind);
        runner.on('fallback', own);
        return () => runner.off('fallback', own);
      },
    };
  }
}

/** Every script the configuration names (transitions and triggers), each once. */
function configuredScripts(config: Config): string[] {
  return [...new Set([...config.transitions.map((t) => t.script), ...config.triggers.map((t) => t.script)].filter((s) => s !== ''))];
}
