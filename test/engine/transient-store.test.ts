import assert from 'node:assert/strict';
import path from 'node:path';
import { Daemon } from '../../src/daemon';
import { isTransientStoreError } from '../../src/store/transient';
import { SqliteStore } from '../../src/store/sqlite-store';
import { createSilentLogger } from '../../src/log';
import { testConfig } from '../helpers/config';
import { RecordingGateway } from '../helpers/recording-gateway';
import { removeDir, tempDir } from '../helpers/tmp';

describe('the daemon: a PBX fact whose write the store refused for a passing reason is written again', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('knows the errors that say "try again"', () => {
    assert.equal(isTransientStoreError(Object.assign(new Error('deadlock detected'), { code: '40P01' })), true);
    assert.equal(isTransientStoreError(Object.assign(new Error('could not serialize access'), { code: '40001' })), true);
    assert.equal(isTransientStoreError(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })), true);
    assert.equal(isTransientStoreError(Object.assign(new Error('duplicate key'), { code: '23505' })), false);
    assert.equal(isTransientStoreError(new Error('no code')), false);
    assert.equal(isTransientStoreError(null), false);
  });

  it('records a lost call whose first write was chosen to break a deadlock', async () => {
    const config = testConfig({ db: path.join(dir, 'cb.db'), transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0 }] });
    const store = SqliteStore.open(config.db);
    let refusals = 1;
    const upsert = store.upsertCall.bind(store);
    store.upsertCall = async (call) => {
      if (call.result === 'abandoned' && refusals-- > 0) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return upsert(call);
    };
    const gateway = new RecordingGateway();
    const daemon = await Daemon.open({ config, logger: createSilentLogger(), gateway, store });
    await daemon.start();
    try {
      const listener = gateway.listener!;
      const at = Date.now();
      await listener.queueCallEntered({ callId: 'c1', number: '+420601111222', queue: 'support', at, form: {} });
      await listener.queueCallGone({ callId: 'c1', queue: 'support', at: at + 30_000, how: 'abandoned', position: 1, waitSeconds: 30 });
      assert.equal(refusals, -1, 'the write was refused once, then made');
      assert.equal((await store.getCall('c1'))?.lostReason, 'shifted');
      assert.equal((await store.callbacksOfCall('c1')).length, 1);
    } finally {
      await daemon.stop();
    }
  });
});
