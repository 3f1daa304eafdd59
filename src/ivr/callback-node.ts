import type { Logger } from 'winston';
import type { Config, TransitionRule } from '../config/types';
import { CallbackdError } from '../domain/errors';
import { isAnonymous, spokenDigits } from '../domain/number';
import type { Callback } from '../domain/types';
import { CallerGoneError, type CallerSession, type IvrCallbackRequest } from '../pbx/gateway';
import type { Callbacks } from '../engine/callbacks';
import type { Dialer } from '../engine/dialer';
import type { QueueCalls } from '../engine/queue-calls';
import { confirmNumber } from './confirm-number';

/**
 * The CallBack IVR node. Delay 0 holds the caller's place with a placeholder before anything is
 * asked, so nobody overtakes them while they confirm; backing out gives the place up. Delay N
 * books a callback N minutes later once the number is confirmed.
 */
export class CallbackNode {
  constructor(
    private readonly callbacks: Callbacks,
    private readonly dialer: Dialer,
    private readonly queueCalls: QueueCalls,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  async run(session: CallerSession, req: IvrCallbackRequest): Promise<void> {
    const log = this.logger.child({ callId: req.callId, queue: req.queue });
    const { prompts } = this.config.ivr;
    const rule = this.callbacks.ruleForOrNull(req.queue, 'IvrCallBack');
    try {
      await session.answer();
      if (!rule || (await this.callbacks.isFull(rule, req.queue))) {
        log.info(rule ? 'callback refused: queue has reached maxPending' : 'callback refused: no transition enables IvrCallBack');
        await session.play([...prompts.refused, ...prompts.goodbye]);
        return;
      }
      await this.queueCalls.choseCallback(req.callId);
      await this.book(session, req, rule, log);
    } catch (err) {
      if (err instanceof CallerGoneError) {
        log.info('caller hung up in the CallBack node');
        return;
      }
      throw err;
    }
  }

  private async book(session: CallerSession, req: IvrCallbackRequest, rule: TransitionRule, log: Logger): Promise<void> {
    const { prompts } = this.config.ivr;
    const known = isAnonymous(req.number) ? null : this.usable(req.number as string, rule);
    let settle: (ok: boolean) => void = () => {};
    const confirmed = new Promise<boolean>((resolve) => (settle = resolve));
    let held: Callback | null = null;
    // A caller who was in the queue takes back the place they left; one who never was joins at the end (0).
    const place = { position: req.queuePosition ?? 0 };
    if (req.delayMinutes === 0 && known) {
      held = await this.create(req, known, { holdPlace: place });
      if (held && held.dueAt === null && held.status === 'Scheduled') {
        // A place already held for this caller (the dialog started again after a restart) keeps its placeholder.
        if (held.attempts === 0) await this.dialer.holdPlace(held, confirmed);
        else this.dialer.awaitConfirmation(held, confirmed);
      }
    }
    let number: string | null = null;
    try {
      number = await confirmNumber(session, known, {
        ivr: this.config.ivr,
        spoken: (e164) => spokenDigits(e164, this.config.defaultCountry),
        validate: (raw) => this.callbacks.validNumber(raw, rule),
      });
    } finally {
      if (number === null) {
        settle(false);
        if (held) await this.giveUp(held, log);
      }
    }
    if (number === null) {
      log.info('caller did not confirm a number: no callback');
      await session.play([...prompts.refused, ...prompts.goodbye]);
      return;
    }
    if (held) {
      held = await this.keepNumber(held, number, log);
      if (held) await this.confirmed(held);
      settle(held !== null);
    } else {
      held = req.delayMinutes === 0 ? await this.create(req, number, { holdPlace: place }) : await this.create(req, number, { delayMinutes: req.delayMinutes });
      // The confirmation moves the callback's version: the place is held with the callback as it now is.
      if (held) held = await this.confirmed(held);
      if (held && req.delayMinutes === 0 && held.dueAt === null && held.attempts === 0) await this.dialer.holdPlace(held, Promise.resolve(true));
    }
    if (!held) {
      await session.play([...prompts.refused, ...prompts.goodbye]);
      return;
    }
    await session.play([...prompts.booked, ...prompts.goodbye]);
  }

  private async create(req: IvrCallbackRequest, number: string, when: { holdPlace?: { position: number }; delayMinutes?: number }): Promise<Callback | null> {
    try {
      const { callback } = await this.callbacks.request({
        number,
        queue: req.queue,
        mechanism: 'IvrCallBack',
        originCallId: req.callId,
        birthEvent: 'CallBack',
        shifted: true,
        form: req.form,
        by: 'ivr',
        ...(when.holdPlace ? { holdPlace: when.holdPlace } : { delayMinutes: when.delayMinutes }),
      });
      return callback;
    } catch (err) {
      if (err instanceof CallbackdError) {
        this.logger.warn(`callback not booked: ${err.message}`, { callId: req.callId, queue: req.queue });
        return null;
      }
      throw err;
    }
  }

  /**
   * Recorded so that a restarted daemon can tell a held place whose caller confirmed from one whose
   * caller was cut off mid-dialog (that one is given up, not dialled).
   */
  private async confirmed(callback: Callback): Promise<Callback> {
    return this.callbacks.update(await this.callbacks.get(callback.id), { events: [{ type: 'NumberConfirmed', callbackId: callback.id, callId: callback.originCallId, data: { number: callback.number } }] });
  }

  /** The caller keyed another number for a place already held: the held callback takes it. */
  private async keepNumber(held: Callback, number: string, log: Logger): Promise<Callback | null> {
    const current = await this.callbacks.get(held.id);
    if (current.number === number) return current;
    try {
      return await this.callbacks.update(current, { set: { number }, events: [{ type: 'NumberChanged', callbackId: held.id, data: { from: current.number, to: number } }] });
    } catch (err) {
      // Another callback is already pending for the new number in this queue: that one stands.
      log.warn(`could not move held callback to ${number}: ${(err as Error).message}`);
      await this.giveUp(current, log);
      return null;
    }
  }

  private async giveUp(held: Callback, log: Logger): Promise<void> {
    try {
      await this.callbacks.cancel(held.id, 'caller', 'the caller backed out in the CallBack node');
    } catch (err) {
      log.warn(`could not give up the held place: ${(err as Error).message}`, { callbackId: held.id });
    }
  }

  private usable(raw: string, rule: TransitionRule): string | null {
    try {
      return this.callbacks.validNumber(raw, rule);
    } catch {
      return null;
    }
  }
}
