import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StoreConfig } from '../../../src/store/open';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { wakeSocketPath } from '../../../src/store/wake-socket';
import { T0, cleanup, mergeKeeping, newCallback, tempDir } from '../helpers/fixtures';
import { type Child, startChild, stopChild } from '../helpers/processes';
import { WorkHeard } from '../helpers/wait';

describe('store (sqlite only): the wake socket beside the file', function () {
  this.timeout(30_000);
  let dir: string;
  let config: StoreConfig;
  let children: Child[];
  let stores: SqliteStore[];
  const open = () => {
    const store = SqliteStore.open(config.db);
    stores.push(store);
    return store;
  };
  const start = (mode: string) => {
    const child = startChild(mode, config);
    children.push(child);
    return child;
  };

  beforeEach(() => {
    dir = tempDir();
    config = { store: 'sqlite', db: path.join(dir, 'callbackd.db'), storeUrl: '' };
    children = [];
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(children.map(stopChild));
    for (const store of stores) await store.close();
    cleanup(dir);
  });

  it('lies beside the file, or in the temp dir under a name of the path when that is too long for a socket', () => {
    assert.equal(wakeSocketPath('/var/lib/callbackd/callbackd.db'), '/var/lib/callbackd/callbackd.db.wake');
    const long = `/${'deep/'.repeat(20)}callbackd.db`;
    const far = wakeSocketPath(long);
    assert.match(far, /^.*callbackd-[0-9a-f]{16}\.wake$/);
    assert.equal(path.dirname(far), os.tmpdir());
    assert.equal(wakeSocketPath(long), far, 'the same file always gets the same socket');
    assert.notEqual(wakeSocketPath(`${long}2`), far);
    assert.ok(Buffer.byteLength(far) <= 100);
  });

  it('a command in this process wakes the daemon in another: the line goes through the socket', async () => {
    const daemon = start('listen');
    assert.equal(await daemon.nextLine(), 'listening');
    assert.ok(fs.lstatSync(wakeSocketPath(config.db)).isSocket());
    const command = open();
    await command.createOrMerge(newCallback({ dueAt: T0 }), [], mergeKeeping(T0));
    assert.equal(await daemon.nextLine(), 'work');
    await command.announceWork();
    assert.equal(await daemon.nextLine(), 'work');
  });

  it('works through the temp dir for a file whose path is too long for a socket beside it', async () => {
    const deep = path.join(dir, 'a-directory-with-a-long-name'.repeat(3), 'and-another-one-below-it'.repeat(2));
    config = { ...config, db: path.join(deep, 'callbackd.db') };
    assert.ok(Buffer.byteLength(`${config.db}.wake`) > 100);
    const daemon = open();
    const heard = await WorkHeard.on(daemon);
    assert.ok(fs.lstatSync(wakeSocketPath(daemon.location)).isSocket());
    const command = start('create');
    assert.equal(await command.nextLine(), 'ready');
    command.send('go');
    await command.nextLine();
    await heard.reach(1);
    heard.unsubscribe();
    await daemon.close();
    assert.equal(fs.existsSync(wakeSocketPath(daemon.location)), false);
  });

  it('a command with no daemon to hear it writes all the same, at once', async () => {
    const command = open();
    const { callback } = await command.createOrMerge(newCallback({ dueAt: T0 }), [], mergeKeeping(T0));
    await command.announceWork();
    assert.equal((await command.get(callback.id))?.id, callback.id);
    assert.equal(fs.existsSync(wakeSocketPath(config.db)), false);
  });

  it('takes over the socket a killed daemon left behind, and then hears commands', async () => {
    const killed = start('listen');
    assert.equal(await killed.nextLine(), 'listening');
    killed.child.kill('SIGKILL');
    await killed.exited;
    assert.ok(fs.lstatSync(wakeSocketPath(config.db)).isSocket(), 'SIGKILL leaves the socket file');
    const daemon = open();
    const heard = await WorkHeard.on(daemon);
    const command = start('create');
    assert.equal(await command.nextLine(), 'ready');
    command.send('go');
    await command.nextLine();
    await heard.reach(1);
    heard.unsubscribe();
  });

  it('refuses to listen where a live daemon listens, and leaves its socket alone', async () => {
    const other = start('listen');
    assert.equal(await other.nextLine(), 'listening');
    await assert.rejects(open().onWork(() => undefined), /another callbackd daemon already listens on .*callbackd\.db\.wake/);
    const command = open();
    await command.announceWork();
    assert.equal(await other.nextLine(), 'work', 'the live daemon still hears');
  });

  it('refuses to remove a file that is not a socket', async () => {
    fs.writeFileSync(wakeSocketPath(config.db), 'someone else’s file');
    await assert.rejects(open().onWork(() => undefined), /not a socket is in the way/);
    assert.equal(fs.readFileSync(wakeSocketPath(config.db), 'utf8'), 'someone else’s file');
  });

  it('removes the socket file on close, and listens again on reopening', async () => {
    const daemon = open();
    await daemon.onWork(() => undefined);
    assert.ok(fs.existsSync(wakeSocketPath(config.db)));
    await daemon.close();
    assert.equal(fs.existsSync(wakeSocketPath(config.db)), false);
    const heard = await WorkHeard.on(open());
    await open().announceWork();
    await heard.reach(1);
    heard.unsubscribe();
  });

  it('an in-memory store tells its own listeners, with no socket', async () => {
    const store = SqliteStore.open(':memory:');
    stores.push(store);
    const heard = await WorkHeard.on(store);
    await store.createOrMerge(newCallback({ dueAt: T0 }), [], mergeKeeping(T0));
    await heard.reach(1);
    heard.unsubscribe();
  });
});
