import { strict as assert } from 'node:assert';
import { InvalidRequestError } from '../../../src/domain/errors';
import type { CallFilter } from '../../../src/domain/store';
import type { CallRecord } from '../../../src/domain/types';
import { forEachBackend } from '../helpers/conformance';
import { T0, create, dial, holdPlace, newAttempt, waitingCall } from '../helpers/fixtures';

forEachBackend('the grid of calls, outbound calls and the list by mechanism', (t) => {
  /** Every page of a filter, following the cursors. */
  async function allPages(filter: Omit<CallFilter, 'cursor'>): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await t.store.listCalls({ ...filter, cursor });
      pages.push(page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return pages;
  }

  async function call(id: string, fields: Partial<CallRecord>): Promise<CallRecord> {
    const record = waitingCall({ id, ...fields });
    await t.store.upsertCall(record);
    return record;
  }

  it('lists calls newest first by the time they entered, a page at a time, filtered by result and queue', async () => {
    await call('c1', { enteredAt: T0, result: 'abandoned', queue: 'support' });
    await call('c2', { enteredAt: T0 + 1, result: 'served', queue: 'support' });
    await call('c3', { enteredAt: T0 + 2, result: 'abandoned', queue: 'sales' });
    await call('c4', { enteredAt: T0 + 3, result: 'abandoned', queue: 'support' });
    await call('c5', { enteredAt: T0 + 4, result: 'waiting', queue: 'support' });
    assert.deepEqual(await allPages({ limit: 2 }), [['c5', 'c4'], ['c3', 'c2'], ['c1']]);
    assert.deepEqual(await allPages({ limit: 2, result: 'abandoned' }), [['c4', 'c3'], ['c1']]);
    assert.deepEqual(await allPages({ limit: 10, queue: 'support' }), [['c5', 'c4', 'c2', 'c1']]);
    assert.deepEqual(await allPages({ limit: 1, result: 'abandoned', queue: 'support' }), [['c4'], ['c1']]);
    assert.deepEqual(await allPages({ limit: 5, result: 'left' }), [[]]);
    const [first] = (await t.store.listCalls({ limit: 1, result: 'abandoned' })).items;
    assert.deepEqual(first, { ...waitingCall({ id: 'c4', enteredAt: T0 + 3, result: 'abandoned', queue: 'support' }) });
  });

  it('keeps its pages when calls arrive meanwhile, orders calls that entered together by id, and follows a call as its result changes', async () => {
    for (const id of ['b', 'a', 'c']) await call(id, { enteredAt: T0, result: 'abandoned' });
    const page = await t.store.listCalls({ limit: 2 });
    assert.deepEqual(page.items.map((c) => c.id), ['c', 'b']);
    await call('newer', { enteredAt: T0 + 10, result: 'abandoned' });
    assert.deepEqual((await t.store.listCalls({ limit: 2, cursor: page.nextCursor ?? undefined })).items.map((c) => c.id), ['a']);
    await call('b', { enteredAt: T0, result: 'served' });
    assert.deepEqual(await allPages({ limit: 10, result: 'abandoned' }), [['newer', 'c', 'a']]);
    assert.deepEqual(await allPages({ limit: 10, result: 'served' }), [['b']]);
  });

  it('refuses a cursor it did not make', async () => {
    await assert.rejects(t.store.listCalls({ limit: 5, cursor: 'not-a-cursor' }), InvalidRequestError);
    await assert.rejects(t.store.listCalls({ limit: 5, cursor: Buffer.from('{"x":1}').toString('base64url') }), InvalidRequestError);
  });

  it('finds an attempt by its customer channel or its placeholder, and nothing for another channel', async () => {
    const customerFirst = await create(t.store);
    const dialled = await dial(t.store, customerFirst, { customerRef: 'cbcu-one' });
    const { attempt: held } = await holdPlace(t.store);
    assert.equal((await t.store.attemptByChannel('cbcu-one'))?.id, dialled.id);
    assert.deepEqual(await t.store.attemptByChannel(held.placeholderRef as string), await t.store.getAttempt(held.id));
    assert.equal(await t.store.attemptByChannel('cbcu-unknown'), null);
    assert.equal(await t.store.attemptByChannel(''), null);
    // An agent took the placeholder: the customer's channel, set on the open attempt, finds it too.
    await t.store.commit({ callbackId: held.callbackId, at: T0 + 5, from: 'Scheduled', event: 'dial', updateAttempt: { id: held.id, customerRef: 'cbcu-two' } });
    assert.equal((await t.store.attemptByChannel('cbcu-two'))?.id, held.id);
    // And it is still found once the attempt ended.
    await t.store.commit({ callbackId: held.callbackId, at: T0 + 9, from: 'Dialing', event: 'answer', endAttempt: { id: held.id, outcome: 'answered' } });
    assert.equal((await t.store.attemptByChannel('cbcu-two'))?.outcome, 'answered');
  });

  it('gives the latest attempt should two ever have used one channel', async () => {
    const cb = await create(t.store);
    const first = await dial(t.store, cb, { customerRef: 'shared', startedAt: T0 });
    await t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Dialing', event: 'retry', set: { dueAt: T0 + 2 }, endAttempt: { id: first.id, outcome: 'busy' } });
    const again = (await t.store.get(cb.id))!;
    const second = newAttempt(again, { customerRef: 'shared', startedAt: T0 + 3 });
    await t.store.commit({ callbackId: cb.id, at: T0 + 3, from: 'Scheduled', event: 'dial', set: { attempts: 2 }, startAttempt: second });
    assert.equal((await t.store.attemptByChannel('shared'))?.id, second.id);
  });

  it('lists callbacks of one mechanism, alone or with other filters', async () => {
    const manual = await create(t.store, { mechanism: 'manual', createdAt: T0 + 1 });
    const lost = await create(t.store, { mechanism: 'LostShift', createdAt: T0 + 2 });
    const ivr = await create(t.store, { mechanism: 'IvrCallBack', createdAt: T0 + 3, queue: 'sales' });
    const lostSales = await create(t.store, { mechanism: 'LostShift', createdAt: T0 + 4, queue: 'sales' });
    const ids = async (filter: Parameters<typeof t.store.list>[0]) => (await t.store.list(filter)).items.map((c) => c.id);
    assert.deepEqual(await ids({ limit: 10, mechanism: 'LostShift' }), [lostSales.id, lost.id]);
    assert.deepEqual(await ids({ limit: 10, mechanism: 'LostShift', queue: 'support' }), [lost.id]);
    assert.deepEqual(await ids({ limit: 10, mechanism: 'IvrCallBack', status: 'Scheduled' }), [ivr.id]);
    assert.deepEqual(await ids({ limit: 10, mechanism: 'manual', number: manual.number }), [manual.id]);
    assert.deepEqual(await ids({ limit: 10, mechanism: 'script' }), []);
    const page = await t.store.list({ limit: 1, mechanism: 'LostShift' });
    assert.deepEqual(await ids({ limit: 1, mechanism: 'LostShift', cursor: page.nextCursor ?? undefined }), [lost.id]);
  });
});
