import type { SimChannel } from './channels';
import type { Pbx } from './pbx';

/**
 * Request parameters as Asterisk reads them: query string first, then a JSON body whose fields override
 * them. A list parameter from the query is split on commas; from a body it is taken as it is, which is
 * why a body `{"channel": "a,b"}` names one (missing) channel.
 */
export class Params {
  constructor(
    private readonly query: Map<string, string[]>,
    private readonly body: Record<string, unknown> | null,
  ) {}

  has(name: string): boolean {
    return this.str(name) !== undefined || this.list(name).length > 0;
  }

  str(name: string): string | undefined {
    const b = this.body?.[name];
    if (typeof b === 'string' || typeof b === 'number' || typeof b === 'boolean') return String(b);
    return this.query.get(name)?.[0];
  }

  int(name: string): number | undefined {
    const s = this.str(name);
    if (s === undefined || s === '') return undefined;
    const n = Number(s);
    return Number.isFinite(n) ? Math.trunc(n) : undefined;
  }

  list(name: string): string[] {
    const b = this.body?.[name];
    if (Array.isArray(b)) return b.map(String);
    if (typeof b === 'string') return [b];
    return (this.query.get(name) ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
  }

  object(name: string): unknown {
    return this.body?.[name];
  }

  /** Everything the request carried, for the simulator's own logs. */
  merged(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.query) out[k] = v.length === 1 ? v[0] : v;
    return { ...out, ...(this.body ?? {}) };
  }
}

export interface RestRequest {
  /** Path template parameters, decoded. */
  path: Record<string, string>;
  params: Params;
}

export interface RestResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (pbx: Pbx, req: RestRequest) => RestResponse;

export function error(status: number, message: string): RestResponse {
  return { status, body: { message } };
}

export const noContent: RestResponse = { status: 204 };

export function ok(body: unknown): RestResponse {
  return { status: 200, body };
}

/** Asterisk's find_control: 404 for no such channel, 409 for a channel outside Stasis. */
export function stasisChannel(pbx: Pbx, id: string): SimChannel | RestResponse {
  const ch = pbx.channels.find(id);
  if (!ch) return error(404, 'Channel not found');
  if (!ch.stasis) return error(409, 'Channel not in Stasis application');
  return ch;
}

/** Operations that move or play to a channel refuse outbound channels that are not answered yet. */
export function stateInvalid(ch: SimChannel): RestResponse | null {
  return ch.state === 'Down' || ch.state === 'Rsrvd' || ch.state === 'Ringing' ? error(412, 'Channel in invalid state') : null;
}
