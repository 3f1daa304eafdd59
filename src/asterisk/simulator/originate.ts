import { SimChannel, type DialOwner } from './channels';
import { driveSingleChannel, parseEndpoint, scriptedLocalSteps, TECHNOLOGIES } from './destinations';
import { parseCallerId } from './format';
import { destroy } from './hangup';
import { localDialstring, newLocalPair, parseLocalResource, type LocalTarget } from './local';
import type { Pbx } from './pbx';
import { extensionExists, startDialplan } from './runner';
import { enterOriginated } from './stasis';

export interface OriginateParams {
  endpoint?: string;
  app?: string;
  appArgs?: string;
  context?: string;
  extension?: string;
  priority?: number;
  callerId?: string;
  /** Seconds; -1 = no timeout; absent or 0 = the default (30 s in Asterisk). */
  timeout?: number;
  channelId?: string;
  otherChannelId?: string;
  variables?: Record<string, string>;
}

export type OriginateResult =
  | { ok: true; channel: SimChannel; snapshot: Record<string, unknown> }
  | { ok: false; status: number; body: Record<string, unknown> };

type After = { app: string; args: string[] } | { context: string; exten: string; priority: number };

function fail(status: number, message: string): OriginateResult {
  return { ok: false, status, body: { message } };
}

/** ARI originate: dial the endpoint; when answered, enter Stasis or run the dialplan location given. */
export function originate(pbx: Pbx, p: OriginateParams): OriginateResult {
  if (!p.endpoint) return fail(400, 'Endpoint must be specified');
  const ep = parseEndpoint(p.endpoint);
  if (!ep) return fail(400, 'Invalid endpoint specified');
  let after: After;
  if (p.app) after = { app: p.app, args: p.appArgs ? p.appArgs.split(',') : [] };
  else if (p.extension) after = { context: p.context || 'default', exten: p.extension, priority: p.priority || 1 };
  else return fail(400, 'Application or extension must be specified');
  for (const id of [p.channelId, p.otherChannelId]) {
    if (id && pbx.channels.has(id)) return fail(409, 'Channel with given unique ID already exists');
  }
  const timeoutMs = p.timeout === -1 ? null : pbx.seconds(p.timeout && p.timeout > 0 ? p.timeout : pbx.opts.defaultOriginateTimeoutSec);
  const cid = parseCallerId(p.callerId);
  const vars = Object.entries(p.variables ?? {});

  if (ep.tech.toLowerCase() === 'local') {
    const target = parseLocalResource(ep.resource);
    if (!target) return { ok: false, status: 500, body: { error: 'Allocation failed' } };
    return originateLocal(pbx, target, p, after, timeoutMs, cid, vars);
  }
  if (!TECHNOLOGIES.has(ep.tech.toUpperCase())) return { ok: false, status: 500, body: { error: 'Allocation failed' } };

  const at = 'context' in after ? after : { context: 'default', exten: 's', priority: 1 };
  const device = ep.resource.includes('@') ? ep.resource.split('@')[1] : ep.resource.split('/')[0];
  const ch = new SimChannel(p.channelId || pbx.uniqueId(), `${ep.tech}/${device}-${pbx.nameSuffix()}`, ep.tech, pbx.now(), 'Down', at);
  pbx.channels.add(ch);
  pbx.publishChannel('ChannelCreated', ch);
  pbx.dialplanStep(ch, { app_name: 'AppDial2', app_data: '(Outgoing Line)' });
  applyCallerId(pbx, ch, cid);
  for (const [k, v] of vars) pbx.setVar(ch, k, v);
  // The response shows the channel as it is before dialling starts: caller id and variables set.
  const snapshot = ch.snapshot();
  if ('app' in after) pbx.apps.subscribe(after.app, 'channel', ch.id);
  const dialer = new Dialer(pbx, ch, ep.resource, after, timeoutMs);
  const script = pbx.destinations.take(p.endpoint) ?? pbx.opts.defaultDestination;
  if (script.outcome === 'invalid') {
    pbx.defer(() => destroy(pbx, ch, script.cause ?? 0));
  } else {
    dialer.start();
    driveSingleChannel(pbx, ch, script);
  }
  return { ok: true, channel: ch, snapshot };
}

function applyCallerId(pbx: Pbx, ch: SimChannel, cid: { name: string; number: string }): void {
  if (!cid.name && !cid.number) return;
  ch.caller = { ...cid };
  pbx.callerIdEvent(ch);
  ch.connected = { ...cid };
  pbx.publishChannel('ChannelConnectedLine', ch);
}

