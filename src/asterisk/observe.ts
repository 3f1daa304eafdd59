import type { Clock } from '../domain/clock';
import type { Form } from '../domain/types';
import type { PbxListener, QueueCallGone } from '../pbx/gateway';
import { AriRequestError, type AriRest } from './ari-rest';
import { parseInteger, readCallerNumber, readForm } from './channel-vars';
import type { EventRoutes } from './event-routes';
import type { AriChannel, ChannelEvent, Dial } from './events';
import { describeError, type AdapterLogger } from './logging';

export interface ObserveDeps {
  rest: AriRest;
  routes: EventRoutes;
  listener: PbxListener;
  log: AdapterLogger;
  clock: Clock;
  app: string;
  formVariables: readonly string[];
}

/** The hangup handler's UserEvent in the shipped dialplan ([callbackd-queue-gone]). */
export const QUEUE_GONE_EVENT = 'CallbackdQueueCallGone';

interface WaitingCall {
  callId: string;
  queue: string;
  number: string | null;
  log: AdapterLogger;
  /** Reports wait until queueCallEntered went out, so the engine never hears "served" first. */
  entered: boolean;
  pending: Array<() => void>;
  served: boolean;
  abandoned: boolean;
  position: number | null;
  waitSeconds: number | null;
  goneReported: boolean;
  unwatch: () => void;
}

/**
 * Queue calls seen through the observe hop: `Stasis(<app>,observe,QUEUE)` once, before Queue().
 * The hop subscribes the application to the channel explicitly, because that subscription outlives
 * StasisEnd and keeps the queue's variables, the agent's Dial and the hangup handler's UserEvent
 * coming after the channel is continued into Queue().
 */
export class QueueObserver {
  private readonly calls = new Map<string, WaitingCall>();

  constructor(private readonly deps: ObserveDeps) {}

  async onStasisStart(channel: AriChannel, args: readonly string[]): Promise<void> {
    const { rest, listener, clock } = this.deps;
    const at = clock.now();
    const callId = channel.id;
    const call = this.track(callId, args[1] ?? '', channel.caller?.number || null);
    let form: Form = {};
    try {
      await rest.subscribeChannel(callId);
      if (call.queue === '') call.queue = (await rest.getVariable(callId, 'CB_QUEUE')) ?? '';
      const [number, read] = await Promise.all([readCallerNumber(rest, callId), readForm(rest, callId, this.deps.formVariables)]);
      call.number = number;
      form = read;
    } catch (err) {
      call.log.warn('could not read the queue call; letting it through', { error: describeError(err) });
    }
    try {
      await rest.continueInDialplan(callId);
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) {
        call.log.info('caller hung up during the observe hop');
        this.forget(callId);
        return;
      }
      call.log.error('could not continue the queue call', { error: describeError(err) });
    }
    call.log = this.deps.log.child({ callId, queue: call.queue });
    call.log.info('queue call entered', { number: call.number });
    listener.queueCallEntered({ callId, number: call.number, queue: call.queue, at, form });
    call.entered = true;
    for (const report of call.pending.splice(0)) report();
  }

  isTracking(callId: string): boolean {
    return this.calls.has(callId);
  }

  /** Reconcile: is the call still on Asterisk? If so, watch it again. */
  async adopt(callId: string): Promise<boolean> {
    const { rest } = this.deps;
    const channel = await rest.getChannel(callId);
    if (!channel) {
      this.forget(callId);
      return false;
    }
    try {
      await rest.subscribeChannel(callId);
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) {
        this.forget(callId);
        return false;
      }
      throw err;
    }
    if (!this.calls.has(callId)) {
      const queue = (await rest.getVariable(callId, 'CB_QUEUE').catch(() => null)) ?? '';
      const call = this.track(callId, queue, channel.caller?.number || null);
      call.entered = true;
    }
    // A restart while the call sat in the hop leaves it parked in Stasis; send it on to its queue.
    const dialplan = channel.dialplan;
    if (dialplan?.app_name === 'Stasis' && (dialplan.app_data ?? '').startsWith(`${this.deps.app},observe`)) {
      await rest.continueInDialplan(callId).catch((err: unknown) => this.deps.log.warn('could not continue a parked queue call', { callId, error: describeError(err) }));
    }
    return true;
  }

  /** Stop watching everything (the gateway is stopping). */
  clear(): void {
    for (const call of this.calls.values()) call.unwatch();
    this.calls.clear();
  }

  private track(callId: string, queue: string, number: string | null): WaitingCall {
    this.forget(callId);
    const call: WaitingCall = {
      callId,
      queue,
      number,
      log: this.deps.log.child({ callId, queue }),
      entered: false,
      pending: [],
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

  private onEvent(call: WaitingCall, event: ChannelEvent | Dial): void {
    switch (event.type) {
      case 'Dial':
        // The caller of a Dial is the queue call; ANSWER is the moment an agent took it.
        if (event.caller?.id === call.callId && event.dialstatus.toUpperCase() === 'ANSWER' && !call.served) {
          call.served = true;
          this.report(call, () => {
            call.log.info('queue call served');
            this.deps.listener.queueCallServed({ callId: call.callId, queue: call.queue, number: call.number, at: this.deps.clock.now() });
          });
        }
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
        this.report(call, () => this.forget(call.callId));
        return;
      default:
        return;
    }
  }

  private reportGone(call: WaitingCall, abandoned: boolean, position: number | null, waitSeconds: number | null): void {
    if (call.goneReported) return;
    call.goneReported = true;
    const how: QueueCallGone['how'] = abandoned ? 'abandoned' : call.served ? 'served' : 'left';
    this.report(call, () => {
      call.log.info('queue call gone', { how, position, waitSeconds });
      this.deps.listener.queueCallGone({ callId: call.callId, queue: call.queue, at: this.deps.clock.now(), how, position, waitSeconds });
    });
  }

  private report(call: WaitingCall, fn: () => void): void {
    if (call.entered) fn();
    else call.pending.push(fn);
  }
}
