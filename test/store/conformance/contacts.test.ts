import { strict as assert } from 'node:assert';
import { InvalidRequestError } from '../../../src/domain/errors';
import { forEachBackend } from '../helpers/conformance';

const T = 1_800_000_000_000;
const NUMBER = { key: 'number', replace: false };

const ada = { number: '+420601000001', name: 'Ada', tier: 'gold' };
const bob = { number: '+420601000002', name: 'Bob', tier: 'silver' };
const eva = { number: '+420601000003', name: 'Eva', tier: 'gold' };

forEachBackend('contact tables', (t) => {
  it('imports rows and finds each by its exact key, trimmed; nothing for another key or table', async () => {
    const result = await t.store.importContacts('vip', [ada, { ...bob, number: '  +420601000002 ' }], NUMBER, T);
    assert.deepEqual(result, { table: 'vip', inserted: 2, updated: 0, total: 2 });
    assert.deepEqual(await t.store.lookupContact('vip', '+420601000001'), ada);
    assert.deepEqual(await t.store.lookupContact('vip', ' +420601000002'), bob, 'the key is kept trimmed, and looked up trimmed');
    assert.equal(await t.store.lookupContact('vip', '420601000001'), null, 'exact match only');
    assert.equal(await t.store.lookupContact('other', '+420601000001'), null);
    const reader = await t.another();
    assert.deepEqual(await reader.lookupContact('vip', '+420601000001'), ada, 'another connection reads it');
  });

  it('merges by key without replace: a row with a known key is replaced whole, new columns are added after the old', async () => {
    await t.store.importContacts('vip', [ada, bob], { ...NUMBER, columns: ['number', 'name', 'tier'] }, T);
    const merged = await t.store.importContacts('vip', [{ number: bob.number, name: 'Robert', agent: 'jana' }, eva], { ...NUMBER, columns: ['number', 'name', 'agent', 'tier'] }, T + 1000);
    assert.deepEqual(merged, { table: 'vip', inserted: 1, updated: 1, total: 3 });
    assert.deepEqual(await t.store.lookupContact('vip', bob.number), { number: bob.number, name: 'Robert', agent: 'jana' });
    assert.deepEqual(await t.store.lookupContact('vip', ada.number), ada, 'rows not in the import stay');
    assert.deepEqual(await t.store.contactTables(), [{ name: 'vip', key: 'number', columns: ['number', 'name', 'tier', 'agent'], rows: 3, importedAt: T + 1000 }]);
  });

  it('replaces the whole table, even with another key column', async () => {
    await t.store.importContacts('vip', [ada, bob], NUMBER, T);
    const replaced = await t.store.importContacts('vip', [bob, eva], { key: 'number', replace: true }, T + 1);
    assert.deepEqual(replaced, { table: 'vip', inserted: 1, updated: 1, total: 2 });
    assert.equal(await t.store.lookupContact('vip', ada.number), null, 'a row not in the new file is gone');
    const rekeyed = await t.store.importContacts('vip', [{ id: 'C-1', name: 'Ada' }], { key: 'id', replace: true }, T + 2);
    assert.deepEqual(rekeyed, { table: 'vip', inserted: 1, updated: 0, total: 1 });
    assert.deepEqual(await t.store.lookupContact('vip', 'C-1'), { id: 'C-1', name: 'Ada' });
    assert.deepEqual((await t.store.contactTables())[0], { name: 'vip', key: 'id', columns: ['id', 'name'], rows: 1, importedAt: T + 2 });
    const emptied = await t.store.importContacts('vip', [], { key: 'id', replace: true, columns: ['id', 'name'] }, T + 3);
    assert.deepEqual(emptied, { table: 'vip', inserted: 0, updated: 0, total: 0 });
  });

  it('refuses a bad import whole, writing nothing: a bad name, a row without its key, a key twice, another key column', async () => {
    await t.store.importContacts('vip', [ada], NUMBER, T);
    const before = JSON.stringify([await t.store.contactTables(), await t.store.contactRows('vip', { limit: 10 })]);
    const refusals: [string, () => Promise<unknown>, RegExp][] = [
      ['name', () => t.store.importContacts("vip'; DROP TABLE contacts; --", [bob], NUMBER, T), /contact table name .* is not valid/],
      ['uppercase', () => t.store.importContacts('VIP', [bob], NUMBER, T), /is not valid/],
      ['no key', () => t.store.importContacts('vip', [bob, { number: '  ', name: 'nobody' }], NUMBER, T), /row 2 has no value in the key column "number"/],
      ['missing key', () => t.store.importContacts('vip', [bob, { name: 'nobody' }], NUMBER, T), /row 2 has no value/],
      ['twice', () => t.store.importContacts('vip', [bob, eva, { ...bob, name: 'again' }], NUMBER, T), /repeat the key "\+420601000002" \(row 3\)/],
      ['rekeyed', () => t.store.importContacts('vip', [{ id: '1' }], { key: 'id', replace: false }, T), /keyed by column "number", not "id"/],
      ['empty key', () => t.store.importContacts('vip', [bob], { key: '', replace: false }, T), /key column/],
    ];
    for (const [what, attempt, message] of refusals) {
      await assert.rejects(attempt(), (err: unknown) => err instanceof InvalidRequestError && message.test(err.message), what);
    }
    assert.equal(JSON.stringify([await t.store.contactTables(), await t.store.contactRows('vip', { limit: 10 })]), before);
    await assert.rejects(t.store.lookupContact('../vip', '1'), InvalidRequestError);
  });

  it('pages rows in byte order of their keys, whatever order they came in', async () => {
    const keys = ['b', 'a', 'Z', 'á', 'a2', '10', '9'];
    await t.store.importContacts('codes', keys.map((k) => ({ code: k, note: `n-${k}` })), { key: 'code', replace: false }, T);
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await t.store.contactRows('codes', { limit: 3, after });
      seen.push(...page.rows.map((r) => r.code));
      if (page.next === null) break;
      after = page.next;
    }
    assert.deepEqual(seen, ['10', '9', 'Z', 'a', 'a2', 'b', 'á']);
    assert.deepEqual(await t.store.contactRows('nothing', { limit: 3 }), { rows: [], next: null });
  });

  it('lists tables by name, drops one with its rows, and takes a table of the same name again', async () => {
    await t.store.importContacts('vip', [ada], NUMBER, T);
    await t.store.importContacts('blocked', [bob, eva], NUMBER, T + 5);
    assert.deepEqual((await t.store.contactTables()).map((i) => [i.name, i.rows]), [['blocked', 2], ['vip', 1]]);
    assert.equal(await t.store.dropContactTable('blocked'), true);
    assert.equal(await t.store.dropContactTable('blocked'), false);
    assert.equal(await t.store.lookupContact('blocked', bob.number), null);
    assert.deepEqual((await t.store.contactTables()).map((i) => i.name), ['vip']);
    const again = await t.store.importContacts('blocked', [eva], NUMBER, T + 9);
    assert.deepEqual(again, { table: 'blocked', inserted: 1, updated: 0, total: 1 });
  });

  it('imports many rows in one go, and merges into them', async () => {
    const many = Array.from({ length: 12_345 }, (_, i) => ({ number: `+4206${String(i).padStart(8, '0')}`, name: `caller ${i}` }));
    assert.deepEqual(await t.store.importContacts('big', many, NUMBER, T), { table: 'big', inserted: 12_345, updated: 0, total: 12_345 });
    const again = await t.store.importContacts('big', [...many.slice(12_000), { number: '+420799999999', name: 'new' }], NUMBER, T + 1);
    assert.deepEqual(again, { table: 'big', inserted: 1, updated: 345, total: 12_346 });
    assert.deepEqual(await t.store.lookupContact('big', '+420600012344'), { number: '+420600012344', name: 'caller 12344' });
  });
});
