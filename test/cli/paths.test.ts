import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeDir, tempDir } from '../helpers/tmp';
import { cli, failedInOneLine } from './run';

/** Paths no database can live at, and what the one line must say about each. */
const BAD: [string, RegExp][] = [
  ['/etc/passwd/x/db', /\/etc\/passwd is a file, not a directory/],
  ['/sys/x/db', /\/sys is on sysfs, a kernel filesystem/],
  ['/proc/x/db', /\/proc is on proc, a kernel filesystem/],
  [fs.realpathSync(os.tmpdir()), /it is a directory, not a file; (set db \/ CALLBACKD_DB to|give --db) a file in it, e\.g\. /],
];

describe('callbackd command line: files it cannot use', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  for (const [db, why] of BAD) {
    it(`CALLBACKD_DB=${db}: list, show, cancel, create, migrate and run fail at once in one line naming the key and the path`, () => {
      const env = { CALLBACKD_DB: db };
      const commands = [['list'], ['show', 'x'], ['cancel', 'x'], ['create', '--number', '+12025550123', '--queue', 'support'], ['migrate'], ['run']];
      for (const args of commands) {
        const r = cli(args, env, dir, 8000);
        const line = failedInOneLine(r, 78, `${args[0]} with ${db}`);
        assert.ok(line.startsWith(`callbackd: database "db" (CALLBACKD_DB): `), line);
        assert.ok(line.includes(db), `${args[0]}: names ${db}: ${line}`);
        assert.match(line, why, args[0]);
        assert.match(line, /set db \/ CALLBACKD_DB to /, `${args[0]}: says what to do: ${line}`);
        assert.ok(r.ms < 5000, `${args[0]} took ${r.ms} ms`);
      }
    });

    it(`demo --db ${db} fails at once in one line, and does not hang`, () => {
      const r = cli(['demo', '--db', db, '--seconds', '2'], {}, dir, 8000);
      const line = failedInOneLine(r, 78, 'demo');
      assert.ok(line.startsWith(`callbackd: demo --db: `), line);
      assert.ok(line.includes(db), line);
      assert.match(line, why);
      assert.match(line, /give --db .*, or leave --db out for a temporary database$/);
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    });
  }

  it('a file that is not a database is refused in one line', () => {
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'not a database, just some text that is long enough to have a header\n'.repeat(20));
    const line = failedInOneLine(cli(['list'], { CALLBACKD_DB: file }, dir), 78);
    assert.match(line, new RegExp(`^callbackd: database "db" \\(CALLBACKD_DB\\): cannot open ${file}: file is not a database .*; set db / CALLBACKD_DB to a callbackd database, or a new file$`));
    assert.equal(fs.readFileSync(file, 'utf8').slice(0, 10), 'not a data', 'left as it was');
  });

  it('the demo with CALLBACKD_DB=/proc/x/db set stops after --seconds, or fails in one line: it never hangs', () => {
    // TMPDIR: the demo keeps its log and database in a new directory there; this one is removed after the test.
    const r = cli(['demo', '--seconds', '2'], { CALLBACKD_DB: '/proc/x/db', TMPDIR: dir }, dir, 20_000);
    assert.notEqual(r.status, null, `hung: ${r.stderr}`);
    if (r.status !== 0 && r.status !== null) failedInOneLine(r, r.status, 'demo');
    assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
  });

  it('a configuration file that does not exist is called a file, with what to do', () => {
    const r = cli(['run', '--config', 'config/callbackd.yaml'], {}, dir);
    assert.equal(
      failedInOneLine(r, 78),
      'callbackd: configuration file config/callbackd.yaml not found (copy config/callbackd.example.yaml to it, or run without --config to use the defaults)',
    );
    const viaEnv = cli(['list'], { CALLBACKD_CONFIG: 'nope.yaml' }, dir);
    assert.equal(
      failedInOneLine(viaEnv, 78),
      'callbackd: configuration file nope.yaml (CALLBACKD_CONFIG) not found (copy config/callbackd.example.yaml to it, or unset CALLBACKD_CONFIG to use the defaults)',
    );
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'http: [unclosed\n');
    assert.match(failedInOneLine(cli(['list', '--config', 'broken.yaml'], {}, dir), 78), /^callbackd: configuration file broken.yaml is not valid YAML: /);
    assert.match(failedInOneLine(cli(['list', '--config', dir], {}, dir), 78), /^callbackd: configuration file .* cannot be read: it is a directory$/);
  });

  it('list, show and cancel never create a database: they say where they looked; create, migrate and run may', () => {
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const expected = path.join(fs.realpathSync(elsewhere), 'data', 'callbackd.db');
    for (const args of [['list'], ['show', '6b0e5c2a-0000-4000-8000-000000000000'], ['cancel', '6b0e5c2a-0000-4000-8000-000000000000']]) {
      const line = failedInOneLine(cli(args, {}, elsewhere), 1, args[0]);
      assert.equal(line, `callbackd: no database at ${expected} (start the daemon or run callbackd migrate first; set db / CALLBACKD_DB to use another)`);
    }
    assert.ok(!fs.existsSync(path.join(elsewhere, 'data')), 'nothing was created');

    const migrated = cli(['migrate'], {}, elsewhere);
    assert.equal(migrated.status, 0, migrated.stderr);
    assert.match(migrated.stdout, new RegExp(`^${expected}: applied \\d{3,}_`));
    assert.equal(cli(['migrate'], {}, elsewhere).stdout, `${expected} is up to date\n`);
    assert.equal(cli(['list'], {}, elsewhere).status, 0);

    const fresh = path.join(dir, 'fresh');
    fs.mkdirSync(fresh);
    const created = cli(['create', '--number', '+12025550123', '--queue', 'support'], {}, fresh);
    assert.equal(created.status, 0, created.stderr);
    assert.ok(fs.existsSync(path.join(fresh, 'data', 'callbackd.db')));
  });

  it('a relative db in a configuration file is relative to that file, from any working directory', () => {
    const etc = path.join(dir, 'etc');
    fs.mkdirSync(etc);
    const config = path.join(etc, 'callbackd.yaml');
    fs.writeFileSync(config, 'db: data/callbackd.db\ndefaultCountry: CZ\n');
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    const made = cli(['--config', config, 'create', '--number', '601111222', '--queue', 'support', '--json'], {}, a);
    assert.equal(made.status, 0, made.stderr);
    assert.ok(fs.existsSync(path.join(etc, 'data', 'callbackd.db')), 'next to the configuration file');
    assert.ok(!fs.existsSync(path.join(a, 'data')));
    const listed = cli(['list', '--json', '--config', config], {}, b);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).items.map((c: { id: string }) => c.id), [JSON.parse(made.stdout).id]);

    // CALLBACKD_DB still wins, and a relative one is relative to the working directory.
    const fromEnv = cli(['--config', config, 'list'], { CALLBACKD_DB: 'mine.db' }, b);
    assert.equal(failedInOneLine(fromEnv, 1), `callbackd: no database at ${path.join(fs.realpathSync(b), 'mine.db')} (start the daemon or run callbackd migrate first; set db / CALLBACKD_DB to use another)`);
  });
});
