import type { AriSimulator } from '../asterisk/simulator';
import { STATUSES, type Status } from '../domain/types';
import type { TrafficStats } from './traffic';

export interface SummaryInput {
  elapsedSeconds: number;
  counts: Partial<Record<Status, number>>;
  traffic: TrafficStats;
  sim: AriSimulator;
  queue: string;
  agents: readonly string[];
  recent: readonly string[];
  pbxUp: boolean;
  logFile: string;
}

/** The demo's live screen, as plain text. */
export function renderSummary(s: SummaryInput): string {
  const entries = s.sim.queueEntries(s.queue);
  const talking = new Map(s.sim.conversations().filter((c) => c.endedAt === null).map((c) => [c.member, c.placeholderFor ? `callback ${c.placeholderFor.slice(0, 8)}` : c.number]));
  const lines = [
    `callbackd demo: ${Math.floor(s.elapsedSeconds / 60)}m${String(Math.floor(s.elapsedSeconds % 60)).padStart(2, '0')}s, simulated Asterisk ${s.pbxUp ? 'connected' : 'DISCONNECTED'} (Ctrl-C stops)`,
    '',
    `callers   arrived ${s.traffic.arrived}, pressed 1 ${s.traffic.pressedOne}, booked in the IVR ${s.traffic.callbackNode}, gave up ${s.traffic.abandoned}, called again ${s.traffic.calledAgain}`,
    `callbacks ${STATUSES.map((st) => `${st} ${s.counts[st] ?? 0}`).join('  ')}`,
    '',
    `queue ${s.queue} (${entries.length} waiting): ${entries.map((e) => (e.placeholderFor ? `[${e.position}: placeholder ${e.placeholderFor.slice(0, 8)}]` : `[${e.position}: ${e.number}]`)).join(' ') || '-'}`,
    `agents    ${s.agents.map((a) => `${a}: ${talking.get(a) ?? 'free'}`).join('   ')}`,
    '',
    'latest changes',
    ...(s.recent.length ? s.recent.map((l) => `  ${l}`) : ['  (none yet)']),
    '',
    `full JSON log: ${s.logFile}`,
  ];
  return lines.join('\n');
}
