import assert from 'node:assert/strict';
import path from 'node:path';
import type { Logger } from 'winston';
import { Daemon } from '../../src/daemon';
import { ManualClock } from '../../src/domain/clock';
import { ConflictError } from '../../src/domain/errors';
import type { Callback } from '../../src/domain/types';
import { Feed, type FeedEvent } from '../../src/engine/feed';
import { createSilentLogger } from '../../src/log';
import { openDatabase, type Db } from '../../src/store/database';
import { testConfig } from '../helpers/config';
import { FakeTimers } from '../helpers/fake-timers';
import { RecordingGateway } from '../helpers/recording-gateway';
import { removeDir, tempDir } from '../helpers/tmp';
import { idle } from '../helpers/wait';

const created: FeedEvent = { kind: 'callback.created', at: 1, merged: false, callback: { id: 'cb-1', queue: 'support' } as Callback };

describe('feed: the engine tells what it committed', () => {
  describe('subscribers', () => {
    it('hear every event in the order emitted, in the order they subscribed, until they unsubscribe', () => {
      const feed = new Feed();
      const heard: string[] = [];
      const stopA = feed.subscribe((e) => void heard.push(`a:${e.at}`));
      feed.subscribe((e) => void heard.push(`b:${e.at}`));
      feed.emit(created);
      feed.emit({ ...created, at: 2 });
      stopA();
      feed.emit({ ...created, at: 3 });
      assert.deepEqual(heard, ['a:1', 'b:1', 'a:2', 'b:2', 'b:3']);
      assert.equal(feed.size, 1);
    });

    it('that throw or reject are logged, and the others still hear', async () => {
      const warnings: string[] = [];
      const logger = { warn: (message: string) => void warnings.push(message) } as unknown as Logger;
      const feed = new Feed(logger);
      const heard: FeedEvent[] = [];
      feed.subscribe(() => {
        throw new Error('broken page');
      });
      feed.subscribe(async () => {
        throw new Error('broken metrics');
      });
      feed.subscribe((e) => void heard.push(e));
      assert.doesNotThrow(() => feed.emit(created));
      assert.deepEqual(heard, [created]);
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, ['a feed subscriber failed on callback.created; the engine goes on', 'a feed subscriber failed on callback.created; the engine goes on']);
    });
  });

  describe('from a running daemon', () => {
    let dir: string;
    let clock: ManualClock;
    let gateway: RecordingGateway;
    let daemon: Daemon;
    let reader: Db;
    let told: FeedEvent[];
    /** For each event: was what it tells already committed, as another connection reads the database at that moment? */
    let committed: boolean[];

    beforeEach(async () => {
      dir = tempDir();
      clock = new ManualClock(Date.parse('2026-11-24T09:00:00Z'));
      gateway = new RecordingGateway();
      const config = testConfig({
        db: path.join(dir, 'cb.db'),
        transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 10, retryMinutes: { busy: 5 }, dialMode: 'customer-first' }],
      });
      daemon = await Daemon.open({ config, logger: createSilentLogger(), clock, timers: new FakeTimers(clock), gateway });
      await daemon.start();
      reader = openDatabase(config.db, { create: false });
      told = [];
      committed = [];
      daemon.feed.subscribe((event) => {
        told.push(event);
        if (event.kind === 'call.seen') {
          const row = reader.prepare<[string], { result: string; lost_decision: string | null }>('SELECT result, lost_decision FROM calls WHERE id = ?').get(event.call.id);
          committed.push(row?.result === event.call.result && (event.step !== 'decided' || row?.lost_decision === event.call.lostDecision));
        } else {
          const row = reader.prepare<[string], { status: string; version: number }>('SELECT status, version FROM callbacks WHERE id = ?').get(event.callback.id);
          committed.push(row?.status === event.callback.status && row?.version === event.callback.version);
        }
      });
    });

    afterEach(async () => {
      reader.close();
      await daemon.stop();
      removeDir(dir);
    });

    const kinds = () =>
      told.map((e) =>
        e.kind === 'callback.changed' ? `${e.from}-[${e.event}]->${e.to}` : e.kind === 'attempt.ended' ? `attempt.ended:${e.attempt.outcome}` : e.kind === 'call.seen' ? `call.seen:${e.step}` : e.kind,
      );

    it('one event per fact, each after its commit, in order: a request, an attempt and its outcome', async () => {
      const { callback } = await daemon.service.create({ number: '+420601111222', queue: 'support', by: 'api' });
      daemon.scheduler.poke();
      await idle(daemon);
      const plan = gateway.started[0];
      await gateway.listener!.attemptEnded(plan, 'busy', 'Dial BUSY');
      // A duplicate report changes nothing, so it tells nothing.
      await gateway.listener!.attemptEnded(plan, 'busy', 'duplicate');
      assert.deepEqual(kinds(), ['callback.created', 'Scheduled-[dial]->Dialing', 'attempt.started', 'attempt.ended:busy', 'Dialing-[retry]->Scheduled']);
      assert.ok(committed.every(Boolean), JSON.stringify(committed));
      const started = told.find((e) => e.kind === 'attempt.started');
      const ended = told.find((e) => e.kind === 'attempt.ended');
      assert.ok(started?.kind === 'attempt.started' && ended?.kind === 'attempt.ended');
      assert.deepEqual([started.attempt.id, started.attempt.customerRef, started.attempt.endedAt, started.callback.status], [plan.attemptId, `cbcu-${plan.attemptId}`, null, 'Dialing']);
      assert.deepEqual(
        [ended.attempt.id, ended.attempt.startedAt, ended.attempt.outcome, ended.attempt.detail, ended.attempt.endedAt, ended.callback.status],
        [plan.attemptId, started.attempt.startedAt, 'busy', 'Dial BUSY', clock.now(), 'Scheduled'],
      );
      assert.equal(told[0].kind === 'callback.created' && told[0].callback.id, callback.id);
    });

    it('tells a queue call as it is seen and decided, with the callback it became in between', async () => {
      const at = clock.now();
      await gateway.listener!.queueCallEntered({ callId: 'call-1', number: '+420601111222', queue: 'support', at, form: {} });
      await gateway.listener!.queueCallGone({ callId: 'call-1', queue: 'support', at: at + 30_000, how: 'abandoned', position: 2, waitSeconds: 30 });
      await idle(daemon);
      assert.deepEqual(kinds().slice(0, 4), ['call.seen:entered', 'call.seen:gone', 'callback.created', 'call.seen:decided']);
      const decided = told[3];
      assert.ok(decided.kind === 'call.seen' && decided.call.lostDecision === 'shifted');
      assert.ok(committed.every(Boolean), JSON.stringify(committed));
    });

    it('tells nothing for a change that did not commit, and a throwing subscriber breaks no commit', async () => {
      const { callback } = await daemon.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 30, by: 'api' });
      const before = told.length;
      const stale = { ...callback, version: callback.version + 5 };
      await assert.rejects(daemon.callbacks.apply(stale, 'cancel'), ConflictError);
      assert.equal(told.length, before);
      daemon.feed.subscribe(() => {
        throw new Error('a broken subscriber');
      });
      const cancelled = await daemon.service.cancel({ id: callback.id, by: 'api' });
      assert.equal(cancelled.status, 'Cancelled');
      assert.equal((await daemon.store.get(callback.id))?.status, 'Cancelled');
      assert.deepEqual(kinds().slice(before), ['Scheduled-[cancel]->Cancelled']);
    });
  });
});
