import fs from 'node:fs';
import type { AriEvent, AriSimulator } from '../asterisk/simulator';
import type { BridgeEntry, ConversationRecord, EndState, OriginateRecord, StasisStay } from './records';

/**
 * Facts the simulator does not keep with a time of its own: when a channel entered a bridge and
 * when it was inside the daemon's application. The simulator reports every event it publishes,
 * whether or not the daemon is connected to receive it, so these are complete across kills.
 */
export class Recorder {
  readonly bridgeEntries: BridgeEntry[] = [];
  private readonly stays = new Map<string, StasisStay[]>();
  private readonly prompts = new Map<string, number[]>();
  private readonly listener: (ev: AriEvent) => void;

  constructor(private readonly sim: AriSimulator) {
    this.listener = (ev) => this.onEvent(ev);
    sim.on('ari-event', this.listener);
  }

  detach(): void {
    this.sim.off('ari-event', this.listener);
  }

  staysOf(channelId: string): StasisStay[] {
    return (this.stays.get(channelId) ?? []).map((s) => ({ ...s }));
  }

  heardBy(channelId: string): number[] {
    return [...(this.prompts.get(channelId) ?? [])];
  }

  private onEvent(ev: AriEvent): void {
    if (ev.type === 'PlaybackStarted') {
      const target = (ev.playback as { target_uri?: string } | undefined)?.target_uri ?? '';
      if (!target.startsWith('channel:')) return;
      const id = target.slice('channel:'.length);
      const list = this.prompts.get(id) ?? [];
      list.push(Date.now());
      this.prompts.set(id, list);
      return;
    }
    const channel = ev.channel as { id?: string } | undefined;
    const id = channel?.id;
    if (!id) return;
    switch (ev.type) {
      case 'ChannelEnteredBridge': {
        const bridge = ev.bridge as { id?: string } | undefined;
        this.bridgeEntries.push({ channelId: id, bridgeId: bridge?.id ?? '', at: Date.now() });
        return;
      }
      case 'StasisStart': {
        const args = Array.isArray(ev.args) ? (ev.args as unknown[]).map(String).join(',') : '';
        const list = this.stays.get(id) ?? [];
        list.push({ args, start: Date.now(), end: null });
        this.stays.set(id, list);
        return;
      }
      case 'StasisEnd':
      case 'ChannelDestroyed': {
        const open = this.stays.get(id)?.find((s) => s.end === null);
        if (open) open.end = Date.now();
        return;
      }
      default:
        return;
    }
  }
}

const ORIGINATE_PATH = /^\/channels(?:\/([^/]+))?$/;

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function channelIdOf(path: string, query: Record<string, unknown>, body: unknown): string | null {
  const m = ORIGINATE_PATH.exec(path);
  if (m?.[1]) return m[1];
  const fromBody = body && typeof body === 'object' ? text((body as Record<string, unknown>).channelId) : null;
  return fromBody ?? text(query.channelId);
}

function variablesOf(o: Record<string, unknown>): Record<string, unknown> {
  const vars = o.variables;
  if (!vars || typeof vars !== 'object') return {};
  const inner = (vars as Record<string, unknown>).variables;
  return (inner && typeof inner === 'object' ? inner : vars) as Record<string, unknown>;
}

/**
 * Every originate with the time it reached the PBX. The originate log has the parameters, the
 * request log the time and the answer; both are in arrival order and both name the channel id.
 */
export function originateRecords(sim: AriSimulator): OriginateRecord[] {
  const timed = new Map<string, Array<{ at: number; status: number }>>();
  for (const r of sim.requests()) {
    if (r.method !== 'POST' || !ORIGINATE_PATH.test(r.path) || /\/(create|externalMedia)$/.test(r.path)) continue;
    const id = channelIdOf(r.path, r.query, r.body) ?? '';
    const list = timed.get(id) ?? [];
    list.push({ at: r.at, status: r.status });
    timed.set(id, list);
  }
  return sim.originations().map((o) => {
    const channelId = text(o.channelId);
    const time = timed.get(channelId ?? '')?.shift();
    const vars = variablesOf(o);
    return {
      at: time?.at ?? Number.NaN,
      endpoint: String(o.endpoint ?? ''),
      channelId,
      callbackId: text(vars.CB_ID),
      attemptId: text(vars.CB_ATTEMPT),
      status: time?.status ?? 0,
    };
  });
}

export function conversationRecords(sim: AriSimulator): ConversationRecord[] {
  return sim.conversations().map((c) => ({ channelId: c.channelId, number: c.number, queue: c.queue, placeholderFor: c.placeholderFor, answeredAt: c.answeredAt, endedAt: c.endedAt }));
}

export function endState(sim: AriSimulator, queues: readonly string[]): EndState {
  return {
    at: Date.now(),
    queueEntries: queues.flatMap((queue) => sim.queueEntries(queue).map((e) => ({ queue, channelId: e.channelId, placeholderFor: e.placeholderFor }))),
    channels: sim.channels().map((c) => {
      const dialplan = (c.dialplan ?? {}) as { app_name?: string; app_data?: string };
      return { id: String(c.id), appName: dialplan.app_name ?? '', appData: dialplan.app_data ?? '' };
    }),
  };
}

/** The message of every error-level JSON line of the daemon's log, with its first line of error text. */
export function logErrors(file: string): string[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"level":"error"')) continue;
    try {
      const entry = JSON.parse(line) as { message?: string; error?: string };
      const error = String(entry.error ?? '').split('\n')[0].replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '…');
      out.push(`${entry.message ?? '?'}${error ? ` (${error})` : ''}`);
    } catch {
      out.push('an unreadable error line');
    }
  }
  return out;
}
