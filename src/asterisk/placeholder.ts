import type { Outcome } from '../domain/types';
import { CallerGoneError, PbxDialError, type AttemptPlan, type AttemptRef, type DialTarget } from '../pbx/gateway';
import { AttemptBase, type AttemptDeps, type GoneAttempt } from './attempt';
import { AriCallerSession } from './caller-session';
import { dialVariables, readDial, type CustomerDial } from './customer-dial';
import { answeredInStasis, type AriChannel, type ChannelEvent, type Dial } from './events';
import { crashPoint } from '../crash';
import { describeError } from './logging';
import { classifyDial, newDialTrace, traceDial, type DialTrace } from './outcomes';

/** The shipped dialplan's placeholder: its `;2` half runs Queue() at CB_POS. `/n` keeps the Local pair. */
export const PLACEHOLDER_ENDPOINT = 'Local/s@callbackd-placeholder/n';

/** `joining`: the customer answered and is being put into the bridge; that join decides the outcome. */
type Stage = 'queued' | 'deciding' | 'ringing' | 'joining' | 'bridged' | 'closing' | 'over';

/**
 * Agent-first: a placeholder keeps the callback's place in the queue for as long as it takes
 * (timeout -1); when an agent answers it, the engine decides and the customer is dialled at once;
 * the agent hears whom they are calling while the customer's phone rings, and both are joined in
 * a mixing bridge when the customer answers. The bridge is created only then, and Asterisk keeps
 * it after every channel left: a restarted daemon that finds it knows the customer answered.
 */
export class PlaceholderAttempt extends AttemptBase<Stage> {
  private readonly placeholderId: string;
  private readonly customerId: string;
  private readonly bridgeId: string;
  private trace: DialTrace;
  private agent: AriCallerSession | null = null;
  private placeholderGone = false;
  private customerGone = false;
  private dialled = false;
  /** The mixing bridge exists (made here, or found by a reconcile). */
  private bridgeMade = false;
  /** Set once the customer answered or was lost: the agent's announcement must not go on. */
  private announcementOver = false;

  constructor(ref: AttemptRef, queue: string, deps: AttemptDeps, private dial: CustomerDial | null, stage: Stage = 'queued') {
    const placeholderId = ref.placeholderRef ?? `${ref.attemptId}-placeholder`;
    const customerId = ref.customerRef ?? `${placeholderId}-customer`;
    super({ ...ref, placeholderRef: placeholderId, customerRef: customerId }, queue, deps, stage);
    this.placeholderId = placeholderId;
    this.customerId = customerId;
    this.bridgeId = bridgeIdOf(ref.attemptId);
    this.trace = newDialTrace(customerId);
    this.watch(placeholderId, (event) => this.onPlaceholderEvent(event));
  }

  async start(plan: AttemptPlan): Promise<void> {
    const { app } = this.deps;
    await this.originateFirst(
      {
        endpoint: PLACEHOLDER_ENDPOINT,
        app,
        appArgs: `placeholder,${plan.attemptId}`,
        channelId: this.placeholderId,
        otherChannelId: `${this.placeholderId};2`,
        timeout: -1,
        // The agent's phone shows whom the placeholder stands for.
        callerId: plan.number,
        variables: {
          CB_ID: plan.callbackId,
          CB_QUEUE: plan.queue,
          CB_POS: String(plan.position),
          CB_ATTEMPT: plan.attemptId,
          ...(this.dial ? dialVariables(this.dial) : {}),
        },
      },
      this.placeholderId,
      'over',
    );
    this.log.info('placeholder queued', { placeholder: this.placeholderId, position: plan.position });
    await this.subscribeQuietly(this.placeholderId);
  }

  /** Reconcile found the placeholder without knowing the attempt: read the dial details back. */
  async recoverDial(): Promise<void> {
    this.dial = await readDial(this.deps.rest, this.placeholderId);
    this.markAccepted(true);
  }

  async onStasisStart(channel: AriChannel, role: 'placeholder' | 'customer'): Promise<void> {
    if (role === 'placeholder' && channel.id === this.placeholderId) return this.onAgentAnswered();
    if (role === 'customer' && channel.id === this.customerId) return this.onCustomerAnswered();
    this.log.warn('unexpected channel in the attempt', { channelId: channel.id, role });
  }

  async abandon(): Promise<void> {
    if (this.stage === 'bridged' || this.stage === 'joining') {
      this.log.warn('abandon ignored: the customer is already talking to the agent');
      return;
    }
    if (this.stage === 'over' || this.stage === 'closing') return;
    this.moveTo('over', 'abandoned');
    this.end('agent_unanswered', 'abandoned: the callback was settled elsewhere');
    if (this.dialled) await this.hangupQuietly(this.customerId);
    await this.hangupQuietly(this.placeholderId);
    this.finish();
  }

