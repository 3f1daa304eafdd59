import { randomUUID } from 'node:crypto';
import { CallerGoneError, type CallerSession, type SpokenTime } from '../pbx/gateway';
import { AriRequestError, type AriRest } from './ari-rest';
import type { EventRoutes } from './event-routes';
import type { ChannelEvent, Dial } from './events';
import { describeError, type AdapterLogger } from './logging';
import { timeSounds } from './say-time';

export interface SessionDeps {
  rest: AriRest;
  routes: EventRoutes;
  log: AdapterLogger;
  /** Longest a single prompt may take before we stop waiting for its PlaybackFinished. */
  maxPromptMs: number;
}

/**
 * The caller's side of an IVR dialog on one ARI channel in Stasis.
 *
 * Digits are collected from the moment the session exists, so a caller who keys ahead while a
 * prompt plays is not lost. A digit stops the prompt that is playing and skips the prompts that
 * follow until the digits are read (barge-in): the caller already knows what to press.
 */
export class AriCallerSession implements CallerSession {
  private gone = false;
  private closed = false;
  private readonly buffered: string[] = [];
  private readonly onGone = new Set<() => void>();
  private onDigit: (() => void) | null = null;
  private interruptPrompt: (() => Promise<void>) | null = null;
  /** Moves when prompts are stopped from outside, so the rest of a play() in progress is skipped. */
  private promptGeneration = 0;
  private readonly unwatch: () => void;

  constructor(
    readonly channelId: string,
    private readonly callId: string,
    private readonly deps: SessionDeps,
  ) {
    this.unwatch = deps.routes.watchChannel(channelId, (event) => this.onEvent(event));
  }

  /** True once the channel hung up or left the application. */
  isGone(): boolean {
    return this.gone;
  }

  /** Stop listening to the channel (it goes on elsewhere, e.g. continued into the dialplan). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
  }

  async answer(): Promise<void> {
    this.ensurePresent();
    await this.request(() => this.deps.rest.answer(this.channelId));
  }

  async play(prompts: readonly string[]): Promise<void> {
    const generation = this.promptGeneration;
    for (const name of prompts) {
      this.ensurePresent();
      if (this.buffered.length > 0 || generation !== this.promptGeneration) return;
      await this.playMedia(`sound:${name}`);
    }
    this.ensurePresent();
  }

  /**
   * Digits as one playback of the core sounds digits/N. Asterisk cannot stop a `digits:` playback
   * (DELETE /playbacks answers "Could not stop playback" and every digit still plays), while a
   * playback of sound files stops at once: a key pressed during the read-out cuts it short.
   */
  async sayDigits(digits: string): Promise<void> {
    this.ensurePresent();
    const media = digitSounds(digits);
    if (media.length === 0 || this.buffered.length > 0) return;
    await this.playMedia(media.join(','));
    this.ensurePresent();
  }

  /** A day and time as one playback of core sounds, cut short by a key like the digits are. */
  async sayTime(time: SpokenTime): Promise<void> {
    this.ensurePresent();
    if (this.buffered.length > 0) return;
    await this.playMedia(timeSounds(time).join(','));
    this.ensurePresent();
  }

  /** Stop the prompt playing now and skip the rest of the play() it belongs to. */
  async stopPrompts(): Promise<void> {
    this.promptGeneration++;
    await this.interruptPrompt?.();
  }

  readDigits(opts: { max: number; terminator?: string; firstDigitMs: number; interDigitMs: number }): Promise<string> {
    this.ensurePresent();
    return new Promise<string>((resolve, reject) => {
      let collected = '';
      let finished = false;
      let timer: NodeJS.Timeout | null = null;
      const finish = (err?: Error) => {
        if (finished) return;
        finished = true;
        if (timer) clearTimeout(timer);
        this.onDigit = null;
        this.onGone.delete(gone);
        if (err) reject(err);
        else resolve(collected);
      };
      const gone = () => finish(new CallerGoneError(this.callId));
      const arm = (ms: number) => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => finish(), Math.max(0, ms));
      };
      const take = () => {
        while (!finished && this.buffered.length > 0) {
          const digit = this.buffered.shift() as string;
          if (opts.terminator && digit === opts.terminator) return finish();
          collected += digit;
          if (collected.length >= opts.max) return finish();
          arm(opts.interDigitMs);
        }
      };
      this.onGone.add(gone);
      this.onDigit = take;
      arm(opts.firstDigitMs);
      take();
    });
  }

  async hangup(): Promise<void> {
    this.ensurePresent();
    await this.request(() => this.deps.rest.hangup(this.channelId));
    this.markGone();
  }

  private onEvent(event: ChannelEvent | Dial): void {
    switch (event.type) {
      case 'ChannelDtmfReceived':
        this.buffered.push(event.digit);
        void this.interruptPrompt?.();
        this.onDigit?.();
        return;
      case 'ChannelHangupRequest':
      case 'StasisEnd':
      case 'ChannelDestroyed':
        this.markGone();
        return;
      default:
        return;
    }
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    for (const notify of [...this.onGone]) notify();
    this.onGone.clear();
  }

  private ensurePresent(): void {
    if (this.gone) throw new CallerGoneError(this.callId);
  }

  /** Run a request; a channel that vanished under it means the caller is gone. */
  private async request<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (this.gone || (err instanceof AriRequestError && err.gone)) {
        this.markGone();
        throw new CallerGoneError(this.callId);
      }
      throw err;
    }
  }

  /** Resolves when the prompt finished, was interrupted by a digit, or took too long. */
  private playMedia(media: string): Promise<void> {
    const playbackId = randomUUID();
    const { rest, routes, log, maxPromptMs } = this.deps;
    return new Promise<void>((resolve, reject) => {
      let finished = false;
      const finish = (err?: Error) => {
        if (finished) return;
        finished = true;
        clearTimeout(limit);
        unwatchPlayback();
        this.onGone.delete(gone);
        if (this.interruptPrompt === interrupt) this.interruptPrompt = null;
        if (err) reject(err);
        else resolve();
      };
      const gone = () => finish(new CallerGoneError(this.callId));
      const interrupt = async () => {
        finish();
        await rest.stopPlayback(playbackId).catch((err: unknown) => log.debug('stopping a prompt failed', { error: describeError(err) }));
      };
      const limit = setTimeout(() => {
        log.warn('prompt did not report its end; going on', { media, playbackId });
        finish();
      }, maxPromptMs);
      const unwatchPlayback = routes.watchPlayback(playbackId, (event) => {
        if (event.type !== 'PlaybackFinished') return;
        if (event.playback.state === 'failed') log.warn('prompt could not be played', { media });
        finish();
      });
      this.onGone.add(gone);
      this.interruptPrompt = interrupt;
      this.request(() => rest.play(this.channelId, media, playbackId)).catch((err: unknown) =>
        finish(err instanceof Error ? err : new Error(describeError(err))),
      );
    });
  }
}

const DIGIT_SOUNDS: Record<string, string> = { '*': 'digits/star', '#': 'digits/pound' };

/** sound: URIs that say `digits` one by one (anything that is not a digit, * or # is skipped). */
export function digitSounds(digits: string): string[] {
  return [...digits].filter((d) => /[0-9*#]/.test(d)).map((d) => `sound:${DIGIT_SOUNDS[d] ?? `digits/${d}`}`);
}
