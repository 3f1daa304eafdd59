import type { SpokenTime } from '../pbx/gateway';

/**
 * A day and a time said with Asterisk's English core sounds, the way its own SayUnixTime says a
 * 24-hour time: "today at fourteen thirty", "tomorrow at nine oh five", "Friday at eight o'clock",
 * "March fifth at ten fifteen". Sound files rather than `number:` media, so that a key pressed
 * during the read-out stops it (Asterisk cannot stop a `number:` or `digits:` playback).
 */
export function timeSounds(time: SpokenTime): string[] {
  const names = [...daySounds(time.day), 'digits/at', ...numberSounds(time.hour), ...minuteSounds(time.minute)];
  return names.map((name) => `sound:${name}`);
}

function daySounds(day: SpokenTime['day']): string[] {
  switch (day.kind) {
    case 'today':
      return ['digits/today'];
    case 'tomorrow':
      return ['digits/tomorrow'];
    case 'weekday':
      // The core sounds count weekdays from Sunday (day-0), as C's tm_wday does.
      return [`digits/day-${day.weekday % 7}`];
    case 'date':
      return [`digits/mon-${day.month - 1}`, ...ordinalSounds(day.day)];
  }
}

/** Minutes after the hour: "o'clock", "oh five", "fifteen", "forty two". */
function minuteSounds(minute: number): string[] {
  if (minute === 0) return ['digits/oclock'];
  if (minute < 10) return ['digits/oh', `digits/${minute}`];
  return numberSounds(minute);
}

/** 0..99 as the core sounds have them: digits/0..20, then the tens and a unit. */
export function numberSounds(n: number): string[] {
  const whole = Math.max(0, Math.min(99, Math.trunc(n)));
  if (whole <= 20) return [`digits/${whole}`];
  const tens = whole - (whole % 10);
  return whole % 10 === 0 ? [`digits/${tens}`] : [`digits/${tens}`, `digits/${whole % 10}`];
}

/** 1..31 as ordinals: "fifth", "twentieth", "twenty first" (digits/h-N are the ordinal sounds). */
function ordinalSounds(n: number): string[] {
  if (n <= 20 || n % 10 === 0) return [`digits/h-${n}`];
  const tens = n - (n % 10);
  return [`digits/${tens}`, `digits/h-${n % 10}`];
}
