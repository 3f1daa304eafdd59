/**
 * Fault injection: requests matching a rule get a scripted answer (broken JSON, `null`, a wrong
 * content type, any status) or are held for a while, instead of what the simulator would say.
 * A real Asterisk, or a proxy in front of it, can answer like that; the adapter must survive it.
 * Rules are consulted before normal handling, for REST and for the API description alike.
 */
export interface FaultRule {
  /** HTTP method to match; any when absent. */
  method?: string;
  /** The request path, decoded (`/ari/channels/abc;1/variable`): a string is an exact match. */
  path: RegExp | string;
  /** Matching requests let through untouched before the rule starts to take them (default 0). */
  after?: number;
  /** How many requests the rule takes; unlimited when absent. */
  times?: number;
  /** Hold the request this long before answering (with `respond`, or normally without it). */
  delayMs?: number;
  /** The answer, byte for byte. Without it (and with `delayMs`) the request is answered normally. */
  respond?: { status: number; body: string | Buffer; contentType?: string; headers?: Record<string, string> };
}

/** The rule's part that decides the answer of one request. */
export type FaultAction = Pick<FaultRule, 'delayMs' | 'respond'>;

export class FaultRules {
  private readonly rules: Array<FaultRule & { skip: number; left: number }> = [];
  /** Requests answered by a rule so far (a test waits on it to know a fault was hit). */
  taken = 0;

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, skip: rule.after ?? 0, left: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules.length = 0;
  }

  /** The first live rule matching the request, used up by one; null when none applies. */
  take(method: string, path: string): FaultAction | null {
    const rule = this.rules.find((r) => r.left > 0 && (!r.method || r.method.toUpperCase() === method.toUpperCase()) && matches(r.path, path));
    if (!rule) return null;
    if (rule.skip > 0) {
      rule.skip -= 1;
      return null;
    }
    rule.left -= 1;
    this.taken += 1;
    return { delayMs: rule.delayMs, respond: rule.respond };
  }
}

function matches(pattern: RegExp | string, path: string): boolean {
  if (typeof pattern === 'string') return pattern === path;
  pattern.lastIndex = 0; // a /g RegExp keeps state between test() calls
  return pattern.test(path);
}

/**
 * A rule from the control API's JSON (`POST /_sim/faults`): `path` is exact, `pattern` is a
 * RegExp source. Returns null when neither is given.
 */
export function ruleFromJson(body: Record<string, unknown>): FaultRule | null {
  const path = typeof body.pattern === 'string' ? new RegExp(body.pattern) : typeof body.path === 'string' ? body.path : null;
  if (path === null) return null;
  const respond = body.respond as FaultRule['respond'] | undefined;
  return {
    method: typeof body.method === 'string' ? body.method : undefined,
    path,
    after: typeof body.after === 'number' ? body.after : undefined,
    times: typeof body.times === 'number' ? body.times : undefined,
    delayMs: typeof body.delayMs === 'number' ? body.delayMs : undefined,
    respond: respond && typeof respond.status === 'number' ? { ...respond, body: String(respond.body ?? '') } : undefined,
  };
}