function originateLocal(
  pbx: Pbx,
  target: LocalTarget,
  p: OriginateParams,
  after: After,
  timeoutMs: number | null,
  cid: { name: string; number: string },
  vars: Array<[string, string]>,
): OriginateResult {
  const [one, two] = newLocalPair(pbx, target, p.channelId, p.otherChannelId);
  const script = pbx.destinations.take(`Local/${localDialstring(target)}`);
  if (script) two.localScript = { context: target.context, exten: target.exten, steps: scriptedLocalSteps(script) };
  pbx.dialplanStep(one, { app_name: 'AppDial2', app_data: '(Outgoing Line)' });
  applyCallerId(pbx, one, cid);
  for (const [k, v] of vars) pbx.setVar(one, k, v);
  const snapshot = one.snapshot();
  if ('app' in after) {
    // Asterisk subscribes the application to the originated channel and to its Local peer.
    pbx.apps.subscribe(after.app, 'channel', one.id);
    pbx.apps.subscribe(after.app, 'channel', two.id);
  }
  if (!extensionExists(pbx, target.context, target.exten, two)) {
    // The ;2 half has nowhere to go: the call fails before any Dial, both halves cause 0.
    pbx.defer(() => {
      one.partner = null;
      two.partner = null;
      destroy(pbx, two, 0);
      destroy(pbx, one, 0);
    });
    return { ok: true, channel: one, snapshot };
  }
  // Local copies the variables to the ;2 half in reverse order, then the caller id.
  for (const [k, v] of [...vars].reverse()) pbx.setVar(two, k, v);
  applyCallerId(pbx, two, cid);
  new Dialer(pbx, one, localDialstring(target), after, timeoutMs).start();
  pbx.defer(() => two.alive && startDialplan(pbx, two, { context: target.context, exten: target.exten, priority: 1 }));
  return { ok: true, channel: one, snapshot };
}

/** The originate's dialling thread: Dial events on the dialled channel, timeout, what to do on answer. */
export class Dialer implements DialOwner {
  private cancelTimeout: () => void = () => undefined;
  private rang = false;
  private settled = false;

  constructor(
    private readonly pbx: Pbx,
    private readonly ch: SimChannel,
    private readonly dialstring: string,
    private readonly after: After,
    private readonly timeoutMs: number | null,
  ) {}

  start(): void {
    this.ch.dialOwner = this;
    this.ch.interrupt = () => this.onHangup();
    this.pbx.dial(this.ch, '', this.dialstring);
    if (this.timeoutMs !== null) this.cancelTimeout = this.pbx.after(this.timeoutMs, () => this.onTimeout());
  }

  onRinging(): void {
    if (this.settled || this.rang) return;
    this.rang = true;
    this.pbx.setState(this.ch, 'Ringing');
    this.pbx.dial(this.ch, 'RINGING', this.dialstring);
  }

  onAnswered(): void {
    if (!this.settle()) return;
    this.pbx.setState(this.ch, 'Up');
    this.pbx.dial(this.ch, 'ANSWER', this.dialstring);
    if ('app' in this.after) {
      if (!enterOriginated(this.pbx, this.ch, this.after.app, this.after.args)) destroy(this.pbx, this.ch, 16);
    } else {
      startDialplan(this.pbx, this.ch, this.after, 'dialplan');
    }
  }

  /** Busy or congestion: the dialled channel is hung up by the dialler, cause left unset (0). */
  onRefused(status: 'BUSY' | 'CONGESTION'): void {
    if (!this.settle()) return;
    this.pbx.dial(this.ch, status, this.dialstring);
    this.pbx.defer(() => destroy(this.pbx, this.ch));
  }

  /** No answer within the originate timeout: cause 19 and no final Dial event. */
  private onTimeout(): void {
    if (!this.settle()) return;
    destroy(this.pbx, this.ch, 19);
  }

  private onHangup(): void {
    if (!this.settle()) return destroy(this.pbx, this.ch);
    this.pbx.dial(this.ch, this.ch.hangupHow === 'explicit' ? 'CANCEL' : 'NOANSWER', this.dialstring);
    destroy(this.pbx, this.ch);
  }

  private settle(): boolean {
    if (this.settled || !this.ch.alive) return false;
    this.settled = true;
    this.cancelTimeout();
    this.ch.dialOwner = null;
    if (this.ch.interrupt) this.ch.interrupt = null;
    return true;
  }
}
