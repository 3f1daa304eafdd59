import { clip, MAX_TEXT_LENGTH, normaliseChannel, type AriChannel } from './events';

/**
 * The ARI requests the adapter makes, over the operations ari-client builds from Asterisk's
 * swagger. Two ari-client habits shape this file: it rejects with `Error(<response body>)`, so the
 * status is inferred from the body Asterisk sends; and a request whose connection fails neither
 * resolves nor rejects (its HTTP layer drops socket errors), so every call has a deadline.
 */

/** The subset of an ari-client instance we call (ari-client ships no types). */
export interface AriClientLike {
  channels: Record<string, (params: Record<string, unknown>) => PromiseLike<unknown>>;
  bridges: Record<string, (params: Record<string, unknown>) => PromiseLike<unknown>>;
  applications: Record<string, (params: Record<string, unknown>) => PromiseLike<unknown>>;
  playbacks: Record<string, (params: Record<string, unknown>) => PromiseLike<unknown>>;
  asterisk: Record<string, (params: Record<string, unknown>) => PromiseLike<unknown>>;
}

/** The reason of a request refused locally because no ARI connection is up. */
export const NOT_CONNECTED = 'not connected';

/** Every operation AriRest calls: an API description without one of them is not usable. */
const REQUIRED_OPERATIONS: Record<keyof AriClientLike, readonly string[]> = {
  channels: ['originate', 'get', 'list', 'getChannelVar', 'hangup', 'answer', 'continueInDialplan', 'play'],
  bridges: ['create', 'get', 'addChannel', 'destroy'],
  applications: ['subscribe'],
  playbacks: ['stop'],
  asterisk: ['getGlobalVar', 'setGlobalVar'],
};

/** `resource.operation` names the client lacks (a description that loaded but is incomplete). */
export function missingOperations(client: unknown): string[] {
  const resources = (typeof client === 'object' && client !== null ? client : {}) as Record<string, unknown>;
  const missing: string[] = [];
  for (const [resource, operations] of Object.entries(REQUIRED_OPERATIONS)) {
    const ops = resources[resource] as Record<string, unknown> | undefined;
    for (const op of operations) if (typeof ops?.[op] !== 'function') missing.push(`${resource}.${op}`);
  }
  return missing;
}

/** Longest Asterisk message kept in an AriRequestError: a proxy's HTML error page is not a reason. */
const MAX_REASON_LENGTH = 300;

/**
 * The body connection.ts hands ari-client in place of a 2xx answer it could not read (see the
 * swagger-client guard there), so toRequestError can tell "answered, unreadable" from a refusal.
 */
export function unreadableAnswerBody(status: number | undefined, cause: string): string {
  return JSON.stringify({ message: `the answer could not be read (${clip(cause, MAX_REASON_LENGTH)})`, status: status ?? null, callbackdUnreadable: true });
}

export class AriRequestError extends Error {
  constructor(
    readonly operation: string,
    /** HTTP status when known; null when the request got no answer. */
    readonly status: number | null,
    /** Asterisk's message ("Channel not found", "Allocation failed"), or what went wrong on the way. */
    readonly reason: string,
    /** True when no answer came (not connected, timed out): the request may or may not have happened. */
    readonly unanswered: boolean,
  ) {
    super(`ARI ${operation}: ${status ?? 'no answer'} ${reason}`);
    this.name = 'AriRequestError';
  }

  /** The resource (channel, bridge, variable, playback) does not exist, or is no longer ours. */
  get gone(): boolean {
    // No (readable) answer says nothing about the resource, whatever words the reason holds.
    if (this.unanswered) return false;
    return this.status === 404 || this.status === 422 || /not found|not in stasis/i.test(this.reason);
  }
}

export interface OriginateParams {
  endpoint: string;
  app: string;
  appArgs: string;
  channelId: string;
  otherChannelId?: string;
  /** Seconds; -1 = no limit. */
  timeout: number;
  callerId?: string;
  variables?: Record<string, string>;
}

export interface DialplanTarget {
  context: string;
  extension: string;
  priority: number;
}

