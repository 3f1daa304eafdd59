import type { Clock } from '../domain/clock';
import { crashPoint } from '../crash';
import type { Form } from '../domain/types';
import { CallerGoneError, type AfterCalledAgain, type PbxListener, type QueueCallEntered, type QueueCallGone } from '../pbx/gateway';
import { AriRequestError, type AriRest } from './ari-rest';
import { AriCallerSession } from './caller-session';
import { parseInteger, readCallerNumber, readForm } from './channel-vars';
import type { EventRoutes } from './event-routes';
import type { AriChannel, ChannelEvent, ChannelUserevent, Dial } from './events';
import { describeError, type AdapterLogger } from './logging';

export interface ObserveDeps {
  rest: AriRest;
  routes: EventRoutes;
  listener: PbxListener;
  log: AdapterLogger;
  clock: Clock;
  app: string;
  formVariables: readonly string[];
  /** Longest one prompt of the pending-callback offer may take (see SessionDeps). */
  maxPromptMs: number;
}

/** The hangup handler's UserEvent in the shipped dialplan ([callbackd-queue-gone]). */
export const QUEUE_GONE_EVENT = 'CallbackdQueueCallGone';

/** The global variable [callbackd-agent-answered] sets when an agent answers a call callbackd saw. */
export function servedMark(callId: string): string {
  return `CALLBACKD_SERVED_${callId}`;
}

interface WaitingCall {
  callId: string;
  queue: string;
  number: string | null;
  log: AdapterLogger;
  served: boolean;
  abandoned: boolean;
  position: number | null;
  waitSeconds: number | null;
  goneReported: boolean;
  unwatch: () => void;
}

/** What reconcile learned of a call the store believes waiting. */
export type AdoptedCall = 'waiting' | 'gone' | 'served';

/**
 * Queue calls seen through the observe hop: `Stasis(<app>,observe,QUEUE)` once, before Queue().
 * The call is recorded before it is continued, and a caller a dead process left in the hop is
 * continued by the next reconcile, so no caller stays parked. The hop subscribes the application
 * to the channel explicitly: that subscription outlives StasisEnd and keeps the queue's
 * variables, the agent's Dial and the hangup handler's UserEvent coming. A caller with a callback
 * pending may first hear it offered (listener.callerCalledAgain), still parked in the hop.
 */
export class QueueObserver {
  private readonly calls = new Map<string, WaitingCall>();
  /** Channels this process is taking through the hop now. */
  private readonly inHop = new Set<string>();

  constructor(private readonly deps: ObserveDeps) {}

  /** `resumed`: a caller a dead process left in the hop, who has waited enough; no offer, straight on. */
  async onStasisStart(channel: AriChannel, args: readonly string[], resumed = false): Promise<void> {
    const { rest, listener, clock } = this.deps;
    const callId = channel.id;
    if (this.inHop.has(callId)) return;
    this.inHop.add(callId);
    try {
      const at = clock.now();
      const call = this.track(callId, args[1] ?? '', channel.caller?.number || null);
      const form = await this.readCall(call);
      call.log = this.deps.log.child({ callId, queue: call.queue });
      // Recorded before the caller moves on: a daemon that dies from here on leaves a call its
      // successor knows; one that died before this finds the caller still parked here (reconcile).
      const entered: QueueCallEntered = { callId, number: call.number, queue: call.queue, at, form };
      await listener.queueCallEntered(entered);
      call.log.info('queue call entered', { number: call.number });
      crashPoint('call-recorded');
      if (!resumed && (await this.calledAgain(call, entered)) === 'hangup') return;
      await this.continueIntoQueue(call);
    } finally {
      this.inHop.delete(callId);
    }
  }

