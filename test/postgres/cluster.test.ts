import assert from 'node:assert/strict';
import fs from 'node:fs';
import pg from 'pg';
import { freshPostgresDatabase, postgresAvailable, postgresCluster } from '../helpers/postgres';
import { eventually } from './fixtures';
import { startChild } from './processes';

describe('postgres: the private test cluster', function () {
  this.timeout(60_000);

  before(async function () {
    const reason = await postgresAvailable();
    if (reason) this.skip();
  });

  it('hands out a new empty database per call, and drops it', async () => {
    const one = await freshPostgresDatabase();
    const two = await freshPostgresDatabase();
    assert.notEqual(one.url, two.url);
    const a = new pg.Client({ connectionString: one.url });
    const b = new pg.Client({ connectionString: two.url });
    // drop terminates a's session: an 'error' it must not throw at the process.
    a.on('error', () => undefined);
    await a.connect();
    await b.connect();
    try {
      await a.query('CREATE TABLE only_here (x int)');
      const seen = await b.query("SELECT to_regclass('only_here') AS t");
      assert.equal(seen.rows[0].t, null);
    } finally {
      await b.end();
    }
    // drop ends a connection a test left open.
    await one.drop();
    await two.drop();
    await assert.rejects(a.query('SELECT 1'));
    await a.end().catch(() => undefined);
    const gone = new pg.Client({ connectionString: one.url });
    await assert.rejects(gone.connect(), (err: { code?: string }) => err.code === '3D000');
  });

  it('runs on loopback only, fast and private, and never as root', async () => {
    const database = await freshPostgresDatabase();
    const { port, dir, user } = await postgresCluster();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const setting = async (name: string) => (await client.query('SELECT current_setting($1) AS v', [name])).rows[0].v as string;
      assert.equal(await setting('listen_addresses'), '127.0.0.1');
      assert.equal(await setting('port'), String(port));
      assert.equal(await setting('unix_socket_directories'), dir);
      assert.equal(await setting('fsync'), 'off');
      assert.equal(await setting('max_connections'), '200');
      assert.ok(fs.existsSync(`${dir}/.s.PGSQL.${port}`), 'its socket is in its own directory');
      const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      assert.notEqual(uid, 0, 'the server runs unprivileged');
      if (process.getuid?.() === 0) assert.equal(user, 'postgres');
    } finally {
      await client.end();
      await database.drop();
    }
  });

  it('gives every process a cluster of its own, removed when the process ends, even by SIGKILL', async () => {
    const ours = await postgresCluster();
    const calm = startChild('cluster');
    const killed = startChild('cluster');
    const [a, b] = await Promise.all([calm.firstLine, killed.firstLine]);
    assert.notEqual(a.dir, b.dir);
    assert.notEqual(a.port, b.port);
    assert.ok(a.dir !== ours.dir && a.port !== ours.port && b.dir !== ours.dir && b.port !== ours.port);
    for (const seen of [a, b]) {
      const client = new pg.Client({ connectionString: seen.url as string });
      await client.connect();
      await client.end();
    }
    calm.child.stdin!.end();
    assert.equal(await calm.exited, 0);
    assert.equal(fs.existsSync(a.dir as string), false, 'an orderly exit removes its cluster at once');
    killed.child.kill('SIGKILL');
    await killed.exited;
    // Its watchdog notices within a second or two, stops the server and removes the directory.
    await eventually('the killed process’s cluster directory to go', async () => !fs.existsSync(b.dir as string));
    const refused = new pg.Client({ connectionString: b.url as string, connectionTimeoutMillis: 2000 });
    await assert.rejects(refused.connect());
  });
});
