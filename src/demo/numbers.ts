import type { NumberRules } from '../config/types';
import { CallbackdError } from '../domain/errors';
import { checkNumberAllowed, normaliseNumber } from '../domain/number';

/**
 * Czech mobile ranges (+420 6xx / 7xx) that libphonenumber knows as valid. Not all of 60x-79x
 * are: +420 609… and +420 700… are not numbers, and a demo caller with one would silently get
 * nothing. Every drawn number is still checked against the demo's own rules before it is used.
 */
const PREFIXES = ['601', '602', '603', '604', '605', '606', '607', '608', '702', '703', '704', '705', '721', '723', '725', '728', '731', '732', '736', '737', '739', '770', '773', '775', '777', '774', '776', '778', '790', '792', '793', '797', '799'];

/** Callers' numbers for the demo: fresh, unique, and each one accepted by the rules callbackd applies. */
export class NumberBook {
  /** Every number handed out, in order. */
  readonly issued: string[] = [];
  /** Drawn numbers refused by the rules (never used); with these prefixes it stays 0. */
  refused = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly rules: NumberRules,
    private readonly defaultCountry: string,
    private readonly random: () => number,
  ) {}

  /** Why `raw` would be refused by callbackd, or null when it is a number callbackd dials. */
  problem(raw: string): string | null {
    try {
      const e164 = normaliseNumber(raw, this.defaultCountry);
      checkNumberAllowed(e164, this.rules, this.defaultCountry);
      return e164 === raw ? null : `normalises to ${e164}`;
    } catch (err) {
      if (err instanceof CallbackdError) return err.message;
      throw err;
    }
  }

  fresh(): string {
    for (let tries = 0; tries < 1000; tries++) {
      const prefix = PREFIXES[Math.floor(this.random() * PREFIXES.length)];
      const number = `+420${prefix}${String(Math.floor(this.random() * 1_000_000)).padStart(6, '0')}`;
      if (this.seen.has(number)) continue;
      if (this.problem(number) !== null) {
        this.refused++;
        continue;
      }
      this.seen.add(number);
      this.issued.push(number);
      return number;
    }
    throw new Error('could not draw a valid demo number in 1000 tries');
  }
}
