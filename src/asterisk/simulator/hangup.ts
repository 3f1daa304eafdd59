import type { SimChannel } from './channels';
import { causeText } from './format';
import type { Pbx } from './pbx';

/**
 * How a channel learns it must hang up.
 * - `explicit`: ARI DELETE (ast_softhangup with the EXPLICIT flag, which the event reports as cause 32).
 * - `queued`: the other half of a Local pair, or the far end, hung up (ast_queue_hangup_with_cause).
 * The channel's current holder (a dialplan app, Stasis, a dialer) then finishes it asynchronously, as the
 * channel's own thread would in Asterisk.
 */
export function requestHangup(pbx: Pbx, ch: SimChannel, how: 'explicit' | 'queued', cause: number): void {
  if (!ch.alive || ch.hangupRequested) return;
  ch.hangupRequested = true;
  ch.hangupHow = how;
  if (how === 'explicit') {
    ch.hangupCause = cause;
    pbx.hangupRequestEvent(ch, 32, true);
  } else {
    if (cause) ch.hangupCause = cause;
    pbx.hangupRequestEvent(ch, cause, false);
  }
  pbx.defer(() => {
    if (!ch.alive) return;
    const holder = ch.interrupt;
    ch.interrupt = null;
    if (holder) holder();
    else destroy(pbx, ch);
  });
}

/**
 * The channel is gone (ast_hangup). A Local pair tears down together: the partner gets a queued hangup
 * with this channel's cause before this channel's ChannelDestroyed, as in the traces.
 */
export function destroy(pbx: Pbx, ch: SimChannel, cause?: number): void {
  if (!ch.alive) return;
  if (cause !== undefined) ch.hangupCause = cause;
  ch.destroyed = true;
  ch.interrupt = null;
  ch.dtmfHandler = null;
  for (const playback of pbx.playbacks.values()) if (playback.channelId === ch.id) playback.finish();
  const partner = ch.partner;
  if (partner && partner.alive) requestHangup(pbx, partner, 'queued', ch.hangupCause);
  pbx.publishChannel('ChannelDestroyed', ch, { cause: ch.hangupCause, cause_txt: causeText(ch.hangupCause) });
  pbx.channels.remove(ch);
  pbx.apps.forget('channel', ch.id);
  ch.life.emit('destroyed', ch.hangupCause);
  pbx.bus.emit('channel-destroyed', ch);
}
