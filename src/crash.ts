/**
 * Crash points: named instants at which a crash test has the daemon kill itself (SIGKILL, so no
 * handler, flush or cleanup runs), to reproduce exactly the kill moments that could lose or double
 * something. Armed only by the testing.crashAt key; in production they cost one comparison.
 */
export const CRASH_POINTS = [
  // An abandoned queue call is recorded, its LostShift decision not yet taken.
  'call-abandoned',
  // A queue call in the observe hop is recorded, not yet continued into its queue.
  'call-recorded',
  // Agent-first: the customer answered and was joined to the agent; nothing committed yet.
  'customer-bridged',
  // An attempt's row is committed; the PBX has not been asked yet.
  'attempt-written',
  // A callback reached a terminal status (committed); what follows from it is not done yet.
  'callback-settled',
  // After a (re)connect, the PBX told what happened meanwhile; nothing of it is recorded yet.
  'pbx-reconciled',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

let armed: { point: CrashPoint; remaining: number } | null = null;

/** `point` or `point:N` (the Nth time it is reached); '' disarms. */
export function armCrashPoint(spec: string): void {
  if (spec === '') {
    armed = null;
    return;
  }
  const [point, count] = spec.split(':');
  armed = { point: point as CrashPoint, remaining: count === undefined ? 1 : Math.max(1, Number(count)) };
}

export function crashPoint(point: CrashPoint): void {
  if (armed === null || armed.point !== point) return;
  armed.remaining -= 1;
  if (armed.remaining === 0) process.kill(process.pid, 'SIGKILL');
}

/** What testing.crashAt accepts, for validation. */
export function crashSpecProblem(spec: string): string | null {
  if (spec === '') return null;
  const [point, count, ...rest] = spec.split(':');
  if (rest.length > 0 || !(CRASH_POINTS as readonly string[]).includes(point)) return `must be one of ${CRASH_POINTS.join(', ')}, optionally followed by :N`;
  if (count !== undefined && !/^[1-9]\d*$/.test(count)) return 'the count after : must be a whole number from 1';
  return null;
}
