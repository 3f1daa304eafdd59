import { SimChannel } from './channels';
import type { Pbx } from './pbx';

/**
 * Local channels: two halves joined back to back. What the ;2 half does in its dialplan (ringing,
 * answering, refusing) is what the party that dialled the ;1 half sees.
 */
export interface LocalTarget {
  exten: string;
  context: string;
  /** `/n` and friends, kept in the Dial event's dialstring. */
  options: string;
}

/** `answer@outcomes/n` → exten, context, options. */
export function parseLocalResource(resource: string): LocalTarget | null {
  const slash = resource.indexOf('/');
  const main = slash < 0 ? resource : resource.slice(0, slash);
  const options = slash < 0 ? '' : resource.slice(slash + 1);
  const at = main.lastIndexOf('@');
  if (at <= 0 || at === main.length - 1) return null;
  return { exten: main.slice(0, at), context: main.slice(at + 1), options };
}

export function localDialstring(t: LocalTarget): string {
  return `${t.exten}@${t.context}${t.options ? `/${t.options}` : ''}`;
}

/**
 * Create and register both halves (ChannelCreated ×2). Ids: `id1` or a unique id; the ;2 half is
 * `id2`, else `<id1>;2` when the id was chosen by the requester (as Asterisk does), else a unique id.
 */
export function newLocalPair(pbx: Pbx, t: LocalTarget, id1?: string, id2?: string): [SimChannel, SimChannel] {
  const suffix = pbx.nameSuffix();
  const base = `Local/${t.exten}@${t.context}-${suffix}`;
  const now = pbx.now();
  const firstId = id1 || pbx.uniqueId();
  const secondId = id2 || (id1 ? `${id1};2` : pbx.uniqueId());
  const at = { context: t.context, exten: t.exten, priority: 1 };
  const one = new SimChannel(firstId, `${base};1`, 'Local', now, 'Down', at);
  const two = new SimChannel(secondId, `${base};2`, 'Local', now, 'Ring', at);
  one.partner = two;
  two.partner = one;
  one.half = 1;
  two.half = 2;
  two.linkedid = one.linkedid;
  pbx.channels.add(one);
  pbx.channels.add(two);
  pbx.publishChannel('ChannelCreated', one);
  pbx.publishChannel('ChannelCreated', two);
  return [one, two];
}

/** Answer a channel; answering a ;2 half answers the call its ;1 half was carrying. */
export function answer(pbx: Pbx, ch: SimChannel): void {
  if (!ch.alive || ch.state === 'Up') return;
  pbx.setState(ch, 'Up');
  const other = ch.partner;
  if (ch.half === 2 && other && other.alive && other.state !== 'Up') {
    pbx.setState(other, 'Up');
    const owner = other.dialOwner;
    other.dialOwner = null;
    owner?.onAnswered?.();
  }
}

export function indicateRinging(ch: SimChannel): void {
  const other = ch.partner;
  if (ch.half === 2 && other?.alive) other.dialOwner?.onRinging?.();
}

export function indicateRefused(ch: SimChannel, status: 'BUSY' | 'CONGESTION'): void {
  const other = ch.partner;
  if (ch.half === 2 && other?.alive) {
    const owner = other.dialOwner;
    other.dialOwner = null;
    owner?.onRefused?.(status);
  }
}
