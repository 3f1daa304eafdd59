import assert from 'node:assert/strict';
import { InvalidRequestError, NotFoundError } from '../../src/domain/errors';
import { MIN, NOW, attempt, openRig, queueCall, type Rig } from './rig';

describe('service: one callback, the history of a call, the lists and the event log', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig();
  });
  afterEach(() => rig.close());

  /** A call lost after 40 s that became a LostShift callback, attempted twice (busy, then answered: agent-first). */
  async function lostAndCalledBack() {
    await queueCall(rig, 'lost-1', 'abandoned', { waitSeconds: 40, form: { ACCOUNT: '7' } });
    const [callback] = (await rig.store.list({ limit: 1 })).items;
    const first = await attempt(rig, callback, 'busy');
    const second = await attempt(rig, first.callback, 'answered', 'agent-first');
    return { callback: second.callback, first: first.attempt, second: second.attempt };
  }

  it('shows one callback with its attempts (and their outbound call ids), events and form', async () => {
    const { callback, first, second } = await lostAndCalledBack();
    const detail = await rig.service.show(callback.id);
    assert.equal(detail.callback.status, 'Completed');
    assert.deepEqual(detail.form, { ACCOUNT: '7' });
    assert.deepEqual(
      detail.attempts.map((a) => [a.seq, a.outcome, a.outboundCallIds]),
      [
        [1, 'busy', [`cbcu-${first.id}`]],
        [2, 'answered', [`cbph-${second.id}`, `cbcu-${second.id}`]],
      ],
    );
    const ids = detail.events.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(detail.events[0].type, 'LostCall');
    await assert.rejects(rig.service.show('nope'), NotFoundError);
  });

  it('gives the history of a call from its id, and the same from any of its outbound call ids', async () => {
    const { callback, first, second } = await lostAndCalledBack();
    const history = await rig.service.history('lost-1');
    assert.deepEqual([history.callId, history.call?.result, history.attempt, history.callbacks.map((c) => c.callback.id)], ['lost-1', 'abandoned', null, [callback.id]]);
    assert.deepEqual(history.callbacks[0].attempts.map((a) => a.outcome), ['busy', 'answered']);
    const types = history.events.map((e) => e.type);
    assert.equal(types[0], 'LostCall');
    assert.ok(types.includes('AttemptEnded'));
    for (const outbound of [`cbcu-${first.id}`, `cbph-${second.id}`, `cbcu-${second.id}`]) {
      const found = await rig.service.history(outbound);
      assert.equal(found.callId, 'lost-1', outbound);
      assert.deepEqual(found.callbacks.map((c) => c.callback.id), [callback.id], outbound);
      assert.deepEqual(found.events, history.events, outbound);
      assert.ok(found.attempt?.outboundCallIds.includes(outbound), outbound);
    }
    // A placeholder put back after a restart has a new channel id; the old one still names its attempt.
    assert.equal((await rig.service.history(`cbph-${second.id}-1764000000000`)).attempt?.id, second.id);
  });

  it('gives the history of a callback with no call behind it from its outbound call id, and refuses an unknown id', async () => {
    const { callback } = await rig.service.create({ number: '+420601111333', queue: 'support', by: 'api' });
    const { attempt: made } = await attempt(rig, callback, 'no_answer');
    const history = await rig.service.history(`cbcu-${made.id}`);
    assert.deepEqual([history.callId, history.call, history.callbacks.map((c) => c.callback.id)], [null, null, [callback.id]]);
    await assert.rejects(rig.service.history('never-seen'), NotFoundError);
    await assert.rejects(rig.service.history(''), InvalidRequestError);
  });

  it('lists callbacks with filters as a query string gives them, refusing bad values', async () => {
    await queueCall(rig, 'lost-1', 'abandoned', { waitSeconds: 40, number: '+420601111222' });
    const { callback: manual } = await rig.service.create({ number: '+420601111333', queue: 'support', by: 'api' });
    const ids = async (query: Record<string, string>) => (await rig.service.listCallbacks(query)).items.map((c) => c.id);
    assert.equal((await ids({})).length, 2);
    assert.deepEqual(await ids({ mechanism: 'MANUAL' }), [manual.id]);
    assert.deepEqual(await ids({ number: '601 111 333', status: 'scheduled' }), [manual.id]);
    const page = await rig.service.listCallbacks({ limit: '1' });
    assert.equal(page.items.length, 1);
    assert.equal((await rig.service.listCallbacks({ limit: '1', cursor: page.nextCursor ?? '' })).items.length, 1);
    for (const bad of [{ status: 'done' }, { mechanism: 'x' }, { limit: '0' }, { limit: '1001' }, { limit: 'ten' }, { number: 'abc' }, { cursor: 'zzz' }]) {
      await assert.rejects(rig.service.listCallbacks(bad), InvalidRequestError, JSON.stringify(bad));
    }
  });

  it('lists the grid of calls: how long each waited, the callback it became, or why not', async () => {
    await queueCall(rig, 'short', 'abandoned', { waitSeconds: 4 });
    await queueCall(rig, 'lost', 'abandoned', { waitSeconds: 40, number: '+420601111333' });
    await queueCall(rig, 'served', 'served', { waitSeconds: 12, number: '+420601111444' });
    rig.clock.advance(MIN);
    await rig.queueCalls.entered({ callId: 'waiting', number: '+420601111555', queue: 'support', at: NOW, form: {} });
    rig.clock.advance(MIN);
    assert.deepEqual(await rig.service.countByStatus(), { Scheduled: 1 });
    const grid = await rig.service.listCalls({});
    const rows = new Map(grid.items.map((row) => [row.call.id, row]));
    assert.deepEqual([...rows.keys()].sort(), ['lost', 'served', 'short', 'waiting']);
    assert.deepEqual([rows.get('short')?.waitedSeconds, rows.get('short')?.callbacks, rows.get('short')?.whyNot], [4, [], 'waited 4s, under minWaitSeconds 10']);
    const lost = rows.get('lost');
    assert.deepEqual([lost?.waitedSeconds, lost?.callbacks.map((c) => c.mechanism), lost?.whyNot], [40, ['LostShift'], null]);
    assert.deepEqual([rows.get('served')?.waitedSeconds, rows.get('served')?.whyNot], [12, null]);
    assert.equal(rows.get('waiting')?.waitedSeconds, 120, 'still waiting: until now');
    const abandoned = await rig.service.listCalls({ result: 'ABANDONED', limit: 1 });
    assert.equal(abandoned.items.length, 1);
    const rest = await rig.service.listCalls({ result: 'abandoned', limit: 1, cursor: abandoned.nextCursor ?? '' });
    assert.deepEqual([...abandoned.items, ...rest.items].map((r) => r.call.id).sort(), ['lost', 'short']);
    assert.deepEqual((await rig.service.listCalls({ queue: 'sales' })).items, []);
    await assert.rejects(rig.service.listCalls({ result: 'lost' }), InvalidRequestError);
  });

  it('pages the event log after an id, for integrations', async () => {
    await lostAndCalledBack();
    const all = (await rig.service.events({ limit: 1000 })).items;
    assert.ok(all.length > 5);
    const first = await rig.service.events({ after: 0, limit: 3 });
    assert.deepEqual(first.items, all.slice(0, 3));
    const next = await rig.service.events({ after: String(first.next), limit: '1000' });
    assert.deepEqual(next.items, all.slice(3));
    const end = await rig.service.events({ after: next.next });
    assert.deepEqual([end.items, end.next], [[], next.next]);
    await assert.rejects(rig.service.events({ after: -1 }), InvalidRequestError);
  });
});
