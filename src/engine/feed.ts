import type { Logger } from 'winston';
import type { LifecycleEvent } from '../domain/lifecycle';
import type { Attempt, CallRecord, Callback, Status } from '../domain/types';

/** What the daemon learnt about a queue call: each step the PBX reported, and the LostShift decision. */
export const CALL_STEPS = ['entered', 'served', 'gone', 'decided', 'chose-callback'] as const;
export type CallStep = (typeof CALL_STEPS)[number];

/**
 * One fact the engine committed, told after its transaction committed (never for a write that
 * rolled back). `at` is the engine clock's time of the commit; `callback` is the callback as the
 * commit left it. One commit that moves a status and starts or ends an attempt is two facts.
 */
export type FeedEvent =
  /** A request was made: a new callback, or (merged) the pending one it was folded into. */
  | { kind: 'callback.created'; at: number; callback: Callback; merged: boolean }
  /** A lifecycle transition `from -[event]-> to` (reschedule and merge keep the status, and are transitions too). */
  | { kind: 'callback.changed'; at: number; callback: Callback; from: Status; to: Status; event: LifecycleEvent }
  /** A change that is neither a transition nor an attempt's start or end: a number keyed again, a confirmation, a placeholder put back, an attempt withdrawn. */
  | { kind: 'callback.updated'; at: number; callback: Callback }
  /** `dueAt`: when the callback was due, as it stood before this commit (null: a held place, never due), so due-to-originate can be measured. */
  | { kind: 'attempt.started'; at: number; callback: Callback; attempt: Attempt; dueAt: number | null }
  /** `attempt` carries its outcome, detail and end time. */
  | { kind: 'attempt.ended'; at: number; callback: Callback; attempt: Attempt }
  /** `call` as recorded after the step (for 'decided', with its lostDecision). */
  | { kind: 'call.seen'; at: number; step: CallStep; call: CallRecord };

export type FeedKind = FeedEvent['kind'];
export type FeedListener = (event: FeedEvent) => void | Promise<void>;

/**
 * The engine's live news for front ends (the API's live feed and SSE, the page, metrics, later
 * triggers). In-process and not durable: a subscriber that must not miss anything resumes from
 * the store's events table (EventFollower), which this feed only wakes. Listeners run
 * synchronously, in subscription order, inside the engine's call: they must be quick, and
 * whatever they throw (or reject) is logged and swallowed, since the fact is already committed
 * and the engine must go on.
 */
export class Feed {
  private readonly listeners = new Set<FeedListener>();

  constructor(private readonly logger: Logger | null = null) {}

  /** Returns the function that unsubscribes; each call is a subscription of its own, even with the same function. */
  subscribe(listener: FeedListener): () => void {
    const own: FeedListener = (event) => listener(event);
    this.listeners.add(own);
    return () => {
      this.listeners.delete(own);
    };
  }

  /** How many listen (for metrics and tests). */
  get size(): number {
    return this.listeners.size;
  }

  emit(event: FeedEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        const result = listener(event);
        if (result && typeof (result as Promise<void>).catch === 'function') (result as Promise<void>).catch((err: unknown) => this.failed(event, err));
      } catch (err) {
        this.failed(event, err);
      }
    }
  }

  private failed(event: FeedEvent, err: unknown): void {
    const ids = event.kind === 'call.seen' ? { callId: event.call.id, queue: event.call.queue ?? undefined } : { callbackId: event.callback.id, queue: event.callback.queue };
    const error = String((err as Error)?.stack ?? err);
    if (this.logger) this.logger.warn(`a feed subscriber failed on ${event.kind}; the engine goes on`, { ...ids, error });
    else process.emitWarning(`a feed subscriber failed on ${event.kind}: ${error}`);
  }
}
