import type { FastifyInstance } from 'fastify';
import type { CallbackStore } from '../domain/store';

export interface HealthDeps {
  store: CallbackStore;
  /** Whether the PBX connection is up; null when the daemon runs without a PBX (pbx: none), which is then no reason to fail. */
  pbxConnected: () => boolean | null;
  /**
   * The daemon's seat (Daemon.owner). /healthz then renews its heartbeat: a real write, which also
   * fails when another daemon took the database over. Without it the store is only read, which
   * cannot tell a read-only or full database from a healthy one.
   */
  owner?: string;
  /** For /readyz: true once the daemon has started, false before and once it is stopping. Default: always. */
  ready?: () => boolean;
  /** A store probe that takes longer than this fails (a PostgreSQL server that stopped answering). Default 2000 ms. */
  probeTimeoutMs?: number;
}

type PbxState = 'connected' | 'disconnected' | 'none';

const HEALTHY = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok'] }, store: { type: 'string', enum: ['ok'] }, pbx: { type: 'string', enum: ['connected', 'none'] } },
  required: ['status', 'store', 'pbx'],
} as const;
const UNHEALTHY = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['unavailable'] },
    store: { type: 'string', enum: ['ok', 'unavailable'] },
    pbx: { type: 'string', enum: ['connected', 'disconnected', 'none'] },
    reasons: { type: 'array', items: { type: 'string' } },
  },
  required: ['status', 'store', 'pbx', 'reasons'],
} as const;
const READY = { type: 'object', properties: { status: { type: 'string', enum: ['ready'] } }, required: ['status'] } as const;
const NOT_READY = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['not_ready'] }, reasons: { type: 'array', items: { type: 'string' } } },
  required: ['status', 'reasons'],
} as const;

/**
 * GET /healthz: 200 only when the store takes a write and the PBX connection is up; otherwise 503
 * naming each reason. GET /readyz, for orchestrators: 200 once the daemon has started and its
 * store answers (the PBX may still be connecting), 503 before and while stopping; once the server
 * is closing, fastify itself answers 503 to every request (return503OnClosing, its default).
 * Neither needs a token; neither is cached.
 */
export function registerHealth(app: FastifyInstance, deps: HealthDeps): void {
  const timeoutMs = deps.probeTimeoutMs ?? 2_000;

  app.get('/healthz', { schema: { summary: 'Healthy: the store takes a write and the PBX connection is up (no token needed)', response: { 200: HEALTHY, 503: UNHEALTHY } } }, async (_request, reply) => {
    const reasons: string[] = [];
    const storeProblem = await probe(() => (deps.owner ? renewSeat(deps.store, deps.owner) : deps.store.seats()), timeoutMs);
    if (storeProblem) reasons.push(`store not writable: ${storeProblem}`);
    const pbx = pbxState(deps.pbxConnected);
    if (pbx === 'disconnected') reasons.push('PBX not connected');
    reply.header('cache-control', 'no-store');
    if (reasons.length === 0) return reply.code(200).send({ status: 'ok', store: 'ok', pbx });
    return reply.code(503).send({ status: 'unavailable', store: storeProblem ? 'unavailable' : 'ok', pbx, reasons });
  });

  app.get('/readyz', { schema: { summary: 'Ready: the daemon has started and its store answers; the PBX may still be connecting (no token needed)', response: { 200: READY, 503: NOT_READY } } }, async (_request, reply) => {
    const reasons: string[] = [];
    if (deps.ready && !deps.ready()) reasons.push('the daemon has not started, or is stopping');
    const storeProblem = await probe(() => deps.store.seats(), timeoutMs);
    if (storeProblem) reasons.push(`store not open: ${storeProblem}`);
    reply.header('cache-control', 'no-store');
    if (reasons.length === 0) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'not_ready', reasons });
  });
}

/** The daemon's own heartbeat, as its timer writes it (wall time: seats are compared across processes). */
async function renewSeat(store: CallbackStore, owner: string): Promise<void> {
  if (!(await store.heartbeat(owner, Date.now()))) throw new Error(`the seat of ${owner} is not held (not joined yet, or another daemon took the database over)`);
}

/** Null when `work` succeeded in time; otherwise what went wrong. */
async function probe(work: () => Promise<unknown>, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([Promise.resolve().then(work), late]);
    return null;
  } catch (err) {
    return (err as Error)?.message ?? String(err);
  } finally {
    clearTimeout(timer);
  }
}

function pbxState(connected: () => boolean | null): PbxState {
  const up = connected();
  return up === null ? 'none' : up ? 'connected' : 'disconnected';
}
