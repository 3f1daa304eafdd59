import { answerApp, hangupApp, refuseApp, ringingApp, sendDtmfApp, waitApp } from './apps';
import type { SimChannel } from './channels';
import { requestHangup } from './hangup';
import type { Pbx } from './pbx';
import type { Step } from './runner';
import type { DestinationScript } from './types';

/** Channel technologies the simulator can "dial"; anything else fails allocation like an unloaded driver. */
export const TECHNOLOGIES = new Set(['PJSIP', 'SIP', 'IAX2', 'DAHDI']);

export function parseEndpoint(endpoint: string): { tech: string; resource: string } | null {
  const slash = endpoint.indexOf('/');
  if (slash <= 0 || slash === endpoint.length - 1) return null;
  return { tech: endpoint.slice(0, slash), resource: endpoint.slice(slash + 1) };
}

interface Entry {
  pattern: string | RegExp;
  script: DestinationScript;
  remaining: number | null;
}

/** The names an endpoint answers to in scripts: the endpoint, its resource, its number, without Local options. */
function candidates(endpoint: string): string[] {
  const out = new Set<string>([endpoint]);
  const ep = parseEndpoint(endpoint);
  if (ep) {
    const noOptions = ep.tech.toLowerCase() === 'local' ? ep.resource.split('/')[0] : ep.resource;
    out.add(`${ep.tech}/${noOptions}`);
    out.add(ep.resource);
    out.add(noOptions);
    out.add(noOptions.split('@')[0]);
  }
  return [...out];
}

function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

/** Scripted outcomes per number or endpoint; the newest matching script wins. */
export class DestinationBook {
  private readonly entries: Entry[] = [];

  add(pattern: string | RegExp, script: DestinationScript): void {
    this.entries.unshift({ pattern, script: { ...script }, remaining: script.times ?? null });
  }

  /** The script for one dial attempt (uses up one of its `times`). */
  take(endpoint: string): DestinationScript | undefined {
    const names = candidates(endpoint);
    const i = this.entries.findIndex((e) =>
      names.some((n) => (typeof e.pattern === 'string' ? globMatch(e.pattern, n) : e.pattern.test(n))),
    );
    if (i < 0) return undefined;
    const entry = this.entries[i];
    if (entry.remaining !== null && --entry.remaining <= 0) this.entries.splice(i, 1);
    return entry.script;
  }
}

function secondsShown(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/**
 * The dialplan a scripted Local destination's ;2 half runs, built from the applications the traces'
 * `[outcomes]` context used: Answer/Wait/Hangup, Busy, Congestion, Hangup(21), Ringing+Wait.
 * `invalid` has no steps: the extension does not exist.
 */
export function scriptedLocalSteps(s: DestinationScript): Step[] {
  const after = s.afterMs ?? 0;
  const pause = (ms: number): Step => waitApp(() => ms, () => secondsShown(ms));
  const lead = after > 0 ? [pause(after)] : [];
  switch (s.outcome) {
    case 'answer': {
      const steps: Step[] = after > 0 ? [ringingApp(), pause(after)] : [];
      steps.push(answerApp());
      let used = 0;
      if (s.digitsAfterAnswer) {
        const delay = s.digitsDelayMs ?? 0;
        steps.push(pause(delay), sendDtmfApp(s.digitsAfterAnswer, (x) => x.pbx.opts.dtmfGapMs));
        used = delay;
      }
      if (s.talkMs === undefined) steps.push(waitApp(() => null, () => ''));
      else steps.push(waitApp((x) => Math.max(0, s.talkMs! - used - (s.digitsAfterAnswer?.length ?? 0) * x.pbx.opts.dtmfGapMs), () => secondsShown(s.talkMs!)));
      steps.push(hangupApp());
      return steps;
    }
    case 'busy':
      return [...lead, refuseApp('Busy')];
    case 'congestion':
      return [...lead, refuseApp('Congestion')];
    case 'rejected':
      return [...lead, hangupApp(21)];
    case 'noanswer':
      return [ringingApp(), waitApp(() => null, () => '')];
    case 'invalid':
      return [];
  }
}

/**
 * A single channel (PJSIP and friends) has no ;2 half: the script acts on the dialled channel directly,
 * with the cause the far end gives (17 busy, 34 congestion, 21 rejected).
 */
export function driveSingleChannel(pbx: Pbx, ch: SimChannel, s: DestinationScript): void {
  const after = s.afterMs ?? 0;
  const owner = () => (ch.alive ? ch.dialOwner : null);
  switch (s.outcome) {
    case 'answer':
      if (after > 0) pbx.defer(() => owner()?.onRinging?.());
      pbx.after(after, () => {
        const o = owner();
        if (!o) return;
        o.onAnswered?.();
        afterAnswer(pbx, ch, s);
      });
      return;
    case 'busy':
    case 'congestion':
      pbx.after(after, () => {
        const o = owner();
        if (!o) return;
        ch.hangupCause = s.outcome === 'busy' ? 17 : 34;
        o.onRefused?.(s.outcome === 'busy' ? 'BUSY' : 'CONGESTION');
      });
      return;
    case 'rejected':
      pbx.after(after, () => owner() && requestHangup(pbx, ch, 'queued', 21));
      return;
    case 'noanswer':
      pbx.defer(() => owner()?.onRinging?.());
      return;
    case 'invalid':
      return;
  }
}

function afterAnswer(pbx: Pbx, ch: SimChannel, s: DestinationScript): void {
  const digits = s.digitsAfterAnswer;
  if (digits) {
    let i = 0;
    const sendNext = (): void => {
      if (!ch.alive || i >= digits.length) return;
      pbx.dtmf(ch, digits[i++]);
      pbx.after(pbx.opts.dtmfGapMs, sendNext);
    };
    pbx.after(s.digitsDelayMs ?? 0, sendNext);
  }
  if (s.talkMs !== undefined) pbx.after(s.talkMs, () => ch.alive && requestHangup(pbx, ch, 'queued', 16));
}
