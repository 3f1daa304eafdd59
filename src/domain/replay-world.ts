import type { LostCallWorld } from './lost-shift';
import { TERMINAL_STATUSES, type Callback } from './types';

/**
 * The world as it was, for a replay: the callbacks recorded then, seen at the instant each lost
 * call is judged again, plus the ones the replay itself makes. A replay never writes anything.
 *
 * A recorded callback was pending from its creation to its last change once it turned terminal
 * (a terminal status is final, so that change is the one that ended it), or to this day. The
 * LostShift callbacks born from the calls being replayed are left out: whether they exist is
 * the question asked again. What the replay makes instead is pending until its live twin (the
 * callback the same call actually made) ended, or, without a twin, until it would have expired.
 */
export interface ReplayedCallback {
  id: string;
  number: string;
  queue: string;
  createdAt: number;
  /** The first instant it is no longer pending (Infinity: still pending). */
  endsAt: number;
  callback: Callback;
}

export class ReplayWorld implements LostCallWorld {
  private readonly kept: ReplayedCallback[] = [];
  private readonly made: ReplayedCallback[] = [];
  private readonly twins = new Map<string, Callback>();
  /** The instant questions are asked about: set before each call is judged. */
  at = 0;

  /** `recorded`: callbacksAround the period; `replayed`: the ids of the calls judged again. */
  constructor(recorded: readonly Callback[], replayed: ReadonlySet<string>) {
    for (const callback of recorded) {
      if (callback.mechanism === 'LostShift' && callback.originCallId !== null && replayed.has(callback.originCallId)) {
        this.twins.set(callback.originCallId, callback);
        continue;
      }
      this.kept.push(pendingSpan(callback));
    }
  }

  async alreadyShifted(): Promise<boolean> {
    return false;
  }

  async pendingFor(number: string, queue: string): Promise<Callback | null> {
    return this.pendingAt().find((c) => c.number === number && c.queue === queue)?.callback ?? null;
  }

  async pendingOfNumber(number: string): Promise<Callback[]> {
    return this.pendingAt()
      .filter((c) => c.number === number)
      .map((c) => c.callback);
  }

  async countPending(queue: string): Promise<number> {
    return this.pendingAt().filter((c) => c.queue === queue).length;
  }

  async countCreatedSince(scope: { number: string } | { queue: string }, since: number): Promise<number> {
    const inScope = (c: ReplayedCallback) => ('number' in scope ? c.number === scope.number : c.queue === scope.queue);
    return this.all().filter((c) => inScope(c) && c.createdAt >= since && c.createdAt <= this.at).length;
  }

  /**
   * The callback the replay makes from `callId` at `at` (nothing is written): pending as long as
   * the one the call actually made, or `expiresAfterMs` (0: never expires) without one.
   */
  make(callId: string, number: string, queue: string, at: number, expiresAfterMs: number): ReplayedCallback {
    const twin = this.twins.get(callId);
    const endsAt = twin ? pendingSpan(twin).endsAt : expiresAfterMs > 0 ? at + expiresAfterMs : Infinity;
    const id = twin?.id ?? `replay:${callId}`;
    const callback: Callback = {
      ...(twin ?? placeholderCallback(id)),
      number,
      queue,
      createdAt: at,
      status: 'Scheduled',
    };
    const made = { id, number, queue, createdAt: at, endsAt, callback };
    this.made.push(made);
    return made;
  }

  /** The callback a call actually made, when it made one (its LostShift callback). */
  twinOf(callId: string): Callback | null {
    return this.twins.get(callId) ?? null;
  }

  private all(): ReplayedCallback[] {
    return [...this.kept, ...this.made];
  }

  private pendingAt(): ReplayedCallback[] {
    return this.all().filter((c) => c.createdAt <= this.at && this.at < c.endsAt);
  }
}

function pendingSpan(callback: Callback): ReplayedCallback {
  const endsAt = TERMINAL_STATUSES.has(callback.status) ? callback.updatedAt : Infinity;
  return { id: callback.id, number: callback.number, queue: callback.queue, createdAt: callback.createdAt, endsAt, callback };
}

function placeholderCallback(id: string): Callback {
  return {
    id,
    pbx: '',
    number: '',
    queue: '',
    status: 'Scheduled',
    mechanism: 'LostShift',
    transition: '',
    dueAt: null,
    expiresAt: null,
    createdAt: 0,
    updatedAt: 0,
    attempts: 0,
    originCallId: null,
    shifted: true,
    form: {},
    note: null,
    queuePosition: null,
    claimOwner: null,
    claimUntil: null,
    version: 0,
  };
}
