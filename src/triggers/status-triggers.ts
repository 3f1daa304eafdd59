import type { Logger } from 'winston';
import type { TriggerConfig } from '../config/types';
import type { CallbackStore } from '../domain/store';
import type { CallEvent, Callback, Status } from '../domain/types';
import type { Feed } from '../engine/feed';
import { EventFollower } from '../service/event-log';
import { callbackJson, eventJson } from '../service/json';
import { statusEventName, type TriggerActions } from './actions';

/** The status triggers' reader of the history (store.triggerCursor). */
export const STATUS_CURSOR = 'status-triggers';

/** Reads of other processes' changes (the CLI, other daemons) also wake it; this is the longest it waits regardless. */
const POLL_MS = 5000;

/**
 * Status triggers follow the durable history (the events table) from their own cursor, so a
 * change made while the daemon was down, or by the command line, fires them too: every
 * StatusChanged event into one of a trigger's statuses, for a callback its filters let through.
 * The cursor moves only once a batch's actions are done, and each action is keyed by trigger and
 * event, so a crash in between repeats the asking, never the effect. A trigger configured
 * today fires on what happens from today: the first start takes the history's end as cursor.
 */
export class StatusTriggers {
  private follower: EventFollower | null = null;

  constructor(
    private readonly store: CallbackStore,
    private readonly feed: Feed,
    private readonly triggers: readonly TriggerConfig[],
    private readonly actions: TriggerActions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const mine = this.triggers.filter((t) => t.on === 'status');
    if (mine.length === 0) return;
    let cursor = await this.store.triggerCursor(STATUS_CURSOR);
    if (cursor === null) {
      cursor = await this.store.lastEventId();
      await this.store.setTriggerCursor(STATUS_CURSOR, cursor);
    }
    this.follower = await EventFollower.start(this.store, this.feed, {
      after: cursor,
      batch: 200,
      pollMs: POLL_MS,
      logger: this.logger,
      deliver: async (events) => {
        for (const event of events) await this.fire(mine, event);
        await this.store.setTriggerCursor(STATUS_CURSOR, events[events.length - 1].id);
      },
    });
    this.logger.info(`status triggers following the history from event ${cursor}`, { triggers: mine.map((t) => t.name) });
  }

  /** Resolves once every change written so far has fired what it fires (tests, a clean stop). */
  async caughtUp(): Promise<void> {
    await this.follower?.caughtUp();
  }

  stop(): void {
    this.follower?.stop();
    this.follower = null;
  }

  private async fire(triggers: readonly TriggerConfig[], event: CallEvent): Promise<void> {
    if (event.type !== 'StatusChanged' || event.callbackId === null) return;
    const to = String(event.data.to) as Status;
    const interested = triggers.filter((t) => t.statuses.includes(to));
    if (interested.length === 0) return;
    const callback = await this.store.get(event.callbackId);
    if (!callback) return;
    for (const trigger of interested) {
      if (!passes(trigger, callback)) continue;
      const key = `${trigger.name}:${event.id}`;
      const log = this.logger.child({ trigger: trigger.name, callbackId: callback.id, eventId: event.id });
      if (trigger.webhook !== '') {
        await this.actions.post(trigger, statusEventName(to), { trigger: trigger.name, event: eventJson(event), callback: callbackJson(callback) }, key);
        log.debug(`status trigger: ${statusEventName(to)} queued for webhook ${trigger.webhook}`);
      } else {
        const outcome = await this.actions.run(trigger, { on: 'status', at: event.at, event, callback, from: String(event.data.from), to }, key);
        log.info(`status trigger ran ${trigger.script}: ${outcome}`);
      }
    }
  }
}

function passes(trigger: TriggerConfig, callback: Callback): boolean {
  if (trigger.queues.length > 0 && !trigger.queues.includes(callback.queue)) return false;
  if (trigger.mechanisms.length > 0 && !trigger.mechanisms.includes(callback.mechanism)) return false;
  return true;
}
