import { ConflictError, InvalidRequestError, NotFoundError } from '../domain/errors';
import type { TriggerConfig } from '../config/types';
import type { TriggerRun } from '../domain/store';
import type { IntervalTriggers, TickOutcome } from '../triggers/interval-triggers';
import type { Page } from '../domain/store';
import type { Callback, Status } from '../domain/types';
import type { Feed } from '../engine/feed';
import { callHistory, type CallHistory } from './call-history';
import { showCallback, type CallbackDetail } from './callback-detail';
import { cancelCallback, type CancelInput } from './cancel';
import type { ServiceContext } from './context';
import { createCallback, type CreatedCallback, type ManualCallbackInput } from './create-callback';
import { EventFollower, eventsAfter, type EventPage, type EventQuery, type FollowOptions } from './event-log';
import { explainRules, type ExplainInput, type Explanation } from './explain';
import { embeddedJudge, replayRules, type ReplayInput, type ReplayJudge, type ReplayReport } from './replay';
import type { LostCallRules } from '../domain/lost-shift';
import { followUp, type CreatedFromCall, type FollowUpInput } from './follow-up';
import { callbackGrid, listCallbacks, listCalls, type CallGridRow, type CallListQuery, type CallbackGridRow, type CallbackListQuery } from './lists';
import { callbackForLostCall, type LostCallCallbackInput } from './lost-call-callback';
import { callNow, rescheduleCallback, type CallNowInput, type RescheduleInput } from './reschedule';
import type { WebhookDelivery } from '../domain/store';
import { listDeliveries, pingWebhook, replay, showDelivery, webhookViews, type DeliveryDetail, type DeliveryListQuery, type DeliveryWaker, type WebhookView } from '../webhooks/service';
import type { ContactRow, ContactTableInfo } from '../domain/store';
import { importContacts, type ContactImportInput, type ContactImportReport } from '../contacts/import';
import { contactRows, dropContactTable, lookupContact, type ContactRowsInput, type ContactRowsView } from '../contacts/tables';

/**
 * What operators' front ends (the CLI, the HTTP API, the supervisors' page, scripts) may do and
 * see, one method per use case, so none of them reaches into the store. Inputs are checked here
 * whatever their type; refusals are the domain's errors with stable codes (HTTP_STATUS maps them).
 */
