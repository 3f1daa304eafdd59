import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../src/config/types';
import { ManualClock } from '../../src/domain/clock';
import type { Attempt, Callback, DialMode, Outcome } from '../../src/domain/types';
import { Callbacks } from '../../src/engine/callbacks';
import { Feed, type FeedEvent } from '../../src/engine/feed';
import { QueueCalls } from '../../src/engine/queue-calls';
import { createSilentLogger } from '../../src/log';
import { CallbackService } from '../../src/service/service';
import { SqliteStore } from '../../src/store/sqlite-store';
import { testConfig } from '../helpers/config';
import { removeDir, tempDir } from '../helpers/tmp';

export const NOW = Date.parse('2026-11-24T09:00:00Z');
export const MIN = 60_000;

/** A service on a real SQLite file in a temp dir, with the engine pieces that commit, and everything the feed told. */
export interface Rig {
  dir: string;
  config: Config;
  store: SqliteStore;
  clock: ManualClock;
  feed: Feed;
  told: FeedEvent[];
  callbacks: Callbacks;
  queueCalls: QueueCalls;
  service: CallbackService;
  close(): Promise<void>;
}

/** `support` takes manual and LostShift callbacks (minWaitSeconds 10, delay 5 min, deadline after 2 h). */
export function openRig(doc: Record<string, unknown> = {}): Rig {
  const dir = tempDir('callbackd-service-');
  const config = testConfig({
    db: path.join(dir, 'cb.db'),
    transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 10, delayMinutes: 5, expiresAfterMinutes: 120, dialMode: 'customer-first' }],
    ...doc,
  });
  const store = SqliteStore.open(config.db);
  const clock = new ManualClock(NOW);
  const logger = createSilentLogger();
  const feed = new Feed(logger);
  const told: FeedEvent[] = [];
  feed.subscribe((event) => {
    told.push(event);
  });
  const callbacks = new Callbacks(store, config, clock, logger, {}, feed);
  const queueCalls = new QueueCalls(store, callbacks, config, clock, logger);
  const service = new CallbackService({ store, callbacks, config, clock });
  return {
    dir,
    config,
    store,
    clock,
    feed,
    told,
    callbacks,
    queueCalls,
    service,
    async close() {
      await store.close();
      removeDir(dir);
    },
  };
}

/** A queue call that entered at NOW and ended `how` after `waitSeconds`, as the PBX would report it. */
export async function queueCall(rig: Rig, callId: string, how: 'abandoned' | 'served', fields: { number?: string | null; waitSeconds?: number; queue?: string; form?: Record<string, string> } = {}): Promise<void> {
  const queue = fields.queue ?? 'support';
  const number = fields.number === undefined ? '+420601111222' : fields.number;
  const waitSeconds = fields.waitSeconds ?? 30;
  await rig.queueCalls.entered({ callId, number, queue, at: rig.clock.now(), form: fields.form ?? {} });
  if (how === 'served') await rig.queueCalls.served({ callId, queue, number, at: rig.clock.now() + waitSeconds * 1000 });
  await rig.queueCalls.gone({ callId, queue, at: rig.clock.now() + waitSeconds * 1000, how, position: 2, waitSeconds });
}

/**
 * One attempt as the dialer makes it (Callbacks.apply / update with the same changes), ended with
 * `outcome` unless null. Agent-first: a placeholder cbph-<id>, then the customer cbcu-<id>.
 */
export async function attempt(rig: Rig, callback: Callback, outcome: Outcome | null, mode: DialMode = 'customer-first'): Promise<{ callback: Callback; attempt: Attempt }> {
  const id = randomUUID();
  const seq = callback.attempts + 1;
  const at = rig.clock.now();
  const start = { id, callbackId: callback.id, seq, mode, startedAt: at, placeholderRef: mode === 'agent-first' ? `cbph-${id}` : null, customerRef: mode === 'customer-first' ? `cbcu-${id}` : null, owner: 'test', leaseUntil: at + MIN, counted: true };
  const change = { set: { attempts: seq, dueAt: null, claimOwner: null, claimUntil: null }, startAttempt: start, events: [{ type: 'AttemptStarted' as const, callbackId: callback.id, data: { attemptId: id, seq, mode } }] };
  let current = mode === 'customer-first' ? await rig.callbacks.apply(callback, 'dial', change) : await rig.callbacks.update(callback, change);
  if (mode === 'agent-first') current = await rig.callbacks.apply(current, 'dial', { updateAttempt: { id, customerRef: `cbcu-${id}` } });
  if (outcome !== null) {
    const ended = { endAttempt: { id, outcome, detail: 'test' }, events: [{ type: 'AttemptEnded' as const, callbackId: callback.id, data: { attemptId: id, seq, outcome } }] };
    current = outcome === 'answered' ? await rig.callbacks.apply(current, 'answer', ended) : await rig.callbacks.apply(current, 'retry', { ...ended, set: { dueAt: rig.clock.now() + 5 * MIN } });
  }
  return { callback: current, attempt: (await rig.store.getAttempt(id)) as Attempt };
}