/** Read a failure from ari-client: Error(body text), a raw swagger response, or a string. */
export function toRequestError(operation: string, err: unknown): AriRequestError {
  if (err instanceof AriRequestError) return err;
  let status: number | null = null;
  let text: string;
  if (err instanceof Error) text = err.message;
  else if (typeof err === 'string') text = err;
  else if (typeof err === 'object' && err !== null) {
    const raw = err as { status?: unknown; data?: unknown };
    status = typeof raw.status === 'number' ? raw.status : null;
    text = raw.data === undefined || raw.data === null ? '' : String(raw.data);
  } else text = String(err);

  let reason = text;
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown; status?: unknown; callbackdUnreadable?: unknown };
    if (body?.callbackdUnreadable === true && typeof body.message === 'string') {
      // The request went out and something came back: it may have happened (see `unanswered`).
      return new AriRequestError(operation, typeof body.status === 'number' ? body.status : null, body.message, true);
    }
    if (typeof body?.message === 'string') reason = body.message;
    else if (typeof body?.error === 'string') reason = body.error;
  } catch {
    // not a JSON body: keep the text as it is
  }
  reason = clip(reason, MAX_REASON_LENGTH);
  if (status === null) status = inferStatus(reason);
  return new AriRequestError(operation, status, reason, false);
}

/** Asterisk's ARI error messages are stable; map the ones whose status matters to us. */
function inferStatus(reason: string): number | null {
  if (/not found/i.test(reason)) return 404;
  // applications.subscribe names a channel that is gone this way.
  if (/event source does not exist/i.test(reason)) return 422;
  if (/not in stasis/i.test(reason)) return 422;
  if (/allocation failed/i.test(reason)) return 500;
  if (/already exists/i.test(reason)) return 409;
  return null;
}

export class AriRest {
  constructor(
    private readonly client: () => AriClientLike | null,
    private readonly app: string,
    private readonly timeoutMs: number,
  ) {}

  async originate(p: OriginateParams): Promise<AriChannel> {
    const params: Record<string, unknown> = {
      endpoint: p.endpoint,
      app: p.app,
      appArgs: p.appArgs,
      channelId: p.channelId,
      timeout: p.timeout,
    };
    if (p.otherChannelId) params.otherChannelId = p.otherChannelId;
    if (p.callerId) params.callerId = p.callerId;
    if (p.variables && Object.keys(p.variables).length > 0) params.variables = p.variables;
    return (await this.call('channels', 'originate', params)) as AriChannel;
  }

  /** The channel, or null when Asterisk no longer has it. */
  async getChannel(channelId: string): Promise<AriChannel | null> {
    let raw: unknown;
    try {
      raw = await this.call('channels', 'get', { channelId });
    } catch (err) {
      if (err instanceof AriRequestError && err.status === 404) return null;
      throw err;
    }
    // ari-client turns a `null` body into a channel with a made-up id; anything but the channel asked for is unreadable.
    const channel = normaliseChannel(raw);
    if (!channel || channel.id !== channelId) throw new AriRequestError('channels.get', 200, 'the answer is not the channel asked for', true);
    return channel;
  }

  /** A channel variable or dialplan function; null when not set (404). */
  async getVariable(channelId: string, variable: string): Promise<string | null> {
    try {
      const res = (await this.call('channels', 'getChannelVar', { channelId, variable })) as { value?: unknown } | null;
      return typeof res?.value === 'string' ? clip(res.value, MAX_TEXT_LENGTH) : null;
    } catch (err) {
      if (err instanceof AriRequestError && /variable/i.test(err.reason) && err.status === 404) return null;
      throw err;
    }
  }