export class CallbackService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The live feed of what the engine commits (see Feed); durable replay is `events` / `follow`. */
  get feed(): Feed {
    return this.ctx.callbacks.feed;
  }

  /** A manual callback, or the pending one for the same number and queue it was merged into. */
  create(input: ManualCallbackInput): Promise<CreatedCallback> {
    return createCallback(this.ctx, input);
  }

  /** The call bar: a follow-up linked to a call, to its number unless another is given. */
  followUp(input: FollowUpInput): Promise<CreatedFromCall> {
    return followUp(this.ctx, input);
  }

  /** The grid: a callback for an abandoned call, optionally with its LostCall event (Neglected then applies). */
  callbackForLostCall(input: LostCallCallbackInput): Promise<CreatedFromCall> {
    return callbackForLostCall(this.ctx, input);
  }

  cancel(input: CancelInput): Promise<Callback> {
    return cancelCallback(this.ctx, input);
  }

  reschedule(input: RescheduleInput): Promise<Callback> {
    return rescheduleCallback(this.ctx, input);
  }

  callNow(input: CallNowInput): Promise<Callback> {
    return callNow(this.ctx, input);
  }

  /** Which transition applies to a call, why the others do not, and what the rules would do with it. Writes nothing. */
  explainRules(input: ExplainInput): Promise<Explanation> {
    return explainRules(this.ctx, input);
  }

  /**
   * The lost calls of a period judged again, by the rules in force or by `rules` (another
   * configuration's), beside what was decided then. Writes nothing, dials nothing.
   */
  replayRules(input: ReplayInput, rules: LostCallRules = this.ctx.config, judge: ReplayJudge = embeddedJudge(rules)): Promise<ReplayReport> {
    return replayRules(this.ctx, judge, input);
  }

  /** One callback with its attempts, events and form. */
  show(id: string): Promise<CallbackDetail> {
    return showCallback(this.ctx, id);
  }

  /** The history of a call, from its id or from an outbound call id of one of its attempts. */
  history(callOrOutboundCallId: string): Promise<CallHistory> {
    return callHistory(this.ctx, callOrOutboundCallId);
  }

  listCallbacks(query: CallbackListQuery = {}): Promise<Page<Callback>> {
    return listCallbacks(this.ctx, query);
  }

  /** The supervisors' grid of callbacks: listCallbacks with each row's last outcome. */
  callbackGrid(query: CallbackListQuery = {}): Promise<Page<CallbackGridRow>> {
    return callbackGrid(this.ctx, query);
  }

  /** The grid of calls: each with its wait, the callbacks it became, or why not. */
  listCalls(query: CallListQuery = {}): Promise<Page<CallGridRow>> {
    return listCalls(this.ctx, query);
  }

  /** How many callbacks stand in each status (a full count: for a status display or metrics, not per request). */
  countByStatus(): Promise<Partial<Record<Status, number>>> {
    return this.ctx.store.countByStatus();
  }

  /** A page of the event log after an id (for integrations). */
  events(query: EventQuery = {}): Promise<EventPage> {
    return eventsAfter(this.ctx, query);
  }

  /** The id of the newest event (0: none yet): where a live stream that asked for no position starts. */
  lastEventId(): Promise<number> {
    return this.ctx.store.lastEventId();
  }

  /** Follow the event log from an id, woken by this process's feed and other processes' writes (the SSE stream). */
  follow(options: FollowOptions): Promise<EventFollower> {
    return EventFollower.start(this.ctx.store, this.feed, options);
  }

  /** The daemon's webhook deliverer, woken after a replay or a test ping (without one, its next poll sends them). */
  private webhookWaker: DeliveryWaker | null = null;

  useWebhooks(waker: DeliveryWaker): void {
    this.webhookWaker = waker;
  }

  /** The daemon's interval triggers: without them (the command line) triggers are listed, not run. */
  private intervalTriggers: Pick<IntervalTriggers, 'runNow'> | null = null;

  useTriggers(triggers: Pick<IntervalTriggers, 'runNow'>): void {
    this.intervalTriggers = triggers;
  }

  /** The triggers configured, each with its latest runs (interval triggers). */
  async triggers(): Promise<{ trigger: TriggerConfig; runs: TriggerRun[] }[]> {
    const out: { trigger: TriggerConfig; runs: TriggerRun[] }[] = [];
    for (const trigger of this.ctx.config.triggers) out.push({ trigger, runs: trigger.on === 'interval' ? await this.ctx.store.triggerRuns(trigger.name, 10) : [] });
    return out;
  }

  /** Run an interval trigger now, as its schedule would (overlap and slot rules included). */
  async runTrigger(name: string): Promise<{ outcome: TickOutcome; run: TriggerRun | null }> {
    const trigger = this.ctx.config.triggers.find((t) => t.name === name);
    if (!trigger) throw new NotFoundError(`trigger ${name}`, 'GET /api/v1/triggers lists those configured');
    if (trigger.on !== 'interval') throw new InvalidRequestError(`trigger ${name} fires on status changes; only an interval trigger is run on demand`);
    if (!this.intervalTriggers) throw new ConflictError('triggers run in the daemon; this process does not run them');
    const outcome = await this.intervalTriggers.runNow(name);
    const [run] = await this.ctx.store.triggerRuns(name, 1);
    return { outcome, run: run ?? null };
  }

  /** The webhooks configured, never their secrets. */
  webhooks(): WebhookView[] {
    return webhookViews(this.ctx.config);
  }

  webhookDeliveries(query: DeliveryListQuery = {}): Promise<Page<WebhookDelivery>> {
    return listDeliveries(this.ctx.store, query);
  }

  /** One delivery with every attempt of every round. */
  webhookDelivery(id: string): Promise<DeliveryDetail> {
    return showDelivery(this.ctx.store, id);
  }

  /** A delivered or dead delivery sent again, attempts counted from zero. */
  replayWebhookDelivery(id: string): Promise<WebhookDelivery> {
    return replay(this.ctx.store, this.webhookWaker, id, this.ctx.clock.now());
  }

  /** Enqueue a ping to a configured webhook. */
  pingWebhook(name: string): Promise<WebhookDelivery> {
    return pingWebhook(this.ctx.config, this.ctx.store, this.webhookWaker, name, this.ctx.clock.now());
  }

  /** A contact table from CSV: numbers in E.164, refused whole when a row cannot be imported (unless skipInvalid). */
  importContacts(input: ContactImportInput): Promise<ContactImportReport> {
    return importContacts(this.ctx, input);
  }

  contactTables(): Promise<ContactTableInfo[]> {
    return this.ctx.store.contactTables();
  }

  /** The row keyed `value` (a number in any form the config's defaultCountry reads, for a table keyed by number), or null; NotFoundError for no such table. */
  lookupContact(table: string, value: string): Promise<ContactRow | null> {
    return lookupContact(this.ctx, table, value);
  }

  contactRows(table: string, input: ContactRowsInput = {}): Promise<ContactRowsView> {
    return contactRows(this.ctx, table, input);
  }

  /** Remove a contact table; returns it as it was. */
  dropContactTable(table: string): Promise<ContactTableInfo> {
    return dropContactTable(this.ctx, table);
  }
}
