import { answerApp, hangupApp, waitApp } from './apps';
import { createBridge, destroyBridge, joinBridge, leaveBridge, type SimBridge } from './bridges';
import type { SimChannel } from './channels';
import { destroy } from './hangup';
import { answer, newLocalPair } from './local';
import type { Pbx } from './pbx';
import { callerAnswered, dispatch, placeholderFor, talkEnded, type QueueCaller, type SimMember, type SimQueue } from './queues';
import { runMemberGosub, startDialplan, type Step } from './runner';
import type { ConversationInfo } from './types';

/**
 * A member's phone is a Local pair `Local/<member>@agents/n`, as in the traces: the queue dials the ;1
 * half; the ;2 half runs the agent's "dialplan" (ring for answerAfterMs, answer, talk for talkMs, hang up).
 */
function agentSteps(member: SimMember): Step[] {
  const shown = (ms: number | null) => (ms === null ? '' : String(ms / 1000));
  return [
    waitApp(() => member.answerAfterMs, () => shown(member.answerAfterMs)),
    answerApp(),
    waitApp(() => member.talkMs, () => shown(member.talkMs)),
    hangupApp(),
  ];
}

export class AgentLeg {
  answeredAt: number | null = null;
  private a1!: SimChannel;
  private bridge: SimBridge | null = null;
  private done = false;
  private cancelTimeout: () => void = () => undefined;
  private conversation: ConversationInfo | null = null;
  private readonly dialstring: string;

  constructor(
    private readonly pbx: Pbx,
    private readonly queue: SimQueue,
    private readonly entry: QueueCaller,
    private readonly member: SimMember,
  ) {
    this.dialstring = `Local/${member.name}@agents/n`;
  }

  ring(): void {
    const { pbx, entry, member } = this;
    const [a1, a2] = newLocalPair(pbx, { exten: member.name, context: 'agents', options: 'n' });
    this.a1 = a1;
    a1.caller = { ...entry.ch.caller };
    pbx.dialplanStep(a1, { app_name: 'AppQueue', app_data: '(Outgoing Line)' });
    pbx.callerIdEvent(a1);
    pbx.setVar(a1, 'DIALEDPEERNUMBER', `${member.name}@agents/n`);
    pbx.setVar(a2, 'DIALEDPEERNUMBER', `${member.name}@agents/n`);
    a2.caller = { ...entry.ch.caller };
    pbx.callerIdEvent(a2);
    a2.connected = { ...entry.ch.caller };
    pbx.publishChannel('ChannelConnectedLine', a2);
    pbx.dial(a1, '', this.dialstring, entry.ch);
    a1.dialOwner = { onAnswered: () => this.onAnswered() };
    a1.interrupt = () => this.agentGone();
    a2.localScript = { context: 'agents', exten: member.name, steps: agentSteps(member) };
    startDialplan(pbx, a2, { context: 'agents', exten: member.name, priority: 1 });
    this.cancelTimeout = pbx.after(this.queue.ringTimeoutMs, () => this.ringTimeout());
  }

  private onAnswered(): void {
    if (this.done) return;
    const { pbx, entry, a1 } = this;
    this.cancelTimeout();
    this.answeredAt = pbx.now();
    if (entry.gosub) runMemberGosub(pbx, a1, entry.ch, entry.gosub);
    pbx.dial(a1, 'ANSWER', this.dialstring, entry.ch);
    callerAnswered(pbx, entry);
    answer(pbx, entry.ch);
    this.bridge = createBridge(pbx, { bridgeClass: 'basic' });
    joinBridge(pbx, this.bridge, a1);
    joinBridge(pbx, this.bridge, entry.ch);
    this.conversation = {
      member: this.member.name,
      queue: this.queue.name,
      channelId: entry.ch.id,
      number: entry.ch.caller.number,
      placeholderFor: placeholderFor(entry.ch),
      answeredAt: this.answeredAt,
      endedAt: null,
    };
    pbx.conversations.push(this.conversation);
    pbx.bus.emit('agent-answered', { channelId: entry.ch.id, member: this.member.name, queue: this.queue.name });
  }

  /** The agent's side hung up (the agent finished talking, or its channel was deleted). */
  private agentGone(): void {
    if (this.done) return;
    this.done = true;
    const { pbx, entry, a1 } = this;
    if (this.answeredAt === null) {
      this.cancelTimeout();
      destroy(pbx, a1);
      this.free(0);
      entry.leg = null;
      return;
    }
    this.unbridge(a1, entry.ch);
    talkEnded(pbx, entry, this.answeredAt);
    this.free(0);
  }

  /** The queue caller hung up while talking: the agent's phone is hung up. */
  callerGone(): void {
    if (this.done) return;
    this.done = true;
    this.unbridge(this.entry.ch, this.a1);
    this.a1.interrupt = null;
    destroy(this.pbx, this.a1, 16);
    this.free(0);
  }

  /** The caller left the queue (hung up, pressed the exit key, timed out) while this member rang. */
  cancelRing(): void {
    if (this.done || this.answeredAt !== null) return;
    this.done = true;
    const { pbx, entry, a1 } = this;
    this.cancelTimeout();
    pbx.dial(a1, 'CANCEL', '', entry.ch);
    pbx.dial(a1, 'CANCEL', this.dialstring, entry.ch);
    a1.interrupt = null;
    a1.dialOwner = null;
    destroy(pbx, a1, 0);
    entry.leg = null;
    this.free(0);
  }

  private ringTimeout(): void {
    if (this.done || this.answeredAt !== null) return;
    this.done = true;
    const { pbx, entry, a1 } = this;
    pbx.dial(a1, 'NOANSWER', this.dialstring, entry.ch);
    a1.interrupt = null;
    a1.dialOwner = null;
    destroy(pbx, a1, 0);
    entry.leg = null;
    this.free(this.queue.retryMs);
  }

  /** The first channel leaves, then the basic bridge dissolves around the second. */
  private unbridge(first: SimChannel, second: SimChannel): void {
    const { pbx } = this;
    if (first.alive) pbx.setVar(first, 'BRIDGEPEER', '');
    if (second.alive) pbx.setVar(second, 'BRIDGEPEER', '');
    leaveBridge(pbx, first, true);
    if (first === this.a1) {
      first.interrupt = null;
      destroy(pbx, first);
    }
    leaveBridge(pbx, second, true);
    if (this.bridge) destroyBridge(pbx, this.bridge);
    if (this.conversation) this.conversation.endedAt = pbx.now();
  }

  private free(retryMs: number): void {
    const { pbx, member, queue } = this;
    if (member.leg === this) member.leg = null;
    if (retryMs > 0) {
      const until = pbx.now() + retryMs;
      member.retryAt = until;
      // A timer may fire a millisecond before the clock reads `until`: the pause is over when it fires.
      pbx.after(retryMs, () => {
        if (member.retryAt === until) member.retryAt = 0;
        dispatch(pbx, queue);
      });
    }
    pbx.defer(() => dispatch(pbx, queue));
  }
}

export function ringMember(pbx: Pbx, queue: SimQueue, entry: QueueCaller, member: SimMember): void {
  const leg = new AgentLeg(pbx, queue, entry, member);
  entry.leg = leg;
  member.leg = leg;
  leg.ring();
}
