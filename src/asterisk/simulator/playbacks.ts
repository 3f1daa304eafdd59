import type { Pbx } from './pbx';
import type { AriEvent } from './types';

const SCHEMES = new Set(['sound', 'digits', 'number', 'tone', 'recording', 'characters']);

/**
 * A playback on a channel. Media items play one after another (PlaybackStarted, PlaybackContinuing per
 * further item, PlaybackFinished); playbacks on one channel wait their turn. Events travel on the
 * channel's topic, like Asterisk's channel blobs.
 */
export class SimPlayback {
  state: 'queued' | 'playing' | 'continuing' | 'done' | 'failed' = 'queued';
  private index = 0;
  private cancel: () => void = () => undefined;

  constructor(
    private readonly pbx: Pbx,
    readonly id: string,
    readonly channelId: string,
    readonly media: string[],
    readonly language: string,
  ) {}

  toJson(): Record<string, unknown> {
    const json: Record<string, unknown> = { id: this.id, media_uri: this.media[this.index] };
    if (this.index + 1 < this.media.length) json.next_media_uri = this.media[this.index + 1];
    return { ...json, target_uri: `channel:${this.channelId}`, language: this.language, state: this.state };
  }

  /** The URI scheme of the item playing now, or null when nothing plays. */
  playingScheme(): string | null {
    return this.state === 'playing' || this.state === 'continuing' ? this.media[this.index].split(':')[0] : null;
  }

  /** Queue it; it starts when no other playback plays on the channel. */
  enqueue(): void {
    this.pbx.playbacks.set(this.id, this);
    this.pbx.defer(() => {
      if (this.state === 'queued' && !this.othersPlaying()) this.start();
    });
  }

  private othersPlaying(): boolean {
    for (const p of this.pbx.playbacks.values()) {
      if (p !== this && p.channelId === this.channelId && (p.state === 'playing' || p.state === 'continuing')) return true;
    }
    return false;
  }

  private start(): void {
    this.state = 'playing';
    this.publish('PlaybackStarted');
    this.playItem();
  }

  private playItem(): void {
    const scheme = this.media[this.index].split(':')[0];
    if (!SCHEMES.has(scheme)) {
      this.state = 'failed';
      this.end();
      return;
    }
    this.cancel = this.pbx.after(this.pbx.opts.playbackMs, () => {
      if (this.index + 1 < this.media.length) {
        this.index++;
        this.state = 'continuing';
        this.publish('PlaybackContinuing');
        this.state = 'playing';
        this.playItem();
      } else {
        this.state = 'done';
        this.end();
      }
    });
  }

  /** Stopped (DELETE /playbacks/{id}) or its channel left Stasis / hung up. */
  finish(): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.cancel();
    const wasQueued = this.state === 'queued';
    this.state = 'done';
    if (wasQueued) {
      this.pbx.playbacks.delete(this.id);
      return;
    }
    this.end();
  }

  private end(): void {
    this.publish('PlaybackFinished');
    this.pbx.playbacks.delete(this.id);
    const nextUp = [...this.pbx.playbacks.values()].find((p) => p.channelId === this.channelId && p.state === 'queued');
    if (nextUp) this.pbx.defer(() => nextUp.state === 'queued' && nextUp.start());
  }

  private publish(type: string): void {
    const event: AriEvent = { type, timestamp: this.pbx.timestamp(), playback: this.toJson() };
    this.pbx.publish(event, { channels: [this.channelId] });
  }
}
