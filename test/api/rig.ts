import { startApi, type ApiHandle } from '../../src/api/server';
import { Callbacks } from '../../src/engine/callbacks';
import { createSilentLogger } from '../../src/log';
import { CallbackService } from '../../src/service/service';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { StreamOptions } from '../../src/api/event-routes';
import { openRig, type Rig } from '../service/rig';

export { MIN, NOW, attempt, queueCall } from '../service/rig';

export const OPERATOR = 'operator-token-7f3a9c';
export const VIEWER = 'viewer-token-2b8e41';

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body (null when there was none). */
  body: any;
  text: string;
}

export interface CallOptions {
  /** A token to send as Bearer; null sends none. Default the operator's. */
  token?: string | null;
  body?: unknown;
  /** A raw body (sent as it is, with the given Content-Type or none). */
  raw?: string;
  headers?: Record<string, string>;
}

/** The service rig (a real SQLite file in a temp dir, a manual clock at NOW) served over real HTTP on a free port. */
export interface ApiRig extends Rig {
  api: ApiHandle;
  url: string;
  call(method: string, path: string, opts?: CallOptions): Promise<Answer>;
  get(path: string, opts?: CallOptions): Promise<Answer>;
  post(path: string, body?: unknown, opts?: CallOptions): Promise<Answer>;
  /** Stop the server and the store, and start both again on the same file (a daemon restart). */
  restart(): Promise<void>;
}

export interface ApiRigOptions {
  /** Configuration over the rig's: api keys, transitions. */
  doc?: Record<string, unknown>;
  stream?: StreamOptions;
}

export async function openApiRig(options: ApiRigOptions = {}): Promise<ApiRig> {
  const { api: apiDoc, ...rest } = options.doc ?? {};
  const rig = openRig({ http: { host: '127.0.0.1', port: 0 }, api: { token: OPERATOR, viewerToken: VIEWER, ...(apiDoc as object) }, ...rest }) as ApiRig;
  const logger = createSilentLogger();
  const serve = () =>
    startApi({
      service: rig.service,
      config: rig.config,
      logger,
      health: { store: rig.store, pbxConnected: () => null },
      metrics: { feed: rig.feed, store: rig.store, pbxConnected: () => null, clock: rig.clock },
      stream: options.stream,
    });
  rig.api = await serve();
  rig.url = rig.api.url.replace(/\/$/, '');
  rig.call = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? OPERATOR : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${rig.url}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, headers: res.headers, body, text };
  };
  rig.get = (path, opts) => rig.call('GET', path, opts);
  rig.post = (path, body, opts) => rig.call('POST', path, { ...opts, body });
  const close = rig.close.bind(rig);
  rig.close = async () => {
    await rig.api.close();
    // After a restart the rig's store is another than the one openRig closes.
    await rig.store.close();
    await close();
  };
  rig.restart = async () => {
    await rig.api.close();
    await rig.store.close();
    const store = SqliteStore.open(rig.config.db);
    rig.store = store;
    rig.callbacks = new Callbacks(store, rig.config, rig.clock, logger, {}, rig.feed);
    rig.service = new CallbackService({ store, callbacks: rig.callbacks, config: rig.config, clock: rig.clock });
    rig.api = await serve();
    rig.url = rig.api.url.replace(/\/$/, '');
  };
  return rig;
}

/** A callback as the API answers it, created through the service (no HTTP in between). */
export async function seeded(rig: ApiRig, number = '+420601111222', fields: Record<string, unknown> = {}) {
  return (await rig.service.create({ number, queue: 'support', by: 'test', ...fields })).callback;
}

/** Everything the store holds that a refused request must not have changed. */
export async function storeState(rig: ApiRig): Promise<string> {
  const callbacks = (await rig.store.list({ limit: 1000 })).items;
  const events = await rig.store.eventsAfter(0, 10_000);
  return JSON.stringify({ callbacks, events });
}
