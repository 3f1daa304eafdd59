import type { Verdict } from './judge';

export interface ReportHeader {
  seed: number;
  kills: number;
  /** How many daemons shared the PBX, and on which store. */
  daemons: number;
  store: 'sqlite' | 'postgres';
  seconds: number;
  dir: string;
  kept: boolean;
  settled: boolean;
  settleNote: string;
}

/**
 * Plain text, one `name: N` per line, so a person can read it and a script can grep it. Details
 * (a few examples per non-zero count) come last, after the figures that explain the run.
 */
export function renderReport(h: ReportHeader, verdict: Verdict, maxDetails = 8): string {
  const lines: string[] = [];
  lines.push(`callbackd crash storm: seed ${h.seed}, ${h.kills} kills, ${h.daemons} daemon${h.daemons === 1 ? '' : 's'} on ${h.store === 'postgres' ? 'PostgreSQL' : 'SQLite'}, ${h.seconds.toFixed(1)} s`);
  lines.push(`run directory: ${h.dir}${h.kept ? '' : ' (removed)'}`);
  lines.push(`settled: ${h.settled ? 'yes' : 'no'} (${h.settleNote})`);
  lines.push('');
  lines.push('judged (each must be 0):');
  for (const c of verdict.counts) lines.push(`${c.name}: ${c.value}`);
  lines.push('');
  lines.push('totals:');
  for (const [name, value] of verdict.totals) lines.push(`${name}: ${value}`);
  const failing = verdict.counts.filter((c) => c.value > 0 && c.details.length > 0);
  if (failing.length > 0) {
    lines.push('');
    lines.push('details:');
    for (const c of failing) {
      lines.push(`${c.name}:`);
      for (const d of c.details.slice(0, maxDetails)) lines.push(`  - ${d}`);
      if (c.details.length > maxDetails) lines.push(`  … and ${c.details.length - maxDetails} more`);
    }
  }
  lines.push('');
  const bad = verdict.counts.filter((c) => c.value > 0).length;
  lines.push(bad === 0 ? 'verdict: PASS' : `verdict: FAIL (${bad} of ${verdict.counts.length} judged counts are not zero)`);
  return lines.join('\n');
}
