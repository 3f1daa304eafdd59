import assert from 'node:assert/strict';
import { InvalidNumberError } from '../../src/domain/errors';
import { checkNumberAllowed, dialString, normaliseNumber } from '../../src/domain/number';
import { testRule } from '../helpers/config';

/** A shop in Prague calling back across Europe and the US, with one blocked range of its own. */
const RULE = testRule({ numbers: { allowCountries: ['CZ', 'SK', 'DE', 'AT', 'GB', 'US', 'FR', 'PL', 'LV', 'EE'], blockPatterns: ['^\\+420777'] } });

type Verdict = { e164: string; allowed: true } | { e164: string; refused: RegExp } | { invalid: true };

/** As a caller's number reaches callbackd (keyed, sent by a PBX or an API client), with the country it is read in. */
const TABLE: [string, string, Verdict][] = [
  ['601 111 222', 'CZ', { e164: '+420601111222', allowed: true }],
  ['00420 601 111 222', 'CZ', { e164: '+420601111222', allowed: true }],
  ['+420 777 123 456', 'CZ', { e164: '+420777123456', refused: /blocked \(\^\\\+420777\)/ }],
  ['+420 906 123 456', 'CZ', { e164: '+420906123456', refused: /premium rate/ }],
  ['0049 30 901820', 'CZ', { e164: '+4930901820', allowed: true }],
  ['030 901820', 'DE', { e164: '+4930901820', allowed: true }],
  ['0151 23456789', 'DE', { e164: '+4915123456789', allowed: true }],
  ['020 7946 0958', 'GB', { e164: '+442079460958', allowed: true }],
  ['+44 9 0 9879 0000', 'CZ', { e164: '+449098790000', refused: /premium rate/ }],
  ['(212) 555-0143', 'US', { e164: '+12125550143', allowed: true }],
  ['+1 900 555 0199', 'CZ', { e164: '+19005550199', refused: /premium rate/ }],
  ['01 42 68 53 00', 'FR', { e164: '+33142685300', allowed: true }],
  ['0905 123 456', 'SK', { e164: '+421905123456', allowed: true }],
  ['+48 512 345 678', 'CZ', { e164: '+48512345678', allowed: true }],
  ['+43 1 5880 0', 'CZ', { e164: '+43158800', allowed: true }],
  // Toll-fraud ranges: satellite networks belong to no country; Baltic premium ranges are refused by the default list.
  ['+881 6 1234 5678', 'CZ', { e164: '+881612345678', refused: /unknown country/ }],
  ['+882 1600 0000', 'CZ', { e164: '+88216000000', refused: /unknown country/ }],
  ['+870 7 7300 1234', 'CZ', { e164: '+870773001234', refused: /unknown country/ }],
  ['+371 9012 3456', 'CZ', { e164: '+37190123456', refused: /toll fraud|premium rate/ }],
  ['+53 5 1234567', 'CZ', { e164: '+5351234567', refused: /in CU, not in/ }],
  // Attempts to put a second destination, a channel or an option into the dial string.
  ['+420601111222&PJSIP/666@evil', 'CZ', { invalid: true }],
  ['601111222,603999888', 'CZ', { invalid: true }],
  ['+420 601 111 222 ; x', 'CZ', { invalid: true }],
  ['601111222)|Local/1@x', 'CZ', { invalid: true }],
  ['+420601111222\nPJSIP/666', 'CZ', { invalid: true }],
  ['sip:601111222@evil.example', 'CZ', { invalid: true }],
];

describe('numbers: a table of real-looking numbers from several countries', () => {
  for (const [raw, country, verdict] of TABLE) {
    it(`${JSON.stringify(raw)} read in ${country}`, () => {
      if ('invalid' in verdict) {
        assert.throws(() => normaliseNumber(raw, country), InvalidNumberError);
        return;
      }
      const e164 = normaliseNumber(raw, country);
      assert.equal(e164, verdict.e164);
      if ('allowed' in verdict) {
        checkNumberAllowed(e164, RULE.numbers, 'CZ');
        assert.match(dialString('PJSIP/{number}@trunk', e164), /^PJSIP\/\+\d+@trunk$/, 'only + and digits reach the dial string');
      } else {
        assert.throws(() => checkNumberAllowed(e164, RULE.numbers, 'CZ'), (e: unknown) => e instanceof InvalidNumberError && e.code === 'number_not_allowed' && verdict.refused.test(e.message));
      }
    });
  }

  it('refuses the default toll-fraud ranges even where their country is allowed', () => {
    const anywhere = testRule({ numbers: { allowCountries: ['LV', 'EE', 'GB'], allowTypes: ['FIXED_LINE', 'MOBILE', 'FIXED_LINE_OR_MOBILE', 'PREMIUM_RATE', 'UAN', 'PERSONAL_NUMBER', 'VOIP'] } });
    for (const e164 of ['+37190123456', '+3729001234', '+449098790000']) {
      assert.throws(() => checkNumberAllowed(e164, anywhere.numbers, 'CZ'), (e: unknown) => e instanceof InvalidNumberError && /toll fraud/.test(e.message), e164);
    }
  });
});
