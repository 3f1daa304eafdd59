import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { NumberRules } from '../config/types';
import { InvalidNumberError } from './errors';

/**
 * Only what people write in phone numbers. Anything else (',', '&', '/', '@', letters) could
 * smuggle a second destination into a dial string, so it is refused before parsing.
 */
const NUMBER_CHARACTERS = /^\+?[0-9 ()./-]{3,32}$/;

const ANONYMOUS = new Set(['', 'anonymous', 'unknown', 'unavailable', 'private', 'restricted', 'withheld']);

export function isAnonymous(raw: string | null | undefined): boolean {
  return raw === null || raw === undefined || ANONYMOUS.has(raw.trim().toLowerCase());
}

/** E.164 form of `raw` (for example "+420601111222"), or InvalidNumberError. */
export function normaliseNumber(raw: string | null | undefined, defaultCountry: string): string {
  if (isAnonymous(raw)) throw new InvalidNumberError('the caller is anonymous: a number is needed');
  const text = String(raw).trim();
  if (!NUMBER_CHARACTERS.test(text)) throw new InvalidNumberError(`"${text}" is not a phone number`);
  // A leading 00 is the international prefix in most of the world.
  const candidate = text.startsWith('00') ? `+${text.slice(2)}` : text;
  const parsed = parsePhoneNumberFromString(candidate, defaultCountry as CountryCode);
  if (!parsed || !parsed.isValid()) throw new InvalidNumberError(`"${text}" is not a valid phone number`);
  return parsed.number;
}

/**
 * Whether an E.164 number may be dialled under `rules`. Refuses with InvalidNumberError
 * (code number_not_allowed) naming the reason: foreign country, premium rate, a toll-fraud
 * range, the blocklist, or no allow pattern matched.
 */
export function checkNumberAllowed(e164: string, rules: NumberRules, defaultCountry: string): void {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed || !parsed.isValid()) throw new InvalidNumberError(`"${e164}" is not a valid phone number`);
  const countries = rules.allowCountries.length > 0 ? rules.allowCountries : [defaultCountry];
  const country = parsed.country ?? '';
  if (!countries.includes(country)) {
    throw new InvalidNumberError(`${e164} is in ${country || 'an unknown country'}, not in ${countries.join(', ')}`, 'number_not_allowed', { rule: 'allowCountries', country });
  }
  const type = parsed.getType();
  if (type !== undefined && !rules.allowTypes.includes(type)) {
    throw new InvalidNumberError(`${e164} is a ${type.toLowerCase().replace(/_/g, ' ')} number`, 'number_not_allowed', { rule: 'allowTypes', type });
  }
  for (const pattern of rules.tollFraudPatterns) {
    if (new RegExp(pattern).test(e164)) {
      throw new InvalidNumberError(`${e164} is in a range abused for toll fraud (${pattern})`, 'number_not_allowed', { rule: 'tollFraudPatterns', pattern });
    }
  }
  for (const pattern of rules.blockPatterns) {
    if (new RegExp(pattern).test(e164)) throw new InvalidNumberError(`${e164} is blocked (${pattern})`, 'number_not_allowed', { rule: 'blockPatterns', pattern });
  }
  if (rules.allowPatterns.length > 0 && !rules.allowPatterns.some((p) => new RegExp(p).test(e164))) {
    throw new InvalidNumberError(`${e164} matches none of the allowed patterns`, 'number_not_allowed', { rule: 'allowPatterns' });
  }
}

/**
 * The forms of a number an endpoint template can ask for, as trunks want them: {number} E.164
 * with "+" (+420601111222), {e164digits} without it (420601111222), {intl00} with the 00 prefix
 * (00420601111222), {national} as dialled inside the number's country (601111222, 02079460958).
 */
export const NUMBER_PLACEHOLDERS = ['{number}', '{e164digits}', '{intl00}', '{national}'] as const;

/** The dial string for a validated E.164 number. Only "+" and digits can reach the template. */
export function dialString(template: string, e164: string): string {
  if (!/^\+[1-9][0-9]{5,14}$/.test(e164)) throw new InvalidNumberError(`"${e164}" is not E.164`);
  const digits = e164.slice(1);
  const forms: Record<(typeof NUMBER_PLACEHOLDERS)[number], () => string> = {
    '{number}': () => e164,
    '{e164digits}': () => digits,
    '{intl00}': () => `00${digits}`,
    '{national}': () => (parsePhoneNumberFromString(e164)?.formatNational() ?? digits).replace(/[^0-9]/g, ''),
  };
  let out = template;
  for (const placeholder of NUMBER_PLACEHOLDERS) if (out.includes(placeholder)) out = out.split(placeholder).join(forms[placeholder]());
  return out;
}

/** The digits a caller hears read back: the national number at home, the full number abroad. */
export function spokenDigits(e164: string, defaultCountry: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed && parsed.country === defaultCountry) return String(parsed.nationalNumber);
  return e164.replace(/^\+/, '');
}
