import type { AttemptPlan } from '../pbx/gateway';
import type { AriRest } from './ari-rest';
import { parseInteger } from './channel-vars';

/** How to reach the customer once an agent takes the placeholder. */
export interface CustomerDial {
  number: string;
  endpoint: string;
  callerId: string;
  ringSeconds: number;
  /** The digits the agent hears; the E.164 digits when unknown. */
  spoken?: string;
}

/**
 * The dial details also travel on the placeholder channel, so a restarted daemon that adopts a
 * waiting placeholder still knows whom to dial when an agent takes it. The dialplan ignores them.
 */
const VARIABLES = { number: 'CB_DIAL_NUMBER', endpoint: 'CB_DIAL_ENDPOINT', callerId: 'CB_DIAL_CALLERID', ringSeconds: 'CB_DIAL_RING', spoken: 'CB_DIAL_SPOKEN' } as const;

export function dialOf(plan: AttemptPlan): CustomerDial {
  return { number: plan.number, endpoint: plan.endpoint, callerId: plan.callerId, ringSeconds: plan.ringSeconds, spoken: plan.spoken };
}

export function dialVariables(dial: CustomerDial): Record<string, string> {
  return {
    [VARIABLES.number]: dial.number,
    [VARIABLES.endpoint]: dial.endpoint,
    [VARIABLES.callerId]: dial.callerId,
    [VARIABLES.ringSeconds]: String(dial.ringSeconds),
    ...(dial.spoken ? { [VARIABLES.spoken]: dial.spoken } : {}),
  };
}

/** The details read back from a placeholder channel; null when they are not there. */
export async function readDial(rest: AriRest, placeholderId: string): Promise<CustomerDial | null> {
  const read = (name: string) => rest.getVariable(placeholderId, name).catch(() => null);
  const [number, endpoint, callerId, ring, spoken] = await Promise.all([VARIABLES.number, VARIABLES.endpoint, VARIABLES.callerId, VARIABLES.ringSeconds, VARIABLES.spoken].map(read));
  if (!number || !endpoint) return null;
  return { number, endpoint, callerId: callerId ?? '', ringSeconds: parseInteger(ring) ?? 30, spoken: spoken ?? undefined };
}
