import type { AriRest } from './ari-rest';
import type { EventRoutes } from './event-routes';
import type { AriChannel } from './events';
import { describeError, type AdapterLogger } from './logging';
import { bridgeIdOf } from './placeholder';

/**
 * Channels of attempts that are over for the engine (their outcome is recorded) but still sit in
 * the application, because the process that followed them died. A customer joined to an agent
 * goes on talking; when either side hangs up, the other goes too and the bridge is deleted (as
 * the attempt would have done). Anything else is hung up: nobody will ever handle it.
 */
export class EndedAttempts {
  private readonly tidying = new Set<string>();

  constructor(
    private readonly rest: AriRest,
    private readonly routes: EventRoutes,
    private readonly log: AdapterLogger,
  ) {}

  async tidy(attemptId: string, channel: AriChannel): Promise<void> {
    if (this.tidying.has(attemptId)) return;
    this.tidying.add(attemptId);
    const log = this.log.child({ attemptId });
    const bridgeId = bridgeIdOf(attemptId);
    const bridge = await this.rest.getBridge(bridgeId);
    const talking = bridge !== null && bridge.channels.length >= 2 && bridge.channels.includes(channel.id);
    if (!talking) {
      log.warn('channel of an attempt that is over: hanging it up', { channelId: channel.id });
      await this.end([channel.id, ...(bridge?.channels ?? [])], bridge ? bridgeId : null);
      this.tidying.delete(attemptId);
      return;
    }
    log.info('a conversation of an attempt that is over goes on; it is cleared when one side hangs up', { channels: bridge.channels });
    const unwatch = bridge.channels.map((id) =>
      this.routes.watchChannel(id, (event) => {
        if (event.type !== 'ChannelDestroyed') return;
        for (const stop of unwatch) stop();
        this.end(bridge.channels, bridgeId)
          .catch((err: unknown) => log.warn('could not clear the conversation', { error: describeError(err) }))
          .finally(() => this.tidying.delete(attemptId));
      }),
    );
    for (const id of bridge.channels) await this.rest.subscribeChannel(id).catch(() => undefined);
  }

  private async end(channels: readonly string[], bridgeId: string | null): Promise<void> {
    for (const id of new Set(channels)) await this.rest.hangup(id).catch((err: unknown) => this.log.debug('hangup failed', { channelId: id, error: describeError(err) }));
    if (bridgeId) await this.rest.destroyBridge(bridgeId).catch((err: unknown) => this.log.debug('could not delete the bridge', { error: describeError(err) }));
  }
}