  async reconcile(): Promise<GoneAttempt | null> {
    const { rest } = this.deps;
    const placeholder = await rest.getChannel(this.placeholderId);
    const customer = this.dialled ? await rest.getChannel(this.customerId) : null;
    const gone = (stage: GoneAttempt['stage'], outcome: Outcome): GoneAttempt => {
      this.silence(outcome);
      this.moveTo('over', 'gone while disconnected');
      this.finish();
      return { attemptId: this.ref.attemptId, stage, outcome };
    };
    switch (this.stage) {
      case 'queued':
      case 'deciding':
        if (!placeholder) return gone('placeholder', 'agent_unanswered');
        await this.subscribeQuietly(this.placeholderId);
        if (this.stage === 'queued' && answeredInStasis(placeholder)) this.background('agent answer', this.onAgentAnswered());
        return null;
      case 'joining':
        // A join cut by the link: the bridge, if it was made, says the customer answered.
        if (!(placeholder && customer) && (await rest.bridgeExists(this.bridgeId))) {
          this.moveTo('over', 'gone while disconnected');
          await this.teardown();
          return { attemptId: this.ref.attemptId, stage: 'customer', outcome: 'answered' };
        }
        return placeholder && customer ? null : gone('customer', placeholder ? 'failed' : 'agent_unanswered');
      case 'ringing':
        if (!customer) {
          if (placeholder) await this.hangupQuietly(this.placeholderId);
          return gone('customer', 'failed');
        }
        if (!placeholder) {
          await this.hangupQuietly(this.customerId);
          return gone('customer', 'agent_unanswered');
        }
        await this.subscribeQuietly(this.placeholderId);
        await this.subscribeQuietly(this.customerId);
        if (answeredInStasis(customer)) this.background('customer answer', this.onCustomerAnswered());
        return null;
      case 'bridged':
        if (placeholder && customer) return null;
        this.moveTo('over', 'gone while disconnected');
        await this.teardown();
        return { attemptId: this.ref.attemptId, stage: 'customer', outcome: 'answered' };
      default:
        return { attemptId: this.ref.attemptId, stage: this.dialled ? 'customer' : 'placeholder', outcome: this.outcome ?? 'failed' };
    }
  }

  /** Adopted after a restart with the customer's call found alive. */
  adoptCustomer(customer: AriChannel): void {
    this.dialled = true;
    this.watch(this.customerId, (event) => this.onCustomerEvent(event));
    this.moveTo('ringing', 'adopted');
    if (answeredInStasis(customer)) this.background('customer answer', this.onCustomerAnswered());
  }

  /** Adopted after a restart with the bridge in place: the customer answered and talks to the agent. */
  adoptBridged(): void {
    this.dialled = true;
    this.bridgeMade = true;
    this.watch(this.customerId, (event) => this.onCustomerEvent(event));
    this.moveTo('bridged', 'adopted with its bridge');
    this.end('answered', 'the customer was joined to the agent before the daemon restarted');
  }

  private onPlaceholderEvent(event: ChannelEvent | Dial): void {
    if (event.type !== 'ChannelDestroyed' || event.channel.id !== this.placeholderId) return;
    this.placeholderGone = true;
    switch (this.stage) {
      case 'queued':
        this.moveTo('over', 'placeholder gone');
        this.end('agent_unanswered', `the placeholder left the queue before an agent answered (cause ${event.cause})`);
        this.finish();
        return;
      case 'ringing':
        this.moveTo('over', 'agent hung up');
        this.end('agent_unanswered', 'the agent hung up while the customer was ringing');
        this.background('release', this.hangupQuietly(this.customerId).then(() => this.finish()));
        return;
      case 'bridged':
        this.moveTo('over', 'agent hung up');
        this.background('teardown', this.teardown());
        return;
      default:
        // deciding: settled when the engine answers; joining: the join decides; closing: the closing step finishes.
        return;
    }
  }

  private async onAgentAnswered(): Promise<void> {
    if (this.stage !== 'queued') return;
    this.moveTo('deciding', 'agent answered');
    const agent = new AriCallerSession(this.placeholderId, this.placeholderId, { ...this.deps.session, log: this.log });
    this.agent = agent;
    this.onFinish(() => agent.close());
    let decision: DialTarget | 'dial' | 'release';
    try {
      decision = await this.deps.listener.placeholderAnswered(this.ref);
    } catch (err) {
      this.log.error('placeholderAnswered failed; releasing the agent', { error: describeError(err) });
      decision = 'release';
    }
    if (!this.at('deciding')) return;
    if (typeof decision === 'object') {
      this.dial = decision;
      decision = 'dial';
    }
    if (decision === 'release' || this.placeholderGone || !this.dial) {
      if (decision === 'release') this.end('agent_unanswered', 'released: the engine chose not to dial the customer');
      else if (this.placeholderGone) this.end('agent_unanswered', 'the agent hung up before the customer was dialled');
      else this.end('failed', 'the customer to dial is unknown (placeholder adopted without its dial details)');
      this.moveTo('over', decision);
      await this.hangupQuietly(this.placeholderId);
      this.finish();
      return;
    }
    // The customer is dialled now; the agent hears whom they are calling while it rings.
    const dial = this.dial;
    await this.dialCustomer(dial);
    if (this.at('ringing')) this.background('announcement', this.announce(agent, dial));
  }

