import { leaveBridge } from './bridges';
import type { SimChannel } from './channels';
import { destroy } from './hangup';
import type { Pbx } from './pbx';
import { startDialplan, type Step, type StepContext, type StepResult } from './runner';

/**
 * Stasis: a channel handed to an ARI application. While inside, the application is subscribed to it;
 * StasisStart/StasisEnd go to that application only.
 */

function enter(pbx: Pbx, ch: SimChannel, app: string, args: string[], originated: boolean, resume: (t: Target) => void): void {
  pbx.setVar(ch, 'STASISSTATUS', '');
  ch.stasis = { app, args, originated, resume };
  pbx.apps.subscribe(app, 'channel', ch.id);
  pbx.publishChannel('StasisStart', ch, { args }, false, app);
}

/** Leave the application: playbacks stop, the channel leaves its Stasis bridge, StasisEnd. */
export function leaveStasis(pbx: Pbx, ch: SimChannel): void {
  const st = ch.stasis;
  if (!st) return;
  for (const playback of pbx.playbacks.values()) if (playback.channelId === ch.id) playback.finish();
  if (ch.bridgeId) leaveBridge(pbx, ch);
  pbx.publishChannel('StasisEnd', ch, {}, false, st.app);
  ch.stasis = null;
  pbx.apps.unsubscribe(st.app, 'channel', ch.id);
}

export interface Target {
  context: string;
  exten: string;
  priority: number;
}

/** `Stasis(app,args...)` as a dialplan step. An application that is not connected fails at once. */
export function stasisApp(appName: (pbx: Pbx) => string, args: (x: StepContext) => string[]): Step {
  return {
    app: 'Stasis',
    data: (x) => [appName(x.pbx), ...args(x)].join(','),
    run: (x): StepResult | Promise<StepResult> => {
      const app = appName(x.pbx);
      if (!x.pbx.apps.isActive(app)) {
        x.pbx.setVar(x.ch, 'STASISSTATUS', 'FAILED');
        return { kind: 'next' };
      }
      return x.block((finish) => {
        enter(x.pbx, x.ch, app, args(x), false, (target) => {
          leaveStasis(x.pbx, x.ch);
          x.pbx.setVar(x.ch, 'STASISSTATUS', 'SUCCESS');
          finish({ kind: 'goto', ...target });
        });
        return () => {
          leaveStasis(x.pbx, x.ch);
          x.pbx.setVar(x.ch, 'STASISSTATUS', 'SUCCESS');
          finish({ kind: 'interrupted' });
        };
      });
    },
  };
}

/**
 * An originated channel was answered and runs `Stasis(app,appArgs)` directly, without a dialplan PBX.
 * Returns false when the application is not connected (the caller hangs the channel up).
 */
export function enterOriginated(pbx: Pbx, ch: SimChannel, app: string, args: string[]): boolean {
  if (!pbx.apps.isActive(app)) return false;
  ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: [app, ...args].join(',') };
  ch.interrupt = () => {
    leaveStasis(pbx, ch);
    pbx.setVar(ch, 'STASISSTATUS', 'SUCCESS');
    destroy(pbx, ch);
  };
  enter(pbx, ch, app, args, true, (target) => {
    ch.interrupt = null;
    leaveStasis(pbx, ch);
    startDialplan(pbx, ch, target, 'continued');
  });
  return true;
}

/** Where `POST /channels/{id}/continue` sends the channel, by Asterisk's rules; null: unknown label. */
export function continueTarget(
  ch: SimChannel,
  q: { context?: string; extension?: string; priority?: number; label?: string },
  findLabel: (context: string, exten: string, label: string) => number,
): Target | null {
  const here = ch.dialplan;
  const context = q.context || here.context;
  const exten = q.extension || (q.context ? 's' : here.exten);
  if (q.label) {
    const priority = /^\d+$/.test(q.label) ? Number(q.label) : findLabel(context, exten, q.label);
    return priority > 0 ? { context, exten, priority } : null;
  }
  if (q.priority) return { context, exten, priority: q.priority };
  if (!q.context && !q.extension) return { context, exten, priority: here.priority + 1 };
  return { context, exten, priority: 1 };
}
