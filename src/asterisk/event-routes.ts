import { channelIdsOf, isPlaybackEvent, type AriEvent, type Dial, type ChannelEvent, type PlaybackEvent } from './events';
import { describeError, type AdapterLogger } from './logging';

export type ChannelHandler = (event: ChannelEvent | Dial) => void | Promise<void>;
export type PlaybackHandler = (event: PlaybackEvent) => void;

/**
 * Who listens to which channel or playback. Watches are registered under ids chosen before the
 * request that creates the channel, because Asterisk can send its events before answering the
 * request. A failing handler is logged and does not stop the others.
 */
export class EventRoutes {
  private readonly channels = new Map<string, Set<ChannelHandler>>();
  private readonly playbacks = new Map<string, PlaybackHandler>();

  constructor(private readonly log: AdapterLogger) {}

  /** Returns the function that ends the watch. */
  watchChannel(channelId: string, handler: ChannelHandler): () => void {
    let set = this.channels.get(channelId);
    if (!set) {
      set = new Set();
      this.channels.set(channelId, set);
    }
    set.add(handler);
    return () => {
      const current = this.channels.get(channelId);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) this.channels.delete(channelId);
    };
  }

  watchPlayback(playbackId: string, handler: PlaybackHandler): () => void {
    this.playbacks.set(playbackId, handler);
    return () => {
      if (this.playbacks.get(playbackId) === handler) this.playbacks.delete(playbackId);
    };
  }

  isWatched(channelId: string): boolean {
    return this.channels.has(channelId);
  }

  deliver(event: AriEvent): void {
    if (isPlaybackEvent(event)) {
      const handler = this.playbacks.get(event.playback.id);
      if (handler) this.run(event.type, () => handler(event));
      return;
    }
    for (const id of new Set(channelIdsOf(event))) {
      const set = this.channels.get(id);
      if (!set) continue;
      for (const handler of [...set]) this.run(event.type, () => handler(event));
    }
  }

  private run(type: string, fn: () => void | Promise<void>): void {
    try {
      const result = fn();
      if (result && typeof result.then === 'function') {
        result.then(undefined, (err: unknown) => this.log.error('ARI event handler failed', { type, error: describeError(err) }));
      }
    } catch (err) {
      this.log.error('ARI event handler failed', { type, error: describeError(err) });
    }
  }
}
