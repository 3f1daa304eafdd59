import { DateTime } from 'luxon';
import type { Logger } from 'winston';
import type { IvrConfig } from '../config/types';
import type { CalledAgainChoice, PendingOffer, PendingOffers } from '../engine/called-again';
import { CallerGoneError, type AfterCalledAgain, type CallerSession, type QueueCallEntered, type SpokenTime } from '../pbx/gateway';

/** The keys of the offer. */
const KEYS: Readonly<Record<string, 'keep' | 'cancel' | 'stay'>> = { '1': 'keep', '2': 'cancel', '3': 'stay' };

/** The offer is played once and replayed once; then silence (or a wrong key) means staying in the queue. */
const ROUNDS = 2;

/**
 * A caller who calls the queue again while a callback is pending for their number. Still in the
 * observe hop, before the queue, they hear when the callback is due and choose: 1 keeps it (the
 * call ends), 2 cancels it (the call ends), 3 or silence takes them on into the queue, where the
 * callback stays pending (should an agent serve them, exclusion makes it Neglected). Every choice,
 * a hang-up too, goes into the callback's history. Nothing to offer: the session is not touched.
 */
export class CalledAgainNode {
  constructor(
    private readonly offers: PendingOffers,
    private readonly ivr: IvrConfig,
    private readonly logger: Logger,
  ) {}

  async run(session: CallerSession, call: QueueCallEntered): Promise<AfterCalledAgain> {
    const log = this.logger.child({ callId: call.callId, queue: call.queue });
    let offer: PendingOffer | null;
    try {
      offer = await this.offers.offerFor(call);
    } catch (err) {
      log.warn('could not look for a pending callback; the caller goes on into the queue', { error: String(err) });
      return 'queue';
    }
    if (!offer) return 'queue';
    log.info('caller called again with a callback pending: offering it', { callbackId: offer.callback.id, dueAt: new Date(offer.at).toISOString() });
    let choice: CalledAgainChoice;
    try {
      await session.answer();
      choice = await askAboutPending(session, spokenTime(offer.at, offer.now, offer.timezone), this.ivr);
    } catch (err) {
      if (!(err instanceof CallerGoneError)) {
        // A broken prompt must not cost the caller their place: nothing was chosen, the callback stands.
        log.error('the offer of a pending callback failed; the caller goes on into the queue', { callbackId: offer.callback.id, error: String(err) });
        return 'queue';
      }
      choice = 'hangup';
    }
    return this.settle(session, offer, call.callId, choice, log);
  }

  private async settle(session: CallerSession, offer: PendingOffer, callId: string, choice: CalledAgainChoice, log: Logger): Promise<AfterCalledAgain> {
    const { prompts } = this.ivr;
    const failed = (err: unknown) => log.error(`could not record the choice of a caller who called again (${choice})`, { callbackId: offer.callback.id, error: String(err) });
    if (choice === 'cancel') {
      const cancelled = await this.offers.cancel(offer, callId).catch((err: unknown) => (failed(err), false));
      await farewell(session, [...(cancelled ? prompts.calledAgainCancelled : prompts.refused), ...prompts.goodbye]);
      return 'hangup';
    }
    await this.offers.record(offer, callId, choice).catch(failed);
    if (choice === 'keep') {
      await farewell(session, [...prompts.calledAgainKept, ...prompts.goodbye]);
      return 'hangup';
    }
    return choice === 'hangup' ? 'hangup' : 'queue';
  }
}

/**
 * The offer itself: "a callback is booked for <day> at <time>", then 1 / 2 / 3. Resolves with the
 * key's meaning, or 'timeout' after the replay; rejects with CallerGoneError if the caller hangs up.
 */
export async function askAboutPending(session: CallerSession, time: SpokenTime, ivr: IvrConfig): Promise<Exclude<CalledAgainChoice, 'hangup'>> {
  const { prompts } = ivr;
  for (let round = 0; round < ROUNDS; round++) {
    await session.play(prompts.calledAgainBooked);
    await session.sayTime(time);
    await session.play(prompts.calledAgainOptions);
    const key = await session.readDigits({ max: 1, firstDigitMs: ivr.calledAgainSeconds * 1000, interDigitMs: ivr.interDigitSeconds * 1000 });
    const choice = KEYS[key];
    if (choice) return choice;
  }
  return 'timeout';
}

/**
 * `at` as the caller hears it in `zone`: the clock time to the minute, and the day seen from `now`
 * (today, tomorrow, a weekday within the week, else the date). Always the clock time, never "in N
 * minutes": that goes stale while the offer is replayed, and a retry can be hours away.
 */
export function spokenTime(at: number, now: number, zone: string): SpokenTime {
  const when = DateTime.fromMillis(at, { zone });
  const today = DateTime.fromMillis(now, { zone }).startOf('day');
  const days = Math.round(when.startOf('day').diff(today, 'days').days);
  const day: SpokenTime['day'] =
    days <= 0 ? { kind: 'today' } : days === 1 ? { kind: 'tomorrow' } : days < 7 ? { kind: 'weekday', weekday: when.weekday } : { kind: 'date', month: when.month, day: when.day };
  return { day, hour: when.hour, minute: when.minute };
}

/** The last words before hanging up: the call ends whether or not they could be played (the caller may be gone). */
async function farewell(session: CallerSession, prompts: readonly string[]): Promise<void> {
  await session.play(prompts).catch(() => undefined);
}
