import type { CallbackStore } from '../../../src/domain/store';
import { type StoreConfig, openStore } from '../../../src/store/open';
import { BACKENDS, type Backend, type OpenedStore } from './backends';

/** What a conformance test sees: a fresh, empty store per test, and how to open it again. */
export interface Subject {
  readonly backend: Backend;
  readonly store: CallbackStore;
  readonly config: StoreConfig;
  /** Open this store once more (another connection), closed after the test. */
  another(): Promise<CallbackStore>;
  /** A second, empty store of the same backend (a copy's target), removed after the test. */
  fresh(): Promise<CallbackStore>;
}

/**
 * Define the same tests for every backend. A backend that cannot run here says why, in a line
 * of its own, and its tests show as pending; on CI (CI=true) it fails instead: CI always has it.
 */
export function forEachBackend(title: string, define: (subject: Subject) => void): void {
  for (const backend of BACKENDS) {
    describe(`store (${backend.name}): ${title}`, function () {
      let opened: OpenedStore | null = null;
      let others: CallbackStore[] = [];
      let freshOnes: OpenedStore[] = [];
      const subject: Subject = {
        backend,
        get store() {
          if (!opened) throw new Error('no store open');
          return opened.store;
        },
        get config() {
          if (!opened) throw new Error('no store open');
          return opened.config;
        },
        async another() {
          const store = await openStore(subject.config);
          others.push(store);
          return store;
        },
        async fresh() {
          const second = await backend.open();
          freshOnes.push(second);
          return second.store;
        },
      };

      before(async function () {
        const why = await backend.available();
        if (why === null) return;
        if (process.env.CI === 'true') throw new Error(`the ${backend.name} store must be tested on CI, but: ${why}`);
        console.log(`      ${backend.name} store not tested here: ${why}`);
        this.skip();
      });
      beforeEach(async () => {
        opened = await backend.open();
      });

      define(subject);

      // After the tests' own afterEach hooks (mocha runs them in the order defined): children
      // and extra connections let go before the store is closed and removed.
      afterEach(async () => {
        for (const store of others) await store.close();
        others = [];
        for (const second of freshOnes) await second.cleanup();
        freshOnes = [];
        await opened?.cleanup();
        opened = null;
      });
    });
  }
}
