import { strict as assert } from 'node:assert';
import { CSV_BODY_LIMIT } from '../../src/api/contact-routes';
import { VIEWER, openApiRig, type ApiRig } from './rig';

const CSV = 'text/csv; charset=utf-8';
const VIP = 'number,name,tier\r\n601 000 001,Ada,gold\r\n+420601000002,"Novák, Bob",silver\r\n';

describe('api: contact tables', function () {
  this.timeout(20_000);
  let rig: ApiRig;
  beforeEach(async () => {
    rig = await openApiRig({ doc: { defaultCountry: 'CZ' } });
  });
  afterEach(() => rig.close());

  const upload = (path: string, raw: string, contentType = CSV, token?: string | null) => rig.call('POST', path, { raw, headers: { 'content-type': contentType }, token });

  it('imports a CSV with numbers in E.164; any token reads the tables, the rows and one row; only the operator writes', async () => {
    const imported = await upload('/api/v1/contacts/vip', VIP);
    assert.equal(imported.status, 200, imported.text);
    assert.deepEqual(imported.body, { table: 'vip', key: 'number', inserted: 2, updated: 0, total: 2, rejected: [] });

    const tables = await rig.get('/api/v1/contacts', { token: VIEWER });
    assert.equal(tables.status, 200, tables.text);
    assert.deepEqual(tables.body.items, [{ name: 'vip', key: 'number', columns: ['number', 'name', 'tier'], rows: 2, importedAt: '2026-11-24T09:00:00+00:00' }]);

    const one = await rig.get(`/api/v1/contacts/vip/${encodeURIComponent('601 000 001')}`, { token: VIEWER });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.body, { table: 'vip', row: { number: '+420601000001', name: 'Ada', tier: 'gold' } });
    assert.equal((await rig.get('/api/v1/contacts/vip/+420601000002', { token: VIEWER })).body.row.name, 'Novák, Bob', 'a + in the path is the number\'s');

    assert.equal((await upload('/api/v1/contacts/vip', VIP, CSV, VIEWER)).status, 403);
    assert.equal((await upload('/api/v1/contacts/vip', VIP, CSV, null)).status, 401);
    assert.equal((await rig.call('DELETE', '/api/v1/contacts/vip', { token: VIEWER })).status, 403);
  });

  it('refuses a file with invalid rows whole, naming their lines; skipInvalid imports the rest and lists what it left out', async () => {
    const csv = 'number,name\n601000001,Ada\nnot a number,Bob\n\n+420601000001,Ada again\n601000004,Eva\n,Nobody\n';
    const refused = await upload('/api/v1/contacts/vip', csv);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.error.code, 'invalid_request');
    assert.match(refused.body.error.message, /^3 of the 5 rows cannot be imported \(line 3: "not a number" is not a phone number \(numbers without \+ or 00 are read as CZ numbers\); line 5: \+420601000001 is already on line 2; line 7: no value in the key column "number"\); nothing was imported/);
    assert.deepEqual((await rig.get('/api/v1/contacts')).body.items, []);

    const skipped = await upload('/api/v1/contacts/vip?skipInvalid=true', csv);
    assert.equal(skipped.status, 200, skipped.text);
    assert.deepEqual([skipped.body.inserted, skipped.body.total], [2, 2]);
    assert.deepEqual(skipped.body.rejected.map((r: { line: number; value: string }) => [r.line, r.value]), [[3, 'not a number'], [5, '+420601000001'], [7, '']]);
  });

  it('merges by key, or replaces the table; takes another key column', async () => {
    await upload('/api/v1/contacts/vip', VIP);
    const merged = await upload('/api/v1/contacts/vip', 'number,name,tier\n601000002,Bob,gold\n601000003,Eva,gold\n');
    assert.deepEqual([merged.body.inserted, merged.body.updated, merged.body.total], [1, 1, 3]);
    const replaced = await upload('/api/v1/contacts/vip?replace=true', 'number,name\n601000009,Zoe\n');
    assert.deepEqual([replaced.body.inserted, replaced.body.updated, replaced.body.total], [1, 0, 1]);
    assert.equal((await rig.get('/api/v1/contacts/vip/601000001')).status, 404);

    const accounts = await upload('/api/v1/contacts/accounts?key=account', 'account,number\nA-1, 601000001\n');
    assert.equal(accounts.status, 200, accounts.text);
    assert.deepEqual((await rig.get('/api/v1/contacts/accounts/A-1')).body.row, { account: 'A-1', number: ' 601000001' }, 'only the key column is normalised, and only a number key to E.164');
    const wrongKey = await upload('/api/v1/contacts/accounts', 'number,account\n601000001,A-2\n');
    assert.equal(wrongKey.status, 400);
    assert.match(wrongKey.body.error.message, /keyed by column "account", not "number"/);
  });

  it('pages the rows in key order, and answers 404 for a table or a row that is not there', async () => {
    const lines = ['number,name', ...Array.from({ length: 5 }, (_, i) => `60100000${i},n${i}`)];
    await upload('/api/v1/contacts/vip', lines.join('\n'));
    const first = await rig.get('/api/v1/contacts/vip?limit=2', { token: VIEWER });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.items.map((r: { name: string }) => r.name), ['n0', 'n1']);
    assert.equal(first.body.table.rows, 5);
    const second = await rig.get(`/api/v1/contacts/vip?limit=2&after=${encodeURIComponent(first.body.next)}`);
    assert.deepEqual(second.body.items.map((r: { name: string }) => r.name), ['n2', 'n3']);
    const last = await rig.get(`/api/v1/contacts/vip?limit=2&after=${encodeURIComponent(second.body.next)}`);
    assert.deepEqual([last.body.items.length, last.body.next], [1, null]);

    const noTable = await rig.get('/api/v1/contacts/nope');
    assert.equal(noTable.status, 404);
    assert.match(noTable.body.error.message, /contact table nope not found/);
    assert.equal((await rig.get('/api/v1/contacts/nope/601000001')).status, 404);
    const noRow = await rig.get('/api/v1/contacts/vip/601999999');
    assert.equal(noRow.status, 404);
    assert.match(noRow.body.error.message, /contact 601999999 in table vip not found/);
  });

  it('drops a table: 200 with what it was, then 404', async () => {
    await upload('/api/v1/contacts/vip', VIP);
    const dropped = await rig.call('DELETE', '/api/v1/contacts/vip');
    assert.equal(dropped.status, 200, dropped.text);
    assert.deepEqual([dropped.body.dropped.name, dropped.body.dropped.rows], ['vip', 2]);
    assert.equal((await rig.call('DELETE', '/api/v1/contacts/vip')).status, 404);
    assert.equal((await rig.get('/api/v1/contacts/vip/601000001')).status, 404);
  });

  it('refuses bad input with a clear 4xx, and writes nothing', async () => {
    const cases: [string, Promise<{ status: number; body: any; text: string }>, number, RegExp][] = [
      ['json body', rig.post('/api/v1/contacts/vip', { number: '601000001' }), 415, /send the CSV as the body, with Content-Type: text\/csv/],
      ['no body', rig.call('POST', '/api/v1/contacts/vip'), 400, /the body is empty: send the CSV/],
      ['empty csv', upload('/api/v1/contacts/vip', ''), 400, /the CSV is empty/],
      ['bad name', upload('/api/v1/contacts/VIP', VIP), 400, /params\.table must match/],
      ['bad query', upload('/api/v1/contacts/vip?replace=perhaps', VIP), 400, /query\.replace must be boolean/],
      ['unknown query', upload('/api/v1/contacts/vip?delimiter=;', VIP), 400, /unknown field "delimiter"/],
      ['ragged', upload('/api/v1/contacts/vip', 'number,name\n601000001,Ada,extra\n'), 400, /CSV line 2: 3 fields, but the header has 2/],
      ['no key column', upload('/api/v1/contacts/vip', 'phone,name\n601000001,Ada\n'), 400, /the CSV has no column "number" \(its columns: phone, name\)/],
      ['duplicate header', upload('/api/v1/contacts/vip', 'number,name,name\n'), 400, /the header names "name" twice/],
      ['not utf-8', rig.call('POST', '/api/v1/contacts/vip', { raw: Buffer.from('number,name\n601000001,Nov\xe1k\n', 'latin1') as unknown as string, headers: { 'content-type': 'text/csv' } }), 400, /not UTF-8/],
    ];
    for (const [what, answer, status, message] of cases) {
      const a = await answer;
      assert.equal(a.status, status, `${what}: ${a.text}`);
      assert.match(a.body.error.message, message, what);
    }
    assert.deepEqual((await rig.get('/api/v1/contacts')).body.items, []);
  });

  it(`refuses a body over ${CSV_BODY_LIMIT / 1024 / 1024} MiB with 413, while taking one far over api.bodyLimitBytes`, async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `+420601${String(i).padStart(6, '0')},caller number ${i} with a longer name`);
    const big = ['number,name', ...rows].join('\n');
    assert.ok(big.length > rig.config.api.bodyLimitBytes);
    const taken = await upload('/api/v1/contacts/big', big);
    assert.equal(taken.status, 200, taken.text);
    assert.equal(taken.body.total, 20_000);
    const tooBig = await upload('/api/v1/contacts/big', `number,name\n${'x'.repeat(CSV_BODY_LIMIT)}\n`);
    assert.equal(tooBig.status, 413, tooBig.text);
    assert.match(tooBig.body.error.message, /larger than 16 MiB/);
  });

  it('is in the OpenAPI document, its import taking text/csv', async () => {
    const doc = (await rig.get('/api/v1/openapi.json')).body;
    const post = doc.paths['/api/v1/contacts/{table}'].post;
    assert.deepEqual(Object.keys(post.requestBody.content), ['text/csv']);
    assert.ok(doc.paths['/api/v1/contacts/{table}'].delete);
    assert.ok(doc.paths['/api/v1/contacts/{table}/{key}'].get);
  });
});
