import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { digitSounds } from '../../src/asterisk/caller-session';
import { DEFAULTS } from '../../src/config/defaults';

/** Names in Asterisk's English core sounds, from the Debian package's file list (see the fixture's header). */
function coreSounds(): Set<string> {
  const text = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'asterisk', 'core-sounds-en.txt'), 'utf8');
  return new Set(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')));
}

describe('default prompts against Asterisk core sounds', () => {
  const sounds = coreSounds();

  it('reads a fixture of the real core sounds', () => {
    assert.ok(sounds.size > 500, `${sounds.size} names`);
    assert.ok(sounds.has('digits/1') && sounds.has('beep'));
  });

  for (const [key, prompts] of Object.entries(DEFAULTS.ivr.prompts)) {
    it(`ivr.prompts.${key}: every default prompt exists`, () => {
      const missing = (prompts as readonly string[]).filter((name) => !sounds.has(name));
      assert.deepEqual(missing, [], `not in the core sounds: ${missing.join(', ')}`);
    });
  }

  it('the number read-out uses sounds that exist, digit by digit', () => {
    const media = digitSounds('+420601*#');
    assert.deepEqual(media.slice(0, 2), ['sound:digits/4', 'sound:digits/2']);
    for (const uri of media) assert.ok(sounds.has(uri.slice('sound:'.length)), uri);
  });
});
