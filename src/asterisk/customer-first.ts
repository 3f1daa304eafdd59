import { CallerGoneError, type AttemptPlan, type AttemptRef } from '../pbx/gateway';
import type { Outcome } from '../domain/types';
import type { DialplanTarget } from './ari-rest';
import { AttemptBase, type AttemptDeps, type GoneAttempt } from './attempt';
import { AriCallerSession } from './caller-session';
import { answeredInStasis, type AriChannel, type ChannelEvent, type Dial } from './events';
import { describeError } from './logging';
import { servedMark } from './observe';
import { classifyDial, newDialTrace, traceDial, type DialTrace } from './outcomes';

/** The shipped dialplan's [callbackd-enqueue]: Queue() at position 1 of CB_QUEUE. */
export const ENQUEUE_TARGET: DialplanTarget = { context: 'callbackd-enqueue', extension: 's', priority: 1 };

type Stage = 'ringing' | 'confirming' | 'queued' | 'over';

/**
 * Customer-first: dial the customer; once answered they must press 1 (proof that a person, not a
 * voicemail, picked up); then they leave Stasis for the head of the queue, and an agent's Dial
 * ANSWER on their channel completes the attempt. The dialplan also marks that answer in a global
 * variable ([callbackd-agent-answered]), so a daemon that was down then still learns it.
 */
export class CustomerFirstAttempt extends AttemptBase<Stage> {
  private readonly customerId: string;
  private trace: DialTrace;
  private gone = false;
  /** Reconcile is taking this attempt over from what the PBX shows: a hangup meanwhile waits for it. */
  private adopting = false;

  constructor(ref: AttemptRef, queue: string, deps: AttemptDeps, stage: Stage = 'ringing') {
    const customerId = ref.customerRef ?? `${ref.attemptId}-customer`;
    super({ ...ref, customerRef: customerId }, queue, deps, stage);
    this.customerId = customerId;
    this.trace = newDialTrace(customerId);
    this.watch(customerId, (event) => this.onEvent(event));
  }

  async start(plan: AttemptPlan): Promise<void> {
    await this.originateFirst(
      {
        endpoint: plan.endpoint,
        app: this.deps.app,
        appArgs: `customer,${plan.attemptId}`,
        channelId: this.customerId,
        timeout: plan.ringSeconds,
        callerId: plan.callerId,
        // [callbackd-enqueue] queues the customer into CB_QUEUE.
        variables: { CB_ID: plan.callbackId, CB_QUEUE: plan.queue, CB_ATTEMPT: plan.attemptId },
      },
      this.customerId,
      'over',
    );
    this.log.info('customer dialled', { customer: this.customerId });
    await this.subscribeQuietly(this.customerId);
  }

  /**
   * Called before the attempt's channel is subscribed to, when reconcile adopts it: its events
   * may arrive before adopt() knows where the customer is, and a hangup then must not be judged
   * from the stage the attempt was built with.
   */
  expectAdoption(): void {
    this.adopting = true;
  }

  /** Reconcile found the customer's call without knowing the attempt: take it from where it is. */
  async adopt(channel: AriChannel): Promise<void> {
    this.markAccepted(true);
    try {
      if (answeredInStasis(channel)) this.background('confirmation', this.confirm());
      else if (channel.state === 'Up') {
        this.moveTo('queued', 'adopted');
        if (await this.agentAnswered()) this.talking();
      }
    } finally {
      this.adopting = false;
    }
    // The customer hung up while this was being worked out: the served mark says whether an agent had them.
    if (!this.gone || this.at('over')) return;
    if (this.at('queued')) await this.hungUp('queued');
    else if (this.at('confirming') || answeredInStasis(channel)) await this.hungUp('confirming');
    else {
      const { outcome, detail } = classifyDial(this.trace);
      this.moveTo('over', outcome);
      this.end(outcome, detail);
      this.finish();
    }
  }

  /** Whether an agent took the queued customer (the dialplan's mark, read back). */
  async agentAnswered(): Promise<boolean> {
    return (await this.deps.rest.getGlobal(servedMark(this.customerId))) !== null;
  }

  protected override async afterReport(): Promise<void> {
    await this.deps.rest.unsetGlobal(servedMark(this.customerId)).catch((err: unknown) => this.log.debug('could not clear the served mark', { error: describeError(err) }));
  }

  private talking(): void {
    if (!this.at('queued')) return;
    this.moveTo('over', 'agent answered');
    this.end('answered', 'an agent answered the queued customer');
    this.finish();
  }

  async onStasisStart(channel: AriChannel, role: 'placeholder' | 'customer'): Promise<void> {
    if (role !== 'customer' || channel.id !== this.customerId) {
      this.log.warn('unexpected channel in the attempt', { channelId: channel.id, role });
      return;
    }
    await this.confirm();
  }

