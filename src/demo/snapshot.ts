import type { AriSimulator, QueueEntryInfo } from '../asterisk/simulator';
import { OUTCOMES, STATUSES, type Callback, type DialMode, type Outcome, type Status } from '../domain/types';
import type { CallbackStore } from '../domain/store';
import { QUEUES, type DemoQueue, type Staff } from './scenario';
import type { Traffic } from './traffic';

/** How the calls placed into one queue ended, as callbackd recorded them. */
export interface QueueCounts {
  /** Calls the traffic placed into the queue. */
  placed: number;
  /** Placed but not in callbackd's database yet (passing the observe hop this instant). */
  entering: number;
  /** An agent answered. */
  served: number;
  /** Hung up while waiting (abandoned). */
  gaveUp: number;
  /** Pressed 1: left the queue for the CallBack node. */
  pressedOne: number;
  /** In the queue now. */
  waiting: number;
  /** Ended otherwise (left the queue without an agent, hanging up or pressing a key). */
  other: number;
}

/** How a callback was born, told apart from the database alone. */
export const BIRTHS = ['heldPlace', 'ivrLater', 'lostShift', 'manual', 'other'] as const;
export type Birth = (typeof BIRTHS)[number];

export interface Snapshot {
  calls: Record<DemoQueue, QueueCounts>;
  /** Callers sent straight to the CallBack IVR node (not through a queue). */
  ivrDirect: { placed: number };
  callbacks: {
    total: number;
    byStatus: Record<Status, number>;
    /** The store's own count by status (countByStatus), to check the listing against. */
    storeCount: Partial<Record<Status, number>>;
    byBirth: Record<Birth, number>;
    byQueue: Record<string, number>;
    /** Status by birth: which mechanism reached which status. */
    statusByBirth: Record<Birth, Partial<Record<Status, number>>>;
  };
  attempts: { ended: number; underWay: number; byOutcome: Record<Outcome, number>; byMode: Record<DialMode, number> };
  /** In the queue now: callers, places held by placeholders (agent-first), called-back customers (customer-first). */
  queues: Record<DemoQueue, { entries: Array<QueueEntryInfo & { customerOf: string | null }>; callers: number; heldPlaces: number; customers: number }>;
  agents: Record<DemoQueue, Array<{ name: string; doing: string }>>;
}

function zero<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

async function allCallbacks(store: CallbackStore): Promise<Callback[]> {
  const out: Callback[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** A held place (delay 0, the caller pressed 1 in a queue) or a booking for later in the IVR: the origin call says which. */
async function birthOf(store: CallbackStore, c: Callback): Promise<Birth> {
  switch (c.mechanism) {
    case 'IvrCallBack':
      return c.originCallId !== null && (await store.getCall(c.originCallId)) !== null ? 'heldPlace' : 'ivrLater';
    case 'LostShift':
      return 'lostShift';
    case 'manual':
      return 'manual';
    default:
      return 'other';
  }
}

/** Everything the screen and the tests show, read from callbackd's database (and the simulator for who is in the queue now). */
export async function takeSnapshot(store: CallbackStore, traffic: Traffic, sim: AriSimulator, team: Staff): Promise<Snapshot> {
  const calls = {} as Record<DemoQueue, QueueCounts>;
  for (const queue of QUEUES) {
    const counts: QueueCounts = { placed: 0, entering: 0, served: 0, gaveUp: 0, pressedOne: 0, waiting: 0, other: 0 };
    for (const id of traffic.queueCalls[queue]) {
      counts.placed++;
      const call = await store.getCall(id);
      if (!call) counts.entering++;
      else if (call.result === 'served') counts.served++;
      else if (call.result === 'abandoned') counts.gaveUp++;
      else if (call.result === 'callback') counts.pressedOne++;
      else if (call.result === 'waiting') counts.waiting++;
      else counts.other++;
    }
    calls[queue] = counts;
  }

  const byStatus = zero(STATUSES);
  const byBirth = zero(BIRTHS);
  const byQueue: Record<string, number> = {};
  const statusByBirth = Object.fromEntries(BIRTHS.map((b) => [b, {}])) as Record<Birth, Partial<Record<Status, number>>>;
  const byOutcome = zero(OUTCOMES);
  const byMode: Record<DialMode, number> = { 'agent-first': 0, 'customer-first': 0 };
  let ended = 0;
  let underWay = 0;
  const callbacks = await allCallbacks(store);
  for (const c of callbacks) {
    byStatus[c.status]++;
    const birth = await birthOf(store, c);
    byBirth[birth]++;
    statusByBirth[birth][c.status] = (statusByBirth[birth][c.status] ?? 0) + 1;
    byQueue[c.queue] = (byQueue[c.queue] ?? 0) + 1;
    for (const a of await store.attemptsOf(c.id)) {
      byMode[a.mode]++;
      if (a.outcome === null) underWay++;
      else {
        ended++;
        byOutcome[a.outcome]++;
      }
    }
  }

  const queues = {} as Snapshot['queues'];
  const agents = {} as Snapshot['agents'];
  // A called-back customer in a queue (customer-first) is the channel the dialer named cbcu-<attempt id>.
  const conversations = sim.conversations().filter((c) => c.endedAt === null);
  const entriesOf = Object.fromEntries(QUEUES.map((queue) => [queue, sim.queueEntries(queue)])) as Record<DemoQueue, ReturnType<AriSimulator['queueEntries']>>;
  const customers = new Map<string, string>();
  for (const channelId of [...conversations.map((c) => c.channelId), ...QUEUES.flatMap((q) => entriesOf[q].map((e) => e.channelId))]) {
    const attempt = channelId.startsWith('cbcu-') ? await store.getAttempt(channelId.slice('cbcu-'.length)) : null;
    if (attempt) customers.set(channelId, `callback ${attempt.callbackId.slice(0, 8)}…`);
  }
  const customerOf = (channelId: string): string | null => customers.get(channelId) ?? null;
  const talking = new Map(
    conversations.map((c) => [`${c.queue}/${c.member}`, c.placeholderFor ? `callback ${c.placeholderFor.slice(0, 8)}…` : (customerOf(c.channelId) ?? c.number)]),
  );
  for (const queue of QUEUES) {
    const entries = entriesOf[queue].map((e) => ({ ...e, customerOf: customerOf(e.channelId) }));
    const heldPlaces = entries.filter((e) => e.placeholderFor !== null).length;
    const customers = entries.filter((e) => e.customerOf !== null).length;
    queues[queue] = { entries, heldPlaces, customers, callers: entries.length - heldPlaces - customers };
    agents[queue] = team[queue].map((m) => {
      const with_ = talking.get(`${queue}/${m.name}`);
      return { name: m.name, doing: with_ ? `talking to ${with_}` : traffic.huddle ? 'in the huddle' : 'free' };
    });
  }

  return {
    calls,
    ivrDirect: { placed: traffic.ivrCalls.length },
    callbacks: { total: callbacks.length, byStatus, storeCount: await store.countByStatus(), byBirth, byQueue, statusByBirth },
    attempts: { ended, underWay, byOutcome, byMode },
    queues,
    agents,
  };
}
