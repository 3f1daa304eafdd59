import type { IvrConfig } from '../config/types';
import type { CallerSession } from '../pbx/gateway';

export interface ConfirmDeps {
  ivr: IvrConfig;
  /** Digits to read back for an E.164 number. */
  spoken: (e164: string) => string;
  /** E.164 for keyed digits, or throws when they are not a usable number. */
  validate: (raw: string) => string;
}

/**
 * The dialog that settles which number to call back: read the known number back and ask for
 * 1 (confirm) or 2 (key another, ending with #). A caller with no usable number must key one.
 * Wrong keys and silence use up tries; resolves null when they run out.
 */
export async function confirmNumber(session: CallerSession, known: string | null, deps: ConfirmDeps): Promise<string | null> {
  const { ivr } = deps;
  const timing = { firstDigitMs: ivr.firstDigitSeconds * 1000, interDigitMs: ivr.interDigitSeconds * 1000 };
  let number = known;
  let tries = 0;
  while (tries < ivr.maxTries) {
    if (number !== null) {
      await session.play(ivr.prompts.yourNumber);
      await session.sayDigits(deps.spoken(number));
      await session.play(ivr.prompts.confirmOrChange);
      const key = await session.readDigits({ max: 1, ...timing });
      if (key === '1') return number;
      if (key === '2') {
        number = null;
        continue;
      }
      tries++;
      continue;
    }
    await session.play(ivr.prompts.enterNumber);
    const digits = await session.readDigits({ max: ivr.maxDigits, terminator: '#', ...timing });
    if (digits === '') {
      tries++;
      continue;
    }
    try {
      number = deps.validate(digits);
    } catch {
      tries++;
      await session.play(ivr.prompts.invalidNumber);
    }
  }
  return null;
}
