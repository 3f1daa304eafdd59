import type { Logger } from 'winston';
import type { CallbackStore } from '../domain/store';
import type { CallEvent } from '../domain/types';
import type { Feed } from '../engine/feed';
import type { ServiceContext } from './context';
import { eventId, pageLimit } from './input';

/** GET /api/v1/events?after=&limit= */
export interface EventQuery {
  /** Events with a greater id; 0 (the default) from the start. Ids are never reused. */
  after?: number | string;
  /** 1 to 1000, default 100. */
  limit?: number | string;
}

export interface EventPage {
  /** In id order (the order they were written). */
  items: CallEvent[];
  /** Pass as `after` for the next page: the last id given, or `after` again when there was none. */
  next: number;
}

export async function eventsAfter(ctx: ServiceContext, query: EventQuery = {}): Promise<EventPage> {
  const after = eventId(query.after);
  const items = await ctx.store.eventsAfter(after, pageLimit(query.limit, 100));
  return { items, next: items.length > 0 ? items[items.length - 1].id : after };
}

export interface FollowOptions {
  /** Deliver events with a greater id (a Last-Event-ID; 0 for all). */
  after: number;
  /** Called with each batch, in id order; the next batch waits for it. A throw keeps the position, so the batch comes again at the next wake. */
  deliver: (events: CallEvent[]) => void | Promise<void>;
  /** Events read per batch (default 500). */
  batch?: number;
  /**
   * Also look every this many ms. Needed only for writes of other processes that announce no work
   * (an attempt started by another daemon on a shared PostgreSQL database); 0 or absent: never.
   */
  pollMs?: number;
  logger?: Logger;
}

/**
 * Follows the durable event log from a position: what the SSE stream resumes from with
 * Last-Event-ID. The log is the store's events table; the follower reads what is after its
 * position whenever it may have grown: on every feed event of this process (emitted once a
 * commit is done), on the store's onWork (writes of other processes: the CLI, other daemons), and
 * at `pollMs` when given. Reads never overlap, so batches arrive once each and in order.
 */
export class EventFollower {
  private position: number;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly stops: (() => void)[] = [];

  private constructor(
    private readonly store: CallbackStore,
    private readonly options: FollowOptions,
  ) {
    this.position = options.after;
  }

  /** Subscribes, then delivers what is already after `after` (resolves once listening; the first delivery follows). */
  static async start(store: CallbackStore, feed: Feed, options: FollowOptions): Promise<EventFollower> {
    const follower = new EventFollower(store, options);
    follower.stops.push(feed.subscribe(() => follower.poke()));
    follower.stops.push(await store.onWork(() => follower.poke()));
    if (options.pollMs && options.pollMs > 0) {
      const timer = setInterval(() => follower.poke(), options.pollMs);
      timer.unref();
      follower.stops.push(() => clearInterval(timer));
    }
    follower.poke();
    return follower;
  }

  /** The id of the last event delivered. */
  get lastId(): number {
    return this.position;
  }

  /** The log may have grown: read it (again, once the read under way is done). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once everything written before this call was delivered (or a delivery failed). */
  async caughtUp(): Promise<void> {
    this.poke();
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    for (const stop of this.stops.splice(0)) stop();
  }

  private async drain(): Promise<void> {
    const size = this.options.batch ?? 500;
    try {
      do {
        this.again = false;
        for (;;) {
          const batch = await this.store.eventsAfter(this.position, size);
          if (batch.length === 0 || this.stopped) break;
          await this.options.deliver(batch);
          this.position = batch[batch.length - 1].id;
          if (batch.length < size) break;
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.options.logger?.warn('event log follower: reading or delivering failed; tried again at the next wake', { after: this.position, error: String(err) });
    }
  }
}
