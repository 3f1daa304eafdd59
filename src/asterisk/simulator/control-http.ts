import type { SimCall } from './calls';
import { error, noContent, ok, type RestResponse } from './rest';
import type { DestinationScript, MemberConfig, QueueConfig } from './types';

/** The part of AriSimulator the HTTP control endpoints use. */
export interface SimControl {
  requests(): unknown;
  originations(): unknown;
  channels(): unknown;
  conversations(): unknown;
  queueEntries(name: string): unknown;
  addQueue(name: string, cfg: QueueConfig): void;
  setMember(queue: string, member: string, patch: Partial<Omit<MemberConfig, 'name'>>): void;
  callIntoQueue(spec: { number: string; queue: string; name?: string; id?: string; form?: Record<string, string>; timeoutSec?: number }): SimCall;
  callIntoCallbackNode(spec: { number: string; queue: string; name?: string; id?: string; form?: Record<string, string>; delayMinutes: number }): SimCall;
  call(id: string): SimCall | undefined;
  scriptDestination(pattern: string, script: DestinationScript): void;
  dropConnections(): void;
}

type Body = Record<string, unknown>;

/**
 * `/_sim/...`: the test control API over HTTP (same credentials as ARI), for tools outside the process,
 * in the spirit of wazo-calld's fake ARI (`/_requests`, `/_send_ws_event`).
 */
export function controlRequest(sim: SimControl, method: string, path: string, body: unknown): RestResponse {
  const b = (body && typeof body === 'object' ? body : {}) as Body;
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const route = `${method} ${parts.map((p, i) => (i === 1 && ['queues', 'calls'].includes(parts[0]) ? ':id' : i === 3 ? ':m' : p)).join('/')}`;
  try {
    switch (route) {
      case 'GET requests':
        return ok(sim.requests());
      case 'GET originations':
        return ok(sim.originations());
      case 'GET channels':
        return ok(sim.channels());
      case 'GET conversations':
        return ok(sim.conversations());
      case 'GET queues/:id':
        return ok(sim.queueEntries(parts[1]));
      case 'POST queues/:id':
        sim.addQueue(parts[1], b as QueueConfig);
        return noContent;
      case 'POST queues/:id/members/:m':
        sim.setMember(parts[1], parts[3], b as Partial<MemberConfig>);
        return noContent;
      case 'POST calls': {
        const spec = { number: String(b.number), queue: String(b.queue), name: b.name as string, id: b.id as string, form: b.form as Record<string, string> };
        const call =
          b.delayMinutes === undefined
            ? sim.callIntoQueue({ ...spec, timeoutSec: b.timeoutSec as number | undefined })
            : sim.callIntoCallbackNode({ ...spec, delayMinutes: Number(b.delayMinutes) });
        return ok({ id: call.id, channelId: call.channelId });
      }
      case 'POST calls/:id/digits': {
        const call = sim.call(parts[1]);
        if (!call) return error(404, 'Call not found');
        void call.pressDigits(String(b.digits ?? ''), b.gapMs as number | undefined);
        return noContent;
      }
      case 'DELETE calls/:id': {
        const call = sim.call(parts[1]);
        if (!call) return error(404, 'Call not found');
        call.hangup();
        return noContent;
      }
      case 'POST destinations':
        sim.scriptDestination(String(b.pattern), b.script as DestinationScript);
        return noContent;
      case 'POST drop':
        sim.dropConnections();
        return noContent;
      default:
        return error(404, 'Resource not found');
    }
  } catch (err) {
    return error(400, (err as Error).message);
  }
}