  /**
   * The queue, number and form; whatever cannot be read is left as the event gave it. Without the
   * subscription the abandon would never be heard, so it is tried again a few times first.
   */
  private async readCall(call: WaitingCall): Promise<Form> {
    const { rest } = this.deps;
    try {
      await retried(() => rest.subscribeChannel(call.callId));
      if (call.queue === '') call.queue = (await rest.getVariable(call.callId, 'CB_QUEUE')) ?? '';
      const [number, form] = await Promise.all([readCallerNumber(rest, call.callId), readForm(rest, call.callId, this.deps.formVariables)]);
      call.number = number ?? call.number;
      return form;
    } catch (err) {
      call.log.warn('could not read the queue call; letting it through', { error: describeError(err) });
      return {};
    }
  }

  /**
   * The engine's offer of a pending callback, if it has one, on a session of the parked channel.
   * Whatever goes wrong, the caller goes on into the queue; a caller who hung up meanwhile is over.
   */
  private async calledAgain(call: WaitingCall, entered: QueueCallEntered): Promise<AfterCalledAgain> {
    const { listener, rest, routes, maxPromptMs } = this.deps;
    if (!listener.callerCalledAgain) return 'queue';
    const session = new AriCallerSession(call.callId, call.callId, { rest, routes, log: call.log, maxPromptMs });
    try {
      const next = await listener.callerCalledAgain(session, entered);
      if (session.isGone()) return 'hangup';
      if (next === 'hangup') await rest.hangup(call.callId).catch((err: unknown) => call.log.warn('could not hang up the caller', { error: describeError(err) }));
      return next;
    } catch (err) {
      if (err instanceof CallerGoneError || session.isGone()) return 'hangup';
      call.log.warn('the offer of a pending callback failed; letting the caller through', { error: describeError(err) });
      return 'queue';
    } finally {
      session.close();
    }
  }