  async abandon(): Promise<void> {
    if (!this.at('ringing', 'confirming')) return;
    this.moveTo('over', 'abandoned');
    this.end('not_confirmed', 'abandoned before the customer was queued');
    await this.hangupQuietly(this.customerId);
    this.finish();
  }

  async reconcile(): Promise<GoneAttempt | null> {
    const channel = await this.deps.rest.getChannel(this.customerId);
    if (this.at('over')) return { attemptId: this.ref.attemptId, stage: 'customer', outcome: this.outcome ?? 'failed' };
    if (this.at('queued') && (await this.agentAnswered())) {
      // Taken by an agent while the link was down: the conversation is the outcome, whatever followed.
      if (!channel) {
        this.silence('answered');
        this.moveTo('over', 'answered while disconnected');
        this.finish();
        return { attemptId: this.ref.attemptId, stage: 'customer', outcome: 'answered' };
      }
      this.talking();
      return null;
    }
    if (!channel) {
      const outcome: Outcome = this.at('confirming') ? 'not_confirmed' : 'failed';
      this.silence(outcome);
      this.moveTo('over', 'gone while disconnected');
      this.finish();
      return { attemptId: this.ref.attemptId, stage: 'customer', outcome };
    }
    await this.subscribeQuietly(this.customerId);
    if (this.at('ringing') && answeredInStasis(channel)) this.background('confirmation', this.confirm());
    return null;
  }

  private onEvent(event: ChannelEvent | Dial): void {
    this.trace = traceDial(this.trace, event);
    if (event.type === 'Dial') {
      // Once queued, the customer is the caller of the queue's Dial; ANSWER means an agent took them.
      if (event.caller?.id === this.customerId && event.dialstatus.toUpperCase() === 'ANSWER' && this.at('queued')) {
        this.moveTo('over', 'agent answered');
        this.end('answered', 'an agent answered the queued customer');
        this.finish();
      }
      return;
    }
    if (event.type !== 'ChannelDestroyed' || event.channel.id !== this.customerId) return;
    this.gone = true;
    if (this.adopting) return; // adopt() decides once it knows the stage
    if (this.at('queued')) {
      // An agent's answer may have come while nobody watched (before a restart, before the subscription): the mark says.
      this.background('hangup in the queue', this.hungUp('queued'));
      return;
    }
    if (this.at('ringing')) {
      const { outcome, detail } = classifyDial(this.trace);
      this.moveTo('over', outcome);
      this.end(outcome, detail);
    } else if (this.at('confirming')) {
      this.moveTo('over', 'customer hung up');
      this.end('not_confirmed', 'the customer hung up before pressing 1');
    }
    this.finish();
  }

  /** The customer's channel ended while queued (or confirming): answered if an agent's answer left its mark. */
  private async hungUp(stage: 'confirming' | 'queued'): Promise<void> {
    const answered = stage === 'queued' && (await this.agentAnswered().catch(() => false));
    if (this.at('over')) return;
    this.moveTo('over', 'customer hung up');
    if (answered) this.end('answered', 'an agent answered the queued customer');
    else if (stage === 'confirming') this.end('not_confirmed', 'the customer hung up before pressing 1');
    else this.end('agent_unanswered', 'the customer hung up in the queue before an agent answered');
    this.finish();
  }

  private async confirm(): Promise<void> {
    if (!this.at('ringing')) return;
    this.moveTo('confirming', 'customer answered');
    const session = new AriCallerSession(this.customerId, this.customerId, { ...this.deps.session, log: this.log });
    let key = '';
    try {
      await session.play(this.deps.prompts.customerPressOne);
      key = await session.readDigits({ max: 1, firstDigitMs: this.deps.confirmDigitMs, interDigitMs: this.deps.confirmDigitMs });
    } catch (err) {
      if (!(err instanceof CallerGoneError)) this.log.warn('confirmation prompt failed', { error: describeError(err) });
    } finally {
      session.close();
    }
    if (!this.at('confirming')) return;
    if (key !== '1') {
      this.moveTo('over', key === '' ? 'no key' : `key ${key}`);
      this.end('not_confirmed', key === '' ? 'the customer did not press 1' : `the customer pressed ${key} instead of 1`);
      if (!this.gone) await this.hangupQuietly(this.customerId);
      this.finish();
      return;
    }
    // The state moves before the request: the agent's Dial can arrive before the continue returns.
    this.moveTo('queued', 'pressed 1');
    this.deps.listener.customerConfirmed(this.ref);
    try {
      await this.deps.rest.subscribeChannel(this.customerId);
      await this.deps.rest.continueInDialplan(this.customerId, ENQUEUE_TARGET);
    } catch (err) {
      if (!this.at('queued')) return;
      this.moveTo('over', 'enqueue failed');
      this.end(this.gone ? 'not_confirmed' : 'failed', `could not queue the customer: ${describeError(err)}`);
      await this.hangupQuietly(this.customerId);
      this.finish();
    }
  }
}
