import { randomUUID } from 'node:crypto';
import type { SimChannel } from './channels';
import { ariTimestamp } from './format';
import type { Pbx } from './pbx';
import type { AriEvent } from './types';

/**
 * Bridges. `stasis` bridges are made over ARI and live until DELETE, even empty; `basic` ones are what
 * Queue() makes between a caller and an agent and dissolve when either side leaves.
 */
export class SimBridge {
  readonly channels: string[] = [];

  constructor(
    readonly id: string,
    readonly bridgeClass: 'stasis' | 'basic',
    readonly bridgeType: 'mixing' | 'holding',
    public name: string,
    readonly createdAt: number,
  ) {}

  snapshot(): Record<string, unknown> {
    const stasis = this.bridgeClass === 'stasis';
    return {
      id: this.id,
      technology: this.bridgeType === 'holding' ? 'holding_bridge' : 'simple_bridge',
      bridge_type: this.bridgeType,
      bridge_class: this.bridgeClass,
      creator: stasis ? 'Stasis' : '',
      name: this.name,
      channels: [...this.channels],
      creationtime: ariTimestamp(this.createdAt),
      video_mode: stasis ? 'talker' : 'none',
    };
  }
}

function bridgeEvent(pbx: Pbx, type: string, bridge: SimBridge, ch?: SimChannel): void {
  const event: AriEvent = { type, timestamp: pbx.timestamp(), bridge: bridge.snapshot() };
  if (ch) event.channel = ch.snapshot();
  // Entered/left events are published on the bridge's topic only: a channel subscription does not see them.
  pbx.publish(event, { bridges: [bridge.id] });
}

export function createBridge(pbx: Pbx, opts: { id?: string; bridgeClass: 'stasis' | 'basic'; type?: 'mixing' | 'holding'; name?: string }): SimBridge {
  const bridge = new SimBridge(opts.id || randomUUID(), opts.bridgeClass, opts.type ?? 'mixing', opts.name ?? '', pbx.now());
  pbx.bridges.set(bridge.id, bridge);
  bridgeEvent(pbx, 'BridgeCreated', bridge);
  return bridge;
}

export function joinBridge(pbx: Pbx, bridge: SimBridge, ch: SimChannel): void {
  if (ch.bridgeId === bridge.id) return;
  if (ch.bridgeId) leaveBridge(pbx, ch);
  bridge.channels.push(ch.id);
  ch.bridgeId = bridge.id;
  // A Stasis channel added to a bridge subscribes its application to that bridge.
  if (ch.stasis) pbx.apps.subscribe(ch.stasis.app, 'bridge', bridge.id);
  bridgeEvent(pbx, 'ChannelEnteredBridge', bridge, ch);
  if (bridge.channels.length === 2) {
    const [a, b] = bridge.channels.map((id) => pbx.channels.find(id));
    if (a && b) {
      pbx.setVar(a, 'BRIDGEPEER', b.name);
      pbx.setVar(b, 'BRIDGEPEER', a.name);
    }
  }
}

/** The channel leaves its bridge; `peerCleared` when BRIDGEPEER was already cleared by the caller. */
export function leaveBridge(pbx: Pbx, ch: SimChannel, peerCleared = false): SimBridge | undefined {
  const bridge = ch.bridgeId ? pbx.bridges.get(ch.bridgeId) : undefined;
  ch.bridgeId = null;
  if (!bridge) return undefined;
  const i = bridge.channels.indexOf(ch.id);
  if (i >= 0) bridge.channels.splice(i, 1);
  if (!peerCleared && ch.alive) pbx.setVar(ch, 'BRIDGEPEER', '');
  bridgeEvent(pbx, 'ChannelLeftBridge', bridge, ch);
  if (ch.stasis) pbx.apps.unsubscribe(ch.stasis.app, 'bridge', bridge.id);
  return bridge;
}

/** DELETE /bridges/{id}, or a basic bridge dissolving: remaining channels leave, then BridgeDestroyed. */
export function destroyBridge(pbx: Pbx, bridge: SimBridge): void {
  for (const id of [...bridge.channels]) {
    const ch = pbx.channels.find(id);
    if (ch) leaveBridge(pbx, ch);
    else bridge.channels.splice(bridge.channels.indexOf(id), 1);
  }
  pbx.bridges.delete(bridge.id);
  bridgeEvent(pbx, 'BridgeDestroyed', bridge);
  pbx.apps.forget('bridge', bridge.id);
}