  private async continueIntoQueue(call: WaitingCall): Promise<void> {
    try {
      await retried(() => this.deps.rest.continueInDialplan(call.callId));
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) {
        call.log.info('caller hung up during the observe hop');
        return;
      }
      // Still parked in the hop: the reconcile after the next (re)connect continues it.
      call.log.warn('could not continue the queue call yet; it is continued after the next reconnect', { error: describeError(err) });
    }
  }

  isTracking(callId: string): boolean {
    return this.calls.has(callId);
  }

  /** A channel parked in the observe hop that no one in this process is taking through it. */
  isStray(channel: AriChannel): boolean {
    const dialplan = channel.dialplan;
    return dialplan?.app_name === 'Stasis' && (dialplan.app_data ?? '').startsWith(`${this.deps.app},observe`) && !this.inHop.has(channel.id);
  }

  /**
   * Reconcile: is the call still on Asterisk? If so, watch it again; if an agent answered it while
   * nobody watched, say so. A call gone from Asterisk is 'served' when its mark says an agent took it.
   */
  async adopt(callId: string): Promise<AdoptedCall> {
    const { rest } = this.deps;
    const channel = await rest.getChannel(callId);
    const mark = await rest.getGlobal(servedMark(callId));
    if (!channel) {
      this.forget(callId);
      return mark ? 'served' : 'gone';
    }
    try {
      await rest.subscribeChannel(callId);
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) {
        this.forget(callId);
        return mark ? 'served' : 'gone';
      }
      throw err;
    }
    let call = this.calls.get(callId);
    if (!call) {
      const queue = (await rest.getVariable(callId, 'CB_QUEUE').catch(() => null)) ?? '';
      call = this.track(callId, queue, channel.caller?.number || null);
    }
    if (mark && !call.served) this.markServed(call);
    if (this.isStray(channel)) await this.continueIntoQueue(call);
    return 'waiting';
  }

  /** The mark is read and recorded: Asterisk need not keep it. */
  async clearMark(callId: string): Promise<void> {
    await this.deps.rest.unsetGlobal(servedMark(callId)).catch((err: unknown) => this.deps.log.debug('could not clear a served mark', { callId, error: describeError(err) }));
  }

  /**
   * The hangup handler's report for a call this process does not follow (it restarted after the
   * call entered, and the reconcile has not reached it yet): the report carries all it needs.
   */
  unwatchedGone(event: ChannelUserevent): void {
    if (event.eventname !== QUEUE_GONE_EVENT || this.calls.has(event.channel.id)) return;
    const fields = event.userevent;
    const callId = event.channel.id;
    const queue = typeof fields.queue === 'string' ? fields.queue : '';
    const number = typeof fields.number === 'string' && fields.number !== '' ? fields.number : event.channel.caller?.number || null;
    const abandoned = String(fields.abandoned ?? '').toUpperCase() === 'TRUE';
    const at = this.deps.clock.now();
    const log = this.deps.log.child({ callId, queue });
    log.info('queue call gone before it was watched again', { abandoned });
    void this.deps.listener.queueCallEntered({ callId, number, queue, at, form: {} });
    void this.deps.listener.queueCallGone({ callId, queue, at, how: abandoned ? 'abandoned' : 'left', position: parseInteger(fields.position), waitSeconds: parseInteger(fields.wait) });
  }

  /** Stop watching everything (the gateway is stopping). */
  clear(): void {
    for (const call of this.calls.values()) call.unwatch();
    this.calls.clear();
  }

  private track(callId: string, queue: string, number: string | null): WaitingCall {
    const existing = this.calls.get(callId);
    if (existing) return existing;
    const call: WaitingCall = {
      callId,
      queue,
      number,
      log: this.deps.log.child({ callId, queue }),
      served: false,
      abandoned: false,
      position: null,
      waitSeconds: null,
      goneReported: false,
      unwatch: () => undefined,
    };
    call.unwatch = this.deps.routes.watchChannel(callId, (event) => this.onEvent(call, event));
    this.calls.set(callId, call);
    return call;
  }

  private forget(callId: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    call.unwatch();
    this.calls.delete(callId);
  }

  private markServed(call: WaitingCall): void {
    call.served = true;
    call.log.debug('agent answered the queue call');
    void this.deps.listener.queueCallServed({ callId: call.callId, queue: call.queue, number: call.number, at: this.deps.clock.now() });
  }

  private onEvent(call: WaitingCall, event: ChannelEvent | Dial): void {
    switch (event.type) {
      case 'Dial':
        // The caller of a Dial is the queue call; ANSWER is the moment an agent took it.
        if (event.caller?.id === call.callId && event.dialstatus.toUpperCase() === 'ANSWER' && !call.served) this.markServed(call);
        return;
      case 'ChannelVarset':
        if (event.variable === 'ABANDONED') call.abandoned = event.value.toUpperCase() === 'TRUE';
        else if (event.variable === 'QUEUEPOSITION') call.position = parseInteger(event.value) ?? call.position;
        else if (event.variable === 'QUEUEWAIT') call.waitSeconds = parseInteger(event.value) ?? call.waitSeconds;
        return;
      case 'ChannelUserevent': {
        if (event.eventname !== QUEUE_GONE_EVENT) return;
        const fields = event.userevent;
        const abandoned = String(fields.abandoned ?? '').toUpperCase() === 'TRUE';
        this.reportGone(call, abandoned, parseInteger(fields.position) ?? call.position, parseInteger(fields.wait) ?? call.waitSeconds);
        return;
      }
      case 'ChannelDestroyed':
        this.reportGone(call, call.abandoned, call.position, call.waitSeconds);
        this.forget(call.callId);
        void this.clearMark(call.callId);
        return;
      default:
        return;
    }
  }

  private reportGone(call: WaitingCall, abandoned: boolean, position: number | null, waitSeconds: number | null): void {
    if (call.goneReported) return;
    call.goneReported = true;
    const how: QueueCallGone['how'] = abandoned ? 'abandoned' : call.served ? 'served' : 'left';
    call.log.info('queue call gone', { how, position, waitSeconds });
    void this.deps.listener.queueCallGone({ callId: call.callId, queue: call.queue, at: this.deps.clock.now(), how, position, waitSeconds });
  }
}

/** A request to Asterisk tried up to three times, 100 and 300 ms apart, unless the channel is gone. */
async function retried(request: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (attempt >= 2 || (err instanceof AriRequestError && err.gone)) throw err;
      await new Promise((resolve) => setTimeout(resolve, attempt === 0 ? 100 : 300));
    }
  }
}