  /** Hang up; true if it was there. A channel already gone is not an error. */
  async hangup(channelId: string): Promise<boolean> {
    try {
      await this.call('channels', 'hangup', { channelId, reason: 'normal' });
      return true;
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) return false;
      throw err;
    }
  }

  async answer(channelId: string): Promise<void> {
    await this.call('channels', 'answer', { channelId });
  }

  /** Leave Stasis: at the next priority, or at `target`. */
  async continueInDialplan(channelId: string, target?: DialplanTarget): Promise<void> {
    await this.call('channels', 'continueInDialplan', target ? { channelId, ...target } : { channelId });
  }

  async play(channelId: string, media: string, playbackId: string): Promise<void> {
    await this.call('channels', 'play', { channelId, media, playbackId });
  }

  async stopPlayback(playbackId: string): Promise<void> {
    try {
      await this.call('playbacks', 'stop', { playbackId });
    } catch (err) {
      if (!(err instanceof AriRequestError && err.gone)) throw err;
    }
  }

  /** Keep receiving a channel's events after it leaves Stasis (the subscription outlives StasisEnd). */
  async subscribeChannel(channelId: string): Promise<void> {
    await this.call('applications', 'subscribe', { applicationName: this.app, eventSource: `channel:${channelId}` });
  }

  /** A bridge of that id already there (an adopted attempt that was bridged before) is fine. */
  async createBridge(bridgeId: string, name: string): Promise<void> {
    try {
      await this.call('bridges', 'create', { type: 'mixing', bridgeId, name });
    } catch (err) {
      if (!(err instanceof AriRequestError && err.status === 409)) throw err;
    }
  }

  /** Asterisk takes `channel` as a comma-separated query parameter; a JSON body is refused. */
  async addToBridge(bridgeId: string, channelIds: readonly string[]): Promise<void> {
    await this.call('bridges', 'addChannel', { bridgeId, channel: channelIds.join(',') });
  }

  /** Stasis bridges outlive their channels, so they are deleted by hand; gone already is fine. */
  async destroyBridge(bridgeId: string): Promise<void> {
    try {
      await this.call('bridges', 'destroy', { bridgeId });
    } catch (err) {
      if (!(err instanceof AriRequestError && err.gone)) throw err;
    }
  }

  /** Every channel on Asterisk (reconcile looks for callers left in the application). */
  async listChannels(): Promise<AriChannel[]> {
    const list = await this.call('channels', 'list', {});
    // Each entry is read like an event's channel: right types and sizes, unusable ones left out.
    return Array.isArray(list) ? list.map((raw) => normaliseChannel(raw)).filter((c): c is AriChannel => c !== null) : [];
  }

  /** The channels in the bridge; null when there is no such bridge. */
  async getBridge(bridgeId: string): Promise<{ channels: string[] } | null> {
    try {
      const bridge = (await this.call('bridges', 'get', { bridgeId })) as { channels?: unknown } | null;
      const channels = Array.isArray(bridge?.channels) ? bridge.channels.filter((c): c is string => typeof c === 'string') : [];
      return { channels };
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) return null;
      throw err;
    }
  }

  async bridgeExists(bridgeId: string): Promise<boolean> {
    return (await this.getBridge(bridgeId)) !== null;
  }

  /** A global dialplan variable; null when unset or empty. */
  async getGlobal(variable: string): Promise<string | null> {
    try {
      const answer = (await this.call('asterisk', 'getGlobalVar', { variable })) as { value?: unknown } | null;
      const value = answer && typeof answer.value === 'string' ? answer.value : '';
      return value === '' ? null : value;
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) return null;
      throw err;
    }
  }

  /** Delete a global dialplan variable (a set without a value deletes it). */
  async unsetGlobal(variable: string): Promise<void> {
    await this.call('asterisk', 'setGlobalVar', { variable });
  }

  private call(resource: keyof AriClientLike, operation: string, params: Record<string, unknown>): Promise<unknown> {
    const name = `${resource}.${operation}`;
    const client = this.client();
    if (!client) return Promise.reject(new AriRequestError(name, null, NOT_CONNECTED, true));
    const op = client[resource]?.[operation];
    if (typeof op !== 'function') return Promise.reject(new AriRequestError(name, null, 'operation missing from the API description', false));
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new AriRequestError(name, null, `no answer within ${this.timeoutMs} ms`, true)), this.timeoutMs);
      let pending: PromiseLike<unknown>;
      try {
        pending = op.call(client[resource], params);
      } catch (err) {
        clearTimeout(timer);
        reject(toRequestError(name, err));
        return;
      }
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(toRequestError(name, err));
        },
      );
    });
  }
}
