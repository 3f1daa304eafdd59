import { isoTime } from '../service/json';

// The time format is shared with the API; the command line's modules keep importing it from here.
export { isoTime };

/** A plain text table: columns padded to their widest cell, a header and a rule under it. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** isoTime for a table cell: '-' for none. */
export function when(ms: number | null | undefined): string {
  return isoTime(ms) ?? '-';
}