  private async announce(agent: AriCallerSession, dial: CustomerDial): Promise<void> {
    try {
      await agent.play(this.deps.prompts.agentCalling);
      // Asterisk joins a channel to a bridge only after its playbacks: none may start once the customer answered.
      if (this.at('ringing') && !this.announcementOver) await agent.sayDigits(dial.spoken ?? dial.number);
    } catch (err) {
      // An agent who hangs up is seen on the placeholder's ChannelDestroyed.
      if (!(err instanceof CallerGoneError)) this.log.warn('could not tell the agent whom they are calling', { error: describeError(err) });
    }
  }

  private async dialCustomer(dial: CustomerDial): Promise<void> {
    this.moveTo('ringing', 'dial');
    this.dialled = true;
    this.watch(this.customerId, (event) => this.onCustomerEvent(event));
    try {
      await this.deps.rest.originate({
        endpoint: dial.endpoint,
        app: this.deps.app,
        appArgs: `customer,${this.ref.attemptId}`,
        channelId: this.customerId,
        timeout: dial.ringSeconds,
        callerId: dial.callerId,
        variables: { CB_ID: this.ref.callbackId, CB_QUEUE: this.queue, CB_ATTEMPT: this.ref.attemptId },
      });
    } catch (err) {
      const failure = await this.originateFailure(err, this.customerId);
      if (failure) return this.customerUnavailable(failure instanceof PbxDialError ? failure.outcome : 'failed', failure.message);
    }
    this.log.info('customer dialled', { customer: this.customerId });
    await this.subscribeQuietly(this.customerId);
  }

  private onCustomerEvent(event: ChannelEvent | Dial): void {
    this.trace = traceDial(this.trace, event);
    if (event.type !== 'ChannelDestroyed' || event.channel.id !== this.customerId) return;
    this.customerGone = true;
    if (this.stage === 'ringing') {
      const { outcome, detail } = classifyDial(this.trace);
      this.background('release', this.customerUnavailable(outcome, detail));
    } else if (this.stage === 'bridged') {
      this.moveTo('over', 'customer hung up');
      this.background('teardown', this.teardown());
    }
  }

  private async customerUnavailable(outcome: Outcome, detail: string): Promise<void> {
    if (this.stage !== 'ringing') return;
    this.moveTo('closing', outcome);
    this.end(outcome, detail);
    if (!this.placeholderGone && this.agent) {
      this.announcementOver = true;
      await this.agent.stopPrompts();
      await this.agent.play(this.deps.prompts.agentCustomerUnavailable).catch(() => undefined);
    }
    await this.hangupQuietly(this.placeholderId);
    if (!this.customerGone) await this.hangupQuietly(this.customerId);
    this.moveTo('over', 'agent released');
    this.finish();
  }

  /**
   * Joined is answered: once the bridge holds both, the customer talked to the agent, even if
   * either hangs up a moment later (a restart that finds the bridge says the same).
   */
  private async onCustomerAnswered(): Promise<void> {
    if (this.stage !== 'ringing') {
      if (this.stage !== 'joining') {
        this.log.info('customer answered after the attempt ended; hanging up');
        await this.hangupQuietly(this.customerId);
      }
      return;
    }
    this.moveTo('joining', 'customer answered');
    const { rest } = this.deps;
    try {
      this.announcementOver = true;
      await this.agent?.stopPrompts();
      await rest.createBridge(this.bridgeId, `callback ${this.ref.callbackId}`);
      this.bridgeMade = true;
      await rest.addToBridge(this.bridgeId, [this.placeholderId, this.customerId]);
      crashPoint('customer-bridged');
    } catch (err) {
      this.log.warn('could not join the customer to the agent', { error: describeError(err) });
      if (this.at('joining')) {
        this.moveTo('over', 'bridge failed');
        const outcome = this.placeholderGone ? 'agent_unanswered' : 'failed';
        this.end(outcome, `could not join the customer to the agent: ${describeError(err)}`);
      }
      await this.teardown();
      return;
    }
    if (!this.at('joining')) return this.teardown();
    this.moveTo('bridged', 'joined');
    this.end('answered', 'the customer answered and was joined to the agent');
    if (this.customerGone || this.placeholderGone) {
      this.moveTo('over', 'hung up while joining');
      await this.teardown();
    }
  }

  /**
   * Either side hung up: the other goes too, and the bridge, which Asterisk would keep. The bridge
   * is the proof that the customer answered: it goes once the engine has recorded the outcome,
   * so a daemon killed in between still finds it (a reconcile after a failed report clears it).
   */
  private async teardown(): Promise<void> {
    await Promise.all([this.hangupQuietly(this.placeholderId), this.dialled ? this.hangupQuietly(this.customerId) : Promise.resolve()]);
    this.finish();
    if (!this.bridgeMade) return;
    this.background(
      'bridge removal',
      this.reported.then(() => this.deps.rest.destroyBridge(this.bridgeId).catch((err: unknown) => this.log.warn('could not delete the bridge', { error: describeError(err) }))),
    );
  }
}

/** The mixing bridge of an agent-first attempt: created once the customer answered. */
export function bridgeIdOf(attemptId: string): string {
  return `${attemptId}-bridge`;
}
