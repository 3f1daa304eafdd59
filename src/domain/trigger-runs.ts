/** Interval trigger runs as the store keeps them (src/triggers). */

/** One run of an interval trigger: claimed for its slot, ended with an outcome (null while running, or when its runner died). */
export interface TriggerRun {
  name: string;
  slotAt: number;
  owner: string;
  startedAt: number;
  endedAt: number | null;
  outcome: TriggerRunEnd['outcome'] | null;
  detail: string | null;
}

export type TriggerClaim = 'claimed' | 'taken' | 'running';

export interface TriggerRunEnd {
  outcome: 'done' | 'failed';
  detail?: string | null;
}
