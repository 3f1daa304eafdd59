import type { PbxKind, SimChannel } from './channels';
import { destroy } from './hangup';
import type { Pbx } from './pbx';

/** Where the dialplan goes after an application returns. */
export type StepResult =
  | { kind: 'next' }
  | { kind: 'goto'; context?: string; exten?: string; priority?: number; label?: string }
  | { kind: 'hangup'; cause?: number }
  /** The channel was hung up while the application ran. */
  | { kind: 'interrupted' }
  | { kind: 'gosub'; context: string; exten: string; priority: number; args: string[] }
  | { kind: 'return' };

export interface StepContext {
  readonly pbx: Pbx;
  readonly ch: SimChannel;
  /** `${EXTEN}` of the step being run. */
  exten(): string;
  /** `${ARGn}` of the current Gosub frame. */
  arg(n: number): string;
  /** `${NAME}`: a channel variable, '' when unset. */
  v(name: string): string;
  /**
   * Run a blocking application. `start` begins it and returns what to do if the channel is hung up
   * meanwhile; that cleanup must end by calling `finish({ kind: 'interrupted' })`.
   */
  block(start: (finish: (r: StepResult) => void) => () => void): Promise<StepResult>;
}

export interface Step {
  app: string;
  label?: string;
  data?: (x: StepContext) => string;
  run?: (x: StepContext, data: string) => StepResult | Promise<StepResult>;
}

export type ExtensionResolver = (pbx: Pbx, context: string, exten: string, ch?: SimChannel) => Step[] | undefined;

let resolveExtension: ExtensionResolver = () => undefined;

/** The dialplan is data (dialplan.ts); it registers itself here so the interpreter stays generic. */
export function setExtensionResolver(resolver: ExtensionResolver): void {
  resolveExtension = resolver;
}

export function extensionExists(pbx: Pbx, context: string, exten: string, ch?: SimChannel): boolean {
  return (resolveExtension(pbx, context, exten, ch)?.length ?? 0) > 0;
}

/** Priority of a labelled step (`n(back)`), or -1. */
export function labelPriority(pbx: Pbx, context: string, exten: string, label: string, ch?: SimChannel): number {
  const steps = resolveExtension(pbx, context, exten, ch) ?? [];
  const i = steps.findIndex((s) => s.label === label);
  return i < 0 ? -1 : i + 1;
}

/**
 * Queue()'s gosub on the member's channel: the simulator runs the steps that do not block (Set,
 * ExecIf, NoOp) at once, with `__` variables of the caller inherited, and stops at Return.
 */
export function runMemberGosub(pbx: Pbx, member: SimChannel, caller: SimChannel, context: string): void {
  const steps = resolveExtension(pbx, context, 's', member) ?? [];
  const x: StepContext = {
    pbx,
    ch: member,
    exten: () => 's',
    arg: () => '',
    v: (name) => member.getVar(name) ?? caller.getVar(name) ?? pbx.globals.get(name) ?? '',
    block: () => Promise.resolve({ kind: 'return' }),
  };
  for (const step of steps) {
    if (step.app === 'Return') return;
    const result = step.run?.(x, step.data?.(x) ?? '');
    if (result && 'then' in result) return;
  }
}

interface Location {
  context: string;
  exten: string;
  priority: number;
}

/** Start the channel's own PBX at a location: it runs step by step until hangup or the end. */
export function startDialplan(pbx: Pbx, ch: SimChannel, at: Location, kind: PbxKind = 'dialplan'): void {
  ch.pbxKind = kind;
  runLoop(pbx, ch, at).catch((err) => {
    pbx.warn(err);
    destroy(pbx, ch);
  });
}

