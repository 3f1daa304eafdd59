import assert from 'node:assert/strict';
import { InvalidNumberError } from '../../src/domain/errors';
import { checkNumberAllowed, dialString, isAnonymous, normaliseNumber, spokenDigits } from '../../src/domain/number';
import { testRule } from '../helpers/config';

describe('numbers', () => {
  it('normalises to E.164 with the default country', () => {
    assert.equal(normaliseNumber('777 123 456', 'CZ'), '+420777123456');
    assert.equal(normaliseNumber('+420 601-111-222', 'CZ'), '+420601111222');
    assert.equal(normaliseNumber('00420601111222', 'CZ'), '+420601111222');
    assert.equal(normaliseNumber('(202) 555-0143', 'US'), '+12025550143');
  });

  it('refuses anonymous and unusable caller numbers', () => {
    for (const raw of [null, '', 'anonymous', 'Unknown', 'private']) {
      assert.ok(isAnonymous(raw as string));
      assert.throws(() => normaliseNumber(raw, 'CZ'), InvalidNumberError);
    }
    assert.throws(() => normaliseNumber('12', 'CZ'), InvalidNumberError);
    assert.throws(() => normaliseNumber('+420 123', 'CZ'), InvalidNumberError);
  });

  it('never lets a second destination through', () => {
    for (const raw of ['+420601111222&PJSIP/+420900111222@trunk', '+420601111222,+420602', 'PJSIP/123@x', '+420601111222;x', '601111222@evil', '*601111222', '6011\n11222']) {
      assert.throws(() => normaliseNumber(raw, 'CZ'), InvalidNumberError, raw);
    }
    assert.throws(() => dialString('PJSIP/{number}@trunk', '+420601111222&Local/x'), InvalidNumberError);
    assert.equal(dialString('PJSIP/{number}@trunk', '+420601111222'), 'PJSIP/+420601111222@trunk');
    assert.equal(dialString('PJSIP/{e164digits}@trunk', '+420601111222'), 'PJSIP/420601111222@trunk');
    assert.equal(dialString('DAHDI/g1/{intl00}', '+420601111222'), 'DAHDI/g1/00420601111222');
    assert.equal(dialString('PJSIP/{national}@trunk', '+420601111222'), 'PJSIP/601111222@trunk');
    assert.equal(dialString('PJSIP/{national}@uk', '+442079460958'), 'PJSIP/02079460958@uk', 'the national prefix is kept');
    assert.equal(dialString('PJSIP/{national}@us', '+12133734253'), 'PJSIP/2133734253@us');
  });

  it('applies the transition number rules: country, premium rate, block and allow patterns', () => {
    const rule = testRule();
    checkNumberAllowed('+420601111222', rule.numbers, 'CZ');
    assert.throws(() => checkNumberAllowed('+420900123456', rule.numbers, 'CZ'), (e: unknown) => e instanceof InvalidNumberError && e.code === 'number_not_allowed' && /premium/.test(e.message));
    assert.throws(() => checkNumberAllowed('+12025550143', rule.numbers, 'CZ'), /US/);
    const abroad = testRule({ numbers: { allowCountries: ['CZ', 'SK'], blockPatterns: ['^\\+420601'] } });
    checkNumberAllowed('+421905123456', abroad.numbers, 'CZ');
    assert.throws(() => checkNumberAllowed('+420601111222', abroad.numbers, 'CZ'), /blocked/);
    const only = testRule({ numbers: { allowPatterns: ['^\\+4207'] } });
    assert.throws(() => checkNumberAllowed('+420601111222', only.numbers, 'CZ'), /allowed patterns/);
    checkNumberAllowed('+420777123456', only.numbers, 'CZ');
  });

  it('reads back national digits at home and full digits abroad', () => {
    assert.equal(spokenDigits('+420777123456', 'CZ'), '777123456');
    assert.equal(spokenDigits('+421905123456', 'CZ'), '421905123456');
  });
});
