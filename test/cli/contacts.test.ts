import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, cliEnv } from '../helpers/cli';
import { removeDir, tempDir } from '../helpers/tmp';
import { cli, failedInOneLine, jsonError } from './run';

const VIP = 'number,name,tier\r\n601 000 001,Ada,gold\r\n+420601000002,"Novák, Bob",silver\r\n';

describe('callbackd contacts: import, list, show, lookup, drop', function () {
  this.timeout(60_000);
  let dir: string;
  let db: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = tempDir();
    db = path.join(dir, 'callbackd.db');
    env = { CALLBACKD_DB: db, CALLBACKD_DEFAULT_COUNTRY: 'CZ' };
  });
  afterEach(() => removeDir(dir));

  const file = (name: string, text: string | Buffer) => {
    const at = path.join(dir, name);
    fs.writeFileSync(at, text);
    return at;
  };
  const run = (...args: string[]) => cli(['contacts', ...args], env, dir);
  const json = (...args: string[]) => {
    const r = run(...args, '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  it('imports a CSV, numbers in E.164, and shows what a script would find', () => {
    const imported = run('import', file('vip.csv', VIP), '--table', 'vip');
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(imported.stdout, 'imported vip (keyed by number): 2 new, 0 updated; 2 rows in the table\n');

    const listed = run('list');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^table\s+key\s+rows\s+columns\s+imported\n-+.*\nvip\s+number\s+2\s+number,name,tier\s+\d{4}-/);
    assert.deepEqual(json('list').items.map((t: { name: string; rows: number; columns: string[] }) => [t.name, t.rows, t.columns]), [['vip', 2, ['number', 'name', 'tier']]]);

    const shown = run('show', 'vip');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /^vip: 2 rows, keyed by number, imported \S+\n\nnumber\s+name\s+tier\n-+\s+-+\s+-+\n\+420601000001\s+Ada\s+gold\n\+420601000002\s+Novák, Bob\s+silver\n$/);
    const page = json('show', 'vip', '--limit', '1');
    assert.deepEqual([page.items.length, page.next], [1, '+420601000001']);
    assert.deepEqual(json('show', 'vip', '--after', page.next).items.map((r: { name: string }) => r.name), ['Novák, Bob']);

    const found = run('lookup', 'vip', '601000002');
    assert.equal(found.status, 0, found.stderr);
    assert.equal(found.stdout, 'number  +420601000002\nname    Novák, Bob\ntier    silver\n');
    assert.deepEqual(json('lookup', 'vip', '+420 601 000 001'), { table: 'vip', row: { number: '+420601000001', name: 'Ada', tier: 'gold' } });
    assert.equal(failedInOneLine(run('lookup', 'vip', '601999999'), 1), 'callbackd: contact 601999999 in table vip not found');
    assert.equal(jsonError(run('lookup', 'nope', '601000001', '--json'), 1).code, 'not_found');

    assert.equal(run('drop', 'vip').stdout, 'dropped vip (2 rows)\n');
    assert.match(failedInOneLine(run('drop', 'vip'), 1), /contact table vip not found/);
    assert.equal(run('list').stdout, 'no contact tables (callbackd contacts import FILE.csv --table NAME makes one)\n');
  });

  it('refuses a file with invalid rows whole, naming the lines; --skip-invalid imports the rest and says what it left out', () => {
    const csv = file('mixed.csv', 'number,name\n601000001,Ada\n12,Bob\n601000001,Ada again\n');
    const refused = run('import', csv, '--table', 'vip');
    assert.match(
      failedInOneLine(refused, 1),
      /^callbackd: 2 of the 3 rows cannot be imported \(line 3: "12" is not a phone number \(numbers without \+ or 00 are read as CZ numbers\); line 4: \+420601000001 is already on line 2\); nothing was imported: fix them, or leave them out \(--skip-invalid/,
    );
    assert.equal(jsonError(run('import', csv, '--table', 'vip', '--json'), 1).code, 'invalid_request');
    assert.equal(run('list').stdout, 'no contact tables (callbackd contacts import FILE.csv --table NAME makes one)\n', 'nothing was imported');

    const skipped = run('import', csv, '--table', 'vip', '--skip-invalid');
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.equal(
      skipped.stdout,
      'imported vip (keyed by number): 1 new, 0 updated; 1 rows in the table\nleft out 2 row(s):\n  line 3: "12" is not a phone number (numbers without + or 00 are read as CZ numbers)\n  line 4: +420601000001 is already on line 2\n',
    );
    const report = json('import', csv, '--table', 'vip', '--skip-invalid');
    assert.deepEqual([report.inserted, report.updated, report.rejected.length], [0, 1, 2]);
  });

  it('merges by key, replaces with --replace, keys by another column with --key, and reads standard input', () => {
    assert.equal(run('import', file('a.csv', VIP), '--table', 'vip').status, 0);
    const merged = json('import', file('b.csv', 'number,name,tier\n601000002,Bob,gold\n601000003,Eva,gold\n'), '--table', 'vip');
    assert.deepEqual([merged.inserted, merged.updated, merged.total], [1, 1, 3]);
    const replaced = json('import', file('c.csv', 'number,name\n601000009,Zoe\n'), '--table', 'vip', '--replace');
    assert.deepEqual([replaced.inserted, replaced.total], [1, 1]);

    const accounts = json('import', file('d.csv', 'account,number\nA-7,601000001\n'), '--table', 'accounts', '--key', 'account');
    assert.deepEqual([accounts.key, accounts.total], ['account', 1]);
    assert.deepEqual(json('lookup', 'accounts', 'A-7').row, { account: 'A-7', number: '601000001' });

    const piped = spawnSync(process.execPath, [CLI, 'contacts', 'import', '-', '--table', 'piped', '--json'], { env: cliEnv(env), cwd: dir, encoding: 'utf8', input: VIP, timeout: 10_000 });
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(JSON.parse(piped.stdout).total, 2);
  });

  it('checks its arguments before it opens the database, and the reading commands never make one', () => {
    const csv = file('vip.csv', VIP);
    assert.match(failedInOneLine(run('import', csv, '--table', 'VIP'), 1), /contact table name "VIP" is not valid: a lowercase letter/);
    assert.equal(failedInOneLine(run('import', path.join(dir, 'missing.csv'), '--table', 'vip'), 1), `callbackd: cannot read ${path.join(dir, 'missing.csv')}: no such file`);
    assert.match(failedInOneLine(run('import', file('ragged.csv', 'number,name\n601000001\n'), '--table', 'vip'), 1), /CSV line 2: 1 field, but the header has 2/);
    assert.match(failedInOneLine(run('import', file('latin1.csv', Buffer.from('number,name\n601000001,Nov\xe1k\n', 'latin1')), '--table', 'vip'), 1), /not UTF-8/);
    assert.match(failedInOneLine(run('import', csv), 1), /required option '--table <name>' not specified; see callbackd contacts import --help/);
    assert.match(failedInOneLine(run('show', 'vip', '--limit', '0'), 1), /--limit must be a whole number from 1 to 1000/);
    assert.equal(jsonError(run('list', '--json'), 1).code, 'database_missing');
    assert.equal(jsonError(run('lookup', 'vip', '601000001', '--json'), 1).code, 'database_missing');
    assert.equal(fs.existsSync(db), false, 'no database was made');
  });
});