async function runLoop(pbx: Pbx, ch: SimChannel, start: Location): Promise<void> {
  let hung = ch.hangupRequested;
  let blocker: (() => void) | null = null;
  ch.interrupt = () => {
    hung = true;
    const b = blocker;
    blocker = null;
    b?.();
  };
  let loc = { ...start };
  const x: StepContext = {
    pbx,
    ch,
    exten: () => loc.exten,
    arg: (n) => ch.frames[ch.frames.length - 1]?.args[n - 1] ?? '',
    v: (name) => ch.getVar(name) ?? '',
    block: (startApp) =>
      new Promise<StepResult>((resolve) => {
        let done = false;
        const finish = (r: StepResult): void => {
          if (done) return;
          done = true;
          blocker = null;
          resolve(r);
        };
        const onHangup = startApp(finish);
        if (done) return;
        if (hung) onHangup();
        else blocker = onHangup;
      }),
  };

  for (;;) {
    if (hung || !ch.alive) break;
    const steps = resolveExtension(pbx, loc.context, loc.exten, ch);
    const step = steps?.[loc.priority - 1];
    if (!step) {
      if (!ch.hangupCause) ch.hangupCause = 16;
      break;
    }
    const data = step.data ? step.data(x) : '';
    pbx.dialplanStep(ch, { ...loc, app_name: step.app, app_data: data });
    const result: StepResult = step.run ? await step.run(x, data) : { kind: 'next' };
    if (result.kind === 'interrupted') break;
    if (result.kind === 'hangup') {
      if (result.cause) ch.hangupCause = result.cause;
      else if (!ch.hangupCause) ch.hangupCause = 16;
      break;
    }
    const next = advance(pbx, ch, loc, result);
    if (!next) {
      if (!ch.hangupCause) ch.hangupCause = 16;
      break;
    }
    loc = next;
  }
  ch.interrupt = null;
  endPbx(pbx, ch);
}

function advance(pbx: Pbx, ch: SimChannel, loc: Location, r: StepResult): Location | null {
  switch (r.kind) {
    case 'next':
      return { ...loc, priority: loc.priority + 1 };
    case 'goto': {
      const context = r.context ?? loc.context;
      const exten = r.exten ?? (r.context && r.context !== loc.context ? 's' : loc.exten);
      if (r.label) {
        const steps = resolveExtension(pbx, context, exten, ch) ?? [];
        const i = steps.findIndex((s) => s.label === r.label);
        return i < 0 ? null : { context, exten, priority: i + 1 };
      }
      return { context, exten, priority: r.priority ?? 1 };
    }
    case 'gosub': {
      ch.frames.push({ returnTo: { ...loc, priority: loc.priority + 1 }, args: r.args });
      r.args.forEach((a, i) => pbx.setVar(ch, `LOCAL(ARG${i + 1})`, a));
      pbx.setVar(ch, 'LOCAL(ARGC)', String(r.args.length));
      return { context: r.context, exten: r.exten, priority: r.priority };
    }
    case 'return': {
      const frame = ch.frames.pop();
      pbx.setVar(ch, 'ARGC', '');
      pbx.setVar(ch, 'GOSUB_RETVAL', '');
      return frame ? { ...frame.returnTo } : null;
    }
    default:
      return null;
  }
}

/**
 * The channel's PBX is over. A channel running its own dialplan is soft-hung-up (the APPUNLOAD flag,
 * reported as cause 16) and runs its hangup handlers; a continued originated channel only gets its
 * STASISSTATUS. Then the channel is destroyed.
 */
export function endPbx(pbx: Pbx, ch: SimChannel): void {
  if (!ch.alive) return;
  if (ch.pbxKind === 'dialplan') {
    pbx.hangupRequestEvent(ch, 16, true);
    runHangupHandlers(pbx, ch);
  } else if (ch.pbxKind === 'continued') {
    pbx.setVar(ch, 'STASISSTATUS', 'SUCCESS');
  }
  destroy(pbx, ch);
}

/** `CHANNEL(hangup_handler_push)` handlers run last-pushed first, each as a Gosub without arguments. */
function runHangupHandlers(pbx: Pbx, ch: SimChannel): void {
  const saved = { ...ch.dialplan };
  for (let h = ch.hangupHandlers.pop(); h; h = ch.hangupHandlers.pop()) {
    pbx.setVar(ch, 'LOCAL(ARGC)', '0');
    ch.frames.push({ returnTo: { context: saved.context, exten: saved.exten, priority: saved.priority }, args: [] });
    const steps = resolveExtension(pbx, h.context, h.exten) ?? [];
    const x: StepContext = {
      pbx,
      ch,
      exten: () => h.exten,
      arg: () => '',
      v: (name) => ch.getVar(name) ?? '',
      block: async () => ({ kind: 'next' }),
    };
    for (let p = h.priority; p <= steps.length; p++) {
      const step = steps[p - 1];
      const data = step.data ? step.data(x) : '';
      pbx.dialplanStep(ch, { context: h.context, exten: h.exten, priority: p, app_name: step.app, app_data: data });
      if (step.app === 'Return') {
        ch.frames.pop();
        pbx.setVar(ch, 'ARGC', '');
        pbx.setVar(ch, 'GOSUB_RETVAL', '');
        break;
      }
      // Handler applications are instantaneous (UserEvent, NoOp, Set): no await between them.
      void step.run?.(x, data);
    }
  }
  ch.dialplan = { ...saved, app_name: '', app_data: '' };
}
