import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../domain/clock';
import type { CallbackStore } from '../domain/store';
import type { Feed, FeedEvent, FeedKind } from '../engine/feed';
import { errorAnswers } from './schemas';
import { LOST_REASONS, MECHANISMS, OUTCOMES, STATUSES } from '../domain/types';
import { countWebhookDeliveries, type WebhookAttempts } from '../webhooks/metrics';
import { countScriptFallbacks, countTriggerTicks, type ScriptFallbacks, type TriggerTicks } from '../triggers/metrics';

export interface MetricsDeps {
  feed: Feed;
  store: CallbackStore;
  /** Whether the PBX connection is up; null when the daemon runs without a PBX (pbx: none; then there is no callbackd_pbx_connected). */
  pbxConnected: () => boolean | null;
  /** The clock that stamps the feed's facts (the daemon's): lag is measured on it. Default: the system clock. */
  clock?: Clock;
  /** The daemon's webhook deliverer: callbackd_webhook_deliveries_total counts its attempts (left out when not given). */
  webhooks?: WebhookAttempts;
  /** The daemon's script runner: callbackd_script_fallbacks_total (left out when not given). */
  scripts?: ScriptFallbacks;
  /** The daemon's interval triggers: callbackd_trigger_ticks_total (left out when not given). */
  triggers?: TriggerTicks;
  /** Where to register; by default a registry of its own, so several daemons (and tests) in one process do not clash. */
  registry?: Registry;
}

/** Every kind of fact, so each lag series is there from the first scrape (a record: the compiler checks it is complete). */
const FEED_KINDS = Object.keys({
  'callback.created': true,
  'callback.changed': true,
  'callback.updated': true,
  'attempt.started': true,
  'attempt.ended': true,
  'call.seen': true,
} satisfies Record<FeedKind, true>) as FeedKind[];

/** 1 ms to 60 s: a callback due now should reach the PBX within milliseconds, a busy one within seconds. */
const DUE_TO_ORIGINATE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Feed delivery and store writes are normally well under a millisecond on SQLite. */
const FAST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * GET /metrics in the Prometheus text format. Callbacks by status and the PBX state are read at
 * scrape time; everything else is counted from the engine's feed (and the store's write times)
 * from the moment this is registered: counters start at zero with each process, as Prometheus
 * expects. Access (the viewer or operator token) is the API's hook, not this route's.
 */
export function registerMetrics(app: FastifyInstance, deps: MetricsDeps): void {
  const registry = deps.registry ?? new Registry();
  const clock = deps.clock ?? systemClock;
  // A registry given by the caller may collect the process metrics already.
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'callbackd_callbacks',
    help: 'Callbacks in the store by status and mechanism (all PBXs sharing the store), counted at scrape time.',
    labelNames: ['status', 'mechanism'],
    registers: [registry],
    async collect() {
      this.reset();
      let counts: Awaited<ReturnType<CallbackStore['countByStatusAndMechanism']>>;
      try {
        counts = await deps.store.countByStatusAndMechanism();
      } catch (err) {
        // The store is down (see /healthz): this scrape has no sample, the others still answer.
        app.log.warn({ error: String(err) }, 'metrics: could not count callbacks by status');
        return;
      }
      // Every pair, zeros included: a rate or an alert on a series that appears late misses its start.
      for (const status of STATUSES) for (const mechanism of MECHANISMS) this.set({ status, mechanism }, 0);
      for (const { status, mechanism, count } of counts) this.set({ status, mechanism }, count);
    },
  });

  const created = new Counter({
    name: 'callbackd_callbacks_created_total',
    help: 'Callback requests this daemon committed, by mechanism; merged="true": folded into a pending callback (whose mechanism is the label).',
    labelNames: ['mechanism', 'merged'],
    registers: [registry],
  });
  for (const mechanism of MECHANISMS) for (const merged of ['false', 'true']) created.inc({ mechanism, merged }, 0);

  const attempts = new Counter({
    name: 'callbackd_attempts_total',
    help: 'Attempts this daemon ended, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of OUTCOMES) attempts.inc({ outcome }, 0);

  const lost = new Counter({
    name: 'callbackd_lost_calls_total',
    help: 'Abandoned queue calls decided, by reason: shifted and merged became (or joined) a LostShift callback; the others were skipped.',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of LOST_REASONS) lost.inc({ reason }, 0);

  const dueToOriginate = new Histogram({
    name: 'callbackd_due_to_originate_seconds',
    help: "From a callback's due time to its attempt's start being committed, right before the originate request goes to the PBX (held places, never due, are left out).",
    buckets: DUE_TO_ORIGINATE_BUCKETS,
    registers: [registry],
  });

  // A daemon without a PBX (pbx: none) has none for its whole life: no metric, rather than a 0 that alerts.
  if (deps.pbxConnected() !== null) {
    new Gauge({
      name: 'callbackd_pbx_connected',
      help: 'Whether the PBX connection is up (1) or not (0), at scrape time.',
      registers: [registry],
      collect() {
        this.set(deps.pbxConnected() ? 1 : 0);
      },
    });
  }

  const lag = new Histogram({
    name: 'callbackd_event_lag_seconds',
    help: "From a fact's time (taken as the engine began its commit) to the feed delivering it, by kind: store write included.",
    labelNames: ['kind'],
    buckets: FAST_BUCKETS,
    registers: [registry],
  });

  const writes = new Histogram({
    name: 'callbackd_store_write_seconds',
    help: 'How long committed store writes took, their whole transaction, by operation (create, commit, claim).',
    labelNames: ['operation'],
    buckets: FAST_BUCKETS,
    registers: [registry],
  });

  const heard = (event: FeedEvent): void => {
    lag.observe({ kind: event.kind }, Math.max(0, clock.now() - event.at) / 1000);
    switch (event.kind) {
      case 'callback.created':
        created.inc({ mechanism: event.callback.mechanism, merged: String(event.merged) });
        break;
      case 'attempt.started':
        if (event.dueAt !== null) dueToOriginate.observe(Math.max(0, event.at - event.dueAt) / 1000);
        break;
      case 'attempt.ended':
        if (event.attempt.outcome) attempts.inc({ outcome: event.attempt.outcome });
        break;
      case 'call.seen':
        if (event.step === 'decided' && event.call.lostReason) lost.inc({ reason: event.call.lostReason });
        break;
    }
  };
  const stops = [deps.feed.subscribe(heard)];
  const onWrite = deps.store.onWrite?.bind(deps.store);
  if (onWrite) stops.push(onWrite((write) => writes.observe({ operation: write.operation }, write.seconds)));
  if (deps.webhooks) stops.push(countWebhookDeliveries(registry, deps.webhooks));
  if (deps.scripts) stops.push(countScriptFallbacks(registry, deps.scripts));
  if (deps.triggers) stops.push(countTriggerTicks(registry, deps.triggers));
  for (const kind of FEED_KINDS) lag.zero({ kind });
  app.addHook('onClose', async () => {
    for (const stop of stops) stop();
  });

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format); the viewer token will do',
        produces: ['text/plain'],
        response: { 200: { description: 'the Prometheus text format, version 0.0.4', type: 'string' }, ...errorAnswers('forbidden') },
      },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
}
