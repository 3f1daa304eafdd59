/** Wire formats Asterisk uses: timestamps, hangup cause texts, channel name suffixes. */

/** `2026-11-24T04:13:08.563+0000`, in UTC like the traces. */
export function ariTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-24T04:13:08.563Z
  return `${iso.slice(0, 23)}+0000`;
}

const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  3: 'No route to destination',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format (incomplete number)',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  58: 'Bearer capability not available',
  127: 'Interworking, unspecified',
};

export function causeText(cause: number): string {
  return CAUSE_TEXT[cause] ?? 'Unknown';
}

/** ARI `DELETE /channels/{id}?reason=` names. */
export const HANGUP_REASONS: Record<string, number> = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 18,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
};

/** Local and other channel names carry an 8-digit hex sequence (`Local/s@ctx-0000001a;1`). */
export function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Parse `"Name" <number>`, `<number>`, `number` into name and number, like ast_callerid_parse. */
export function parseCallerId(text: string | undefined): { name: string; number: string } {
  if (!text) return { name: '', number: '' };
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(text);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), number: m[3].trim() };
  return { name: '', number: text.trim() };
}

export function formatCallerId(name: string, number: string): string {
  return name ? `"${name}" <${number}>` : `<${number}>`;
}
