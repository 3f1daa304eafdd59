import type { Clock } from '../domain/clock';
import { CallerGoneError, type PbxListener } from '../pbx/gateway';
import { AriCallerSession, type SessionDeps } from './caller-session';
import { parseInteger, readCallerNumber, readForm, readInteger } from './channel-vars';
import type { AriChannel } from './events';
import { describeError } from './logging';

export interface CallbackNodeDeps extends SessionDeps {
  listener: PbxListener;
  formVariables: readonly string[];
  clock: Clock;
}

/**
 * A caller handed to `Stasis(<app>,callback,QUEUE,DELAY_MINUTES)`: read what the dialplan left on
 * the channel, let the engine run the CallBack dialog, then hang up whoever is still there. The
 * channel id is the one the same call had when it passed `observe`, which links the two.
 */
export async function runCallbackNode(deps: CallbackNodeDeps, channel: AriChannel, args: readonly string[]): Promise<void> {
  const callId = channel.id;
  const { rest, listener } = deps;
  let queue = args[1] ?? '';
  const log = deps.log.child({ callId, queue });
  // Watching starts now, so digits keyed while the variables are read are kept.
  const session = new AriCallerSession(callId, callId, { ...deps, log });
  try {
    if (queue === '') queue = (await rest.getVariable(callId, 'CB_QUEUE')) ?? '';
    const delayMinutes = parseDelay(args[2]);
    if (delayMinutes === null) log.warn('CallBack node got an unusable delay; using 0', { delay: args[2] });
    const delay = delayMinutes ?? 0;
    const [number, queuePosition, form] = await Promise.all([
      readCallerNumber(rest, callId),
      // QUEUEPOSITION is only set when the caller left a queue, i.e. the delay-0 key press.
      delay === 0 ? readInteger(rest, callId, 'QUEUEPOSITION') : Promise.resolve(null),
      readForm(rest, callId, deps.formVariables),
    ]);
    log.info('caller in the CallBack node', { delayMinutes: delay, queuePosition, number });
    await listener.ivrCallback(session, { callId, number, queue, delayMinutes: delay, queuePosition, form });
  } catch (err) {
    if (err instanceof CallerGoneError || session.isGone()) log.info('caller hung up in the CallBack node');
    else log.error('CallBack node failed', { error: describeError(err) });
  } finally {
    if (!session.isGone()) {
      await rest.hangup(callId).catch((err: unknown) => log.warn('could not hang up the caller', { error: describeError(err) }));
    }
    session.close();
  }
}

function parseDelay(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return 0;
  const value = parseInteger(raw);
  return value !== null && value >= 0 ? value : null;
}
