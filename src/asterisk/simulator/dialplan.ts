import {
  answerApp,
  execIfApp,
  gotoIfApp,
  setGlobalApp,
  gosubApp,
  gotoIfStasisFailed,
  hangupApp,
  noOp,
  pushHangupHandler,
  returnApp,
  setVar,
  userEventApp,
  waitApp,
} from './apps';
import type { Pbx } from './pbx';
import { queueApp } from './queues';
import { setExtensionResolver, type Step } from './runner';
import { stasisApp } from './stasis';

/**
 * The shipped dialplan (dialplan/asterisk/callbackd.conf) written as data, priority by priority, plus
 * the simulator's own contexts for the callers it creates. The simulator does not read .conf files:
 * when the shipped file changes, this must change with it.
 */

const app = (pbx: Pbx) => pbx.opts.app;
/** ${EPOCH} in the simulator's seconds (tests shrink a second). */
const epoch = (x: { pbx: Pbx }) => Math.floor(x.pbx.now() / x.pbx.opts.secondMs);
const labelled = (label: string, step: Step): Step => ({ ...step, label });

const CALLBACKD: Record<string, Record<string, Step[]>> = {
  'callbackd-queue': {
    s: [
      noOp((x) => `callbackd: ${x.ch.caller.number} enters queue ${x.arg(1)}`),
      setVar('__CB_QUEUE', (x) => x.arg(1)),
      pushHangupHandler('callbackd-queue-gone'),
      setVar('__CB_QUEUE_DEADLINE', () => ''),
      gotoIfApp((x) => x.arg(2) === '', 'observe'),
      setVar('__CB_QUEUE_DEADLINE', (x) => String(epoch(x) + Number(x.arg(2)))),
      labelled('observe', stasisApp(app, (x) => ['observe', x.arg(1)])),
      execIfApp((x) => x.v('STASISSTATUS') === 'SUCCESS', 'STASISSTATUS = SUCCESS', setVar('__CB_CALL', (x) => x.ch.id)),
      queueApp((x) => `${x.arg(1)},,,,${x.arg(2)},,callbackd-agent-answered`),
      returnApp(),
    ],
  },
  'callbackd-agent-answered': {
    s: [
      execIfApp((x) => x.v('CB_CALL') !== '', 'CB_CALL set', setGlobalApp((x) => `CALLBACKD_SERVED_${x.v('CB_CALL')}`, (x) => String(Math.floor(x.pbx.now() / 1000)))),
      returnApp(),
    ],
  },
  'callbackd-queue-gone': {
    s: [
      userEventApp('CallbackdQueueCallGone', (x) => [
        ['queue', x.v('CB_QUEUE')],
        ['abandoned', x.v('ABANDONED')],
        ['position', x.v('QUEUEPOSITION')],
        ['wait', x.v('QUEUEWAIT')],
        ['number', x.ch.caller.number],
      ]),
      returnApp(),
    ],
  },
  'callbackd-queue-exit': {
    '1': [
      noOp((x) => `callbackd: ${x.ch.caller.number} leaves ${x.v('CB_QUEUE')} at position ${x.v('QUEUEPOSITION')} for a callback`),
      stasisApp(app, (x) => ['callback', x.v('CB_QUEUE'), '0']),
      gotoIfStasisFailed('back'),
      hangupApp(),
      labelled('back', setVar('CB_TIMEOUT', () => '')),
      gotoIfApp((x) => x.v('CB_QUEUE_DEADLINE') === '', 'requeue'),
      setVar('CB_TIMEOUT', (x) => String(Number(x.v('CB_QUEUE_DEADLINE')) - epoch(x))),
      execIfApp((x) => Number(x.v('CB_TIMEOUT')) < 1, 'CB_TIMEOUT < 1', setVar('CB_TIMEOUT', () => '1')),
      labelled('requeue', queueApp((x) => `${x.v('CB_QUEUE')},,,,${x.v('CB_TIMEOUT')},,callbackd-agent-answered,,${x.v('QUEUEPOSITION')}`)),
      returnApp(),
    ],
  },
  'callbackd-callback': {
    s: [
      noOp((x) => `callbackd: CallBack node for ${x.arg(1)}, delay ${x.arg(2)} min`),
      setVar('__CB_QUEUE', (x) => x.arg(1)),
      stasisApp(app, (x) => ['callback', x.arg(1), x.arg(2)]),
      gotoIfStasisFailed('down'),
      hangupApp(),
      labelled('down', queueApp((x) => x.arg(1))),
      returnApp(),
    ],
  },
  'callbackd-placeholder': {
    s: [
      noOp((x) => `callbackd: placeholder for ${x.v('CB_ID')} in ${x.v('CB_QUEUE')} at ${x.v('CB_POS')}`),
      queueApp((x) => `${x.v('CB_QUEUE')},,,,,,,,${x.v('CB_POS')}`),
      hangupApp(),
    ],
  },
  'callbackd-enqueue': {
    s: [
      noOp((x) => `callbackd: callback ${x.v('CB_ID')} to the head of ${x.v('CB_QUEUE')}`),
      setVar('__CB_CALL', (x) => x.ch.id),
      queueApp((x) => `${x.v('CB_QUEUE')},,,,,,callbackd-agent-answered,,1`),
      hangupApp(),
    ],
  },
};

/**
 * Where simulated callers come from. A caller is a Local pair: the ;1 half is the caller's phone
 * (`sim-caller`), the ;2 half is the site's inbound dialplan, which hands the call to the shipped entry
 * points like an administrator's extensions.conf would. The extension is the queue name.
 */
const SIMULATED: Record<string, Record<string, Step[]>> = {
  'sim-inbound': {
    _: [
      answerApp(),
      gosubApp('callbackd-queue', (x) => {
        const timeout = x.v('SIM_QUEUE_TIMEOUT');
        return timeout ? [x.exten(), timeout] : [x.exten()];
      }),
      hangupApp(),
    ],
  },
  'sim-ivr': {
    _: [answerApp(), gosubApp('callbackd-callback', (x) => [x.exten(), x.v('SIM_DELAY_MINUTES') || '0']), hangupApp()],
  },
  'sim-caller': {
    wait: [waitApp(() => null, () => '')],
  },
};

const CONTEXTS: Record<string, Record<string, Step[]>> = { ...CALLBACKD, ...SIMULATED };

export const MODELLED_CONTEXTS = Object.keys(CONTEXTS);

setExtensionResolver((_pbx, context, exten, ch) => {
  const script = ch?.localScript;
  if (script && script.context === context && script.exten === exten) return script.steps;
  const ctx = CONTEXTS[context];
  return ctx ? (ctx[exten] ?? ctx._) : undefined;
});
