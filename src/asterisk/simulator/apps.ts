import { answer, indicateRefused, indicateRinging } from './local';
import type { Step, StepContext, StepResult } from './runner';

/** Generic dialplan applications the modelled contexts use. Queue and Stasis live with their models. */

const next: StepResult = { kind: 'next' };

export function noOp(data: (x: StepContext) => string): Step {
  return { app: 'NoOp', data };
}

export function setVar(name: string, value: (x: StepContext) => string): Step {
  return {
    app: 'Set',
    data: (x) => `${name}=${value(x)}`,
    run: (x) => {
      x.pbx.setVar(x.ch, name, value(x));
      return next;
    },
  };
}

/** `Set(CHANNEL(hangup_handler_push)=ctx,s,1)`: no ChannelVarset, as in the traces. */
export function pushHangupHandler(context: string): Step {
  return {
    app: 'Set',
    data: () => `CHANNEL(hangup_handler_push)=${context},s,1`,
    run: (x) => {
      x.ch.hangupHandlers.push({ context, exten: 's', priority: 1 });
      return next;
    },
  };
}

export function answerApp(): Step {
  return {
    app: 'Answer',
    run: (x) => {
      answer(x.pbx, x.ch);
      return next;
    },
  };
}

/** Wait(seconds); no argument waits until hangup. */
export function waitApp(ms: (x: StepContext) => number | null, shown: (x: StepContext) => string): Step {
  return {
    app: 'Wait',
    data: shown,
    run: (x) => {
      const duration = ms(x);
      return x.block((finish) => {
        const cancel = duration === null ? () => undefined : x.pbx.after(duration, () => finish(next));
        return () => {
          cancel();
          finish({ kind: 'interrupted' });
        };
      });
    },
  };
}

export function ringingApp(): Step {
  return {
    app: 'Ringing',
    run: (x) => {
      indicateRinging(x.ch);
      return next;
    },
  };
}

/**
 * Busy(3) / Congestion(3): set the cause, tell the caller, then wait (the dialler hangs its side up,
 * which hangs this side up too).
 */
export function refuseApp(kind: 'Busy' | 'Congestion'): Step {
  return {
    app: kind,
    data: () => '3',
    run: (x) => {
      x.ch.hangupCause = kind === 'Busy' ? 17 : 34;
      indicateRefused(x.ch, kind === 'Busy' ? 'BUSY' : 'CONGESTION');
      x.pbx.setState(x.ch, 'Busy');
      return x.block((finish) => {
        const cancel = x.pbx.after(x.pbx.seconds(3), () => finish({ kind: 'hangup' }));
        return () => {
          cancel();
          finish({ kind: 'interrupted' });
        };
      });
    },
  };
}

export function hangupApp(cause?: number): Step {
  return { app: 'Hangup', data: () => (cause ? String(cause) : ''), run: () => ({ kind: 'hangup', cause }) };
}

/** SendDTMF on a ;2 half: the digits arrive on the ;1 half (ChannelDtmfReceived there). */
export function sendDtmfApp(digits: string, gapMs: (x: StepContext) => number): Step {
  return {
    app: 'SendDTMF',
    data: () => digits,
    run: (x) =>
      x.block((finish) => {
        const target = x.ch.partner ?? x.ch;
        let i = 0;
        let cancel = (): void => undefined;
        const sendNext = (): void => {
          if (i >= digits.length) return finish(next);
          x.pbx.dtmf(target, digits[i++]);
          cancel = x.pbx.after(gapMs(x), sendNext);
        };
        cancel = x.pbx.after(gapMs(x), sendNext);
        return () => {
          cancel();
          finish({ kind: 'interrupted' });
        };
      }),
  };
}

export function userEventApp(name: string, fields: (x: StepContext) => Array<[string, string]>): Step {
  return {
    app: 'UserEvent',
    data: (x) => [name, ...fields(x).map(([k, v]) => `${k}: ${v}`)].join(','),
    run: (x) => {
      const userevent: Record<string, string> = { eventname: name };
      for (const [k, v] of fields(x)) userevent[k] = v;
      x.pbx.publishChannel('ChannelUserevent', x.ch, { eventname: name, userevent });
      return next;
    },
  };
}

/** `ExecIf($[cond]?App(...))` for a non-blocking application. */
export function execIfApp(cond: (x: StepContext) => boolean, shown: string, inner: Step): Step {
  return {
    app: 'ExecIf',
    data: (x) => `${cond(x) ? 1 : 0}?${inner.app}(${inner.data?.(x) ?? ''})`,
    run: (x, data) => (cond(x) && inner.run ? inner.run(x, data) : next),
  };
}

/** `Set(GLOBAL(NAME)=value)`: a global variable, as GET /asterisk/variable reads it. */
export function setGlobalApp(name: (x: StepContext) => string, value: (x: StepContext) => string): Step {
  return {
    app: 'Set',
    data: (x) => `GLOBAL(${name(x)})=${value(x)}`,
    run: (x) => {
      x.pbx.globals.set(name(x), value(x));
      return next;
    },
  };
}

export function gosubApp(context: string, args: (x: StepContext) => string[]): Step {
  return {
    app: 'Gosub',
    data: (x) => `${context},s,1(${args(x).join(',')})`,
    run: (x) => ({ kind: 'gosub', context, exten: 's', priority: 1, args: args(x) }),
  };
}

export function returnApp(): Step {
  return { app: 'Return', run: () => ({ kind: 'return' }) };
}

/** `GotoIf($[cond]?label)`. */
export function gotoIfApp(cond: (x: StepContext) => boolean, label: string): Step {
  return {
    app: 'GotoIf',
    data: (x) => `${cond(x) ? 1 : 0}?${label}`,
    run: (x) => (cond(x) ? { kind: 'goto', label } : next),
  };
}

/** `GotoIf($["${STASISSTATUS}" = "FAILED"]?label)`. */
export function gotoIfStasisFailed(label: string): Step {
  return {
    app: 'GotoIf',
    data: (x) => `${x.v('STASISSTATUS') === 'FAILED' ? 1 : 0}?${label}`,
    run: (x) => (x.v('STASISSTATUS') === 'FAILED' ? { kind: 'goto', label } : next),
  };
}
