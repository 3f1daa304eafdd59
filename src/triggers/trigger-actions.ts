import { createHash } from 'node:crypto';
import type { Logger } from 'winston';
import type { TriggerConfig } from '../config/types';
import type { Clock } from '../domain/clock';
import { CallbackdError } from '../domain/errors';
import { scriptInput } from '../scripts/context';
import type { CheckedVerdict, ScriptOutcome, ScriptInput } from '../scripts/types';
import type { CallbackService } from '../service/service';
import type { WebhookDeliverer } from '../webhooks/delivery';
import type { TriggerActions, TriggerFiring } from './actions';

/** What a trigger needs of the script runner (src/scripts/runner.ts). */
export interface TriggerScripts {
  decide(script: string, input: ScriptInput): Promise<ScriptOutcome>;
}

/**
 * The daemon's trigger actions. A webhook delivery takes the firing's key as its id, so a firing
 * asked twice (a crash before the cursor moved) is one delivery. A script's verdict `create`
 * makes a manual callback through the service, under a request key of the firing: asked twice,
 * it is made once. A script that fails changes nothing (the run says why).
 */
export class DaemonTriggerActions implements TriggerActions {
  constructor(
    private readonly deps: { deliverer: WebhookDeliverer | null; scripts: TriggerScripts | null; service: CallbackService; clock: Clock; logger: Logger },
  ) {}

  async post(trigger: TriggerConfig, event: string, payload: Record<string, unknown>, key: string): Promise<void> {
    if (!this.deps.deliverer) throw new Error('webhooks are not running in this process');
    const delivery = await this.deps.deliverer.enqueueTo(trigger.webhook, event, payload, undefined, `trigger:${key}`);
    // Not written: the firing is asked again at the next wake (the cursor stays where it was).
    if (!delivery) throw new Error(`the delivery of ${event} to webhook ${trigger.webhook} could not be written`);
  }

  async run(trigger: TriggerConfig, firing: TriggerFiring, key: string): Promise<string> {
    if (!this.deps.scripts) throw new Error('scripts are not running in this process');
    const now = this.deps.clock.now();
    const input =
      firing.on === 'status'
        ? scriptInput({ trigger: 'status', callback: firing.callback, proposal: { action: 'skip', reason: 'none', detail: `callback ${firing.callback.id} entered ${firing.to}` }, now })
        : scriptInput({ trigger: 'interval', proposal: { action: 'skip', reason: 'none', detail: `the schedule of trigger ${trigger.name}` }, now });
    const outcome = await this.deps.scripts.decide(trigger.script, input);
    if (outcome.outcome === 'fallback') throw new Error(`script ${trigger.script} failed (${outcome.kind}): ${outcome.detail}`);
    return this.apply(trigger, firing, outcome.verdict, key);
  }

  private async apply(trigger: TriggerConfig, firing: TriggerFiring, verdict: CheckedVerdict, key: string): Promise<string> {
    if (verdict.action === 'default') return 'nothing to do';
    if (verdict.action === 'skip') return `skipped: ${verdict.reason}`;
    const number = verdict.number ?? (firing.on === 'status' ? firing.callback.number : undefined);
    const queue = verdict.queue ?? (firing.on === 'status' ? firing.callback.queue : undefined);
    if (!number || !queue) return 'refused: a callback made by a trigger needs a number and a queue';
    const form = { ...verdict.form, ...(verdict.priority !== undefined ? { priority: String(verdict.priority) } : {}) };
    try {
      const created = await this.deps.service.create({
        number,
        queue,
        dueAt: verdict.dueAt,
        delayMinutes: verdict.dueAt === undefined ? verdict.delayMinutes : undefined,
        form,
        note: `made by trigger ${trigger.name}`,
        relatedCallId: firing.on === 'status' ? firing.callback.originCallId : null,
        by: `trigger:${trigger.name}`,
        requestKey: { key: `trigger:${key}`, fingerprint: createHash('sha256').update(JSON.stringify({ number, queue, form })).digest('hex') },
      });
      const what = created.repeated ? 'made before (the same firing)' : created.merged ? 'merged into pending callback' : 'made callback';
      return `${what} ${created.callback.id} for ${created.callback.number} in ${created.callback.queue}`;
    } catch (err) {
      // A refused request (a number the rules refuse, a queue no transition takes) is the script's answer, not a fault to retry.
      if (err instanceof CallbackdError) return `refused: ${err.message}`;
      throw err;
    }
  }
}
