import { EventEmitter } from 'node:events';
import { ariTimestamp } from './format';
import type { Step } from './runner';
import type { ChannelState } from './types';

export interface DialplanLocation {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

export interface GosubFrame {
  returnTo: { context: string; exten: string; priority: number };
  args: string[];
}

/**
 * How a channel's life is driven. `dialplan`: it runs the dialplan in its own PBX (callers, the ;2 half of
 * a Local pair); when that ends Asterisk soft-hangs it up (cause 16 flag) and runs its hangup handlers.
 * `continued`: an originated channel that left Stasis by `continue`; its dialplan runs inside Stasis, so
 * there is no soft hangup at the end and STASISSTATUS is only set when it is gone. `none`: driven by
 * whoever dialled it (originate, queue) or by Stasis.
 */
export type PbxKind = 'dialplan' | 'continued' | 'none';

/** Who placed the call on this channel and waits for it to ring, answer or fail. */
export interface DialOwner {
  onRinging?(): void;
  onAnswered?(): void;
  onRefused?(status: 'BUSY' | 'CONGESTION'): void;
}

export interface StasisState {
  app: string;
  args: string[];
  /** Entered by ARI originate (no dialplan PBX of its own) rather than by Stasis() in the dialplan. */
  originated: boolean;
  /** POST /channels/{id}/continue: leave Stasis for this dialplan location. */
  resume: (target: { context: string; exten: string; priority: number }) => void;
}

/** The dialplan a scripted Local destination runs on its ;2 half (`Local/busy@outcomes`). */
export interface LocalScript {
  context: string;
  exten: string;
  steps: Step[];
}

export class SimChannel {
  state: ChannelState;
  caller = { name: '', number: '' };
  connected = { name: '', number: '' };
  dialplan: DialplanLocation;
  readonly vars = new Map<string, string>();
  linkedid: string;
  /** The other half of a Local pair. */
  partner: SimChannel | null = null;
  half: 1 | 2 | null = null;
  hangupCause = 0;
  hangupRequested = false;
  hangupHow: 'explicit' | 'queued' | null = null;
  destroyed = false;
  pbxKind: PbxKind = 'none';
  frames: GosubFrame[] = [];
  hangupHandlers: Array<{ context: string; exten: string; priority: number }> = [];
  /** Set by whatever currently holds the channel (a blocking dialplan app, Stasis, a dialer); runs on hangup. */
  interrupt: (() => void) | null = null;
  dialOwner: DialOwner | null = null;
  /** Digits a blocking app listens to (Queue's exit keys). */
  dtmfHandler: ((digit: string) => void) | null = null;
  stasis: StasisState | null = null;
  bridgeId: string | null = null;
  localScript: LocalScript | null = null;
  language = 'en';
  readonly life = new EventEmitter();

  constructor(
    readonly id: string,
    public name: string,
    readonly tech: string,
    readonly createdAt: number,
    state: ChannelState,
    dialplan: { context: string; exten: string; priority: number },
  ) {
    this.state = state;
    this.linkedid = id;
    this.dialplan = { ...dialplan, app_name: '', app_data: '' };
  }

  get alive(): boolean {
    return !this.destroyed;
  }

  snapshot(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      protocol_id: '',
      caller: { ...this.caller },
      connected: { ...this.connected },
      accountcode: '',
      dialplan: { ...this.dialplan },
      creationtime: ariTimestamp(this.createdAt),
      language: this.language,
    };
  }

  /** A variable as the dialplan stores it: leading `_`/`__` (inheritance marks) are not part of the name. */
  getVar(name: string): string | undefined {
    return this.vars.get(stripInheritance(name));
  }
}

export function stripInheritance(name: string): string {
  return name.replace(/^_{1,2}/, '');
}

export class ChannelRegistry {
  private readonly byId = new Map<string, SimChannel>();

  add(ch: SimChannel): void {
    this.byId.set(ch.id, ch);
  }

  remove(ch: SimChannel): void {
    if (this.byId.get(ch.id) === ch) this.byId.delete(ch.id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Asterisk finds channels by unique id or by name. */
  find(idOrName: string): SimChannel | undefined {
    const direct = this.byId.get(idOrName);
    if (direct) return direct;
    for (const ch of this.byId.values()) if (ch.name === idOrName) return ch;
    return undefined;
  }

  all(): SimChannel[] {
    return [...this.byId.values()];
  }
}
