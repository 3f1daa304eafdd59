import type { Form } from '../domain/types';
import type { AriRest } from './ari-rest';
import { MAX_NUMBER_LENGTH } from './events';

const FORM_PREFIX = 'CB_FORM_';

/** The form key of a configured variable: CB_FORM_ACCOUNT carries the form's ACCOUNT. */
export function formKey(variable: string): string {
  return variable.toUpperCase().startsWith(FORM_PREFIX) ? variable.slice(FORM_PREFIX.length) : variable;
}

/** Every configured form variable the channel has; unset ones (404) are left out. */
export async function readForm(rest: AriRest, channelId: string, variables: readonly string[]): Promise<Form> {
  const values = await Promise.all(variables.map((name) => rest.getVariable(channelId, name)));
  const form: Form = {};
  variables.forEach((name, i) => {
    const value = values[i];
    if (value !== null && value !== undefined) form[formKey(name)] = value;
  });
  return form;
}

/**
 * The caller's number as Asterisk has it; null when anonymous, empty, or longer than any number
 * (refused rather than cut, as in events.ts: a shortened number would be somebody else's).
 */
export async function readCallerNumber(rest: AriRest, channelId: string): Promise<string | null> {
  const value = (await rest.getVariable(channelId, 'CALLERID(num)'))?.trim();
  return value && value.length <= MAX_NUMBER_LENGTH ? value : null;
}

/** An integer channel variable (QUEUEPOSITION, QUEUEWAIT); null when unset or not a number. */
export async function readInteger(rest: AriRest, channelId: string, variable: string): Promise<number | null> {
  return parseInteger(await rest.getVariable(channelId, variable));
}

export function parseInteger(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value !== 'string' || !/^\s*-?\d+\s*$/.test(value)) return null;
  return Number.parseInt(value, 10);
}
