import type { TriggerConfig } from '../config/types';
import type { CallEvent, Callback } from '../domain/types';

/**
 * What a trigger does once it fires: POST to a webhook, or run a script. Each firing has a key
 * of its own (the trigger and the event, or the trigger and the slot) that the action uses to do
 * its work once however often it is asked: the delivery's id, a created callback's request key.
 */
export interface TriggerActions {
  /** Queue a durable delivery (docs/webhooks.md): at most one per key. */
  post(trigger: TriggerConfig, event: string, payload: Record<string, unknown>, key: string): Promise<void>;
  /** Run the trigger's script on `firing`; resolves with what came of it, in words. */
  run(trigger: TriggerConfig, firing: TriggerFiring, key: string): Promise<string>;
}

/** What a trigger's script is told. */
export type TriggerFiring =
  | { on: 'status'; at: number; event: CallEvent; callback: Callback; from: string; to: string }
  | { on: 'interval'; at: number; slotAt: number };

/** The webhook event a status trigger POSTs: `callback.<status in lower case>`, for example callback.failed. */
export function statusEventName(status: string): string {
  return `callback.${status.toLowerCase()}`;
}
