import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { AriSimulator } from '../asterisk/simulator';
import { parseConfig } from '../config/load';
import { Daemon } from '../daemon';
import { createLogger } from '../log';
import { createGateway } from '../pbx/create-gateway';
import type { PbxGateway } from '../pbx/gateway';
import { renderSummary } from './summary';
import { DEFAULT_MIX, Traffic, type TrafficMix } from './traffic';

export interface DemoOptions {
  /** Stop after this long; 0 = until stop() (Ctrl-C). */
  seconds: number;
  /** Database file; default a fresh one in a temporary directory. */
  db?: string;
  agents: number;
  mix?: Partial<TrafficMix>;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Redraw the screen (a terminal) or print a line every few seconds (a pipe). */
  live?: boolean;
  /** Agents and customers act this many times faster (tests use it). */
  speed?: number;
}

export interface DemoRun {
  daemon: Daemon;
  sim: AriSimulator;
  traffic: Traffic;
  /** Resolves when the demo has stopped. */
  done: Promise<void>;
  stop(): void;
}

const QUEUE = 'support';

/**
 * The daemon, the ARI simulator and synthetic traffic in one process: the whole product working
 * over the real ARI wire protocol, with no PBX to install.
 */
export async function startDemo(opts: DemoOptions): Promise<DemoRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-demo-'));
  const sim = new AriSimulator({ playbackMs: 300, dtmfGapMs: 150 });
  const { url } = await sim.start();
  const agents = Array.from({ length: opts.agents }, (_, i) => `agent${i + 1}`);
  const pace = (ms: number) => Math.round(ms / (opts.speed ?? 1));
  sim.addQueue(QUEUE, { members: agents.map((name, i) => ({ name, answerAfterMs: pace(1500 + i * 500), talkMs: pace(12_000 + i * 4000) })) });
  sim.scriptDestination(/PJSIP/, { outcome: 'answer', afterMs: pace(2500), talkMs: pace(8000) });

  const config = parseConfig({
    db: opts.db ?? path.join(dir, 'callbackd.db'),
    pbx: 'asterisk',
    defaultCountry: 'CZ',
    log: { level: 'info', file: path.join(dir, 'callbackd.log') },
    ari: { url, user: 'callbackd', password: 'callbackd', reconnectMinMs: 200, reconnectMaxMs: 2000, formVariables: ['CB_FORM_ACCOUNT'] },
    ivr: { firstDigitSeconds: 4, interDigitSeconds: 2 },
    transitions: [
      { name: 'support', sourceQueue: QUEUE, minWaitSeconds: 5, delayMinutes: 0, maxAttempts: 3, retryMinutes: { busy: 1, no_answer: 1, congestion: 1, agent_unanswered: 1, default: 1 }, ringSeconds: 6, callerId: '+420200000000' },
    ],
  });
  const recent: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as { message: string; callbackId?: string; level: string };
          if (/->|created|merged|Neglected|attempt|lost|served/.test(entry.message)) {
            recent.push(`${new Date().toTimeString().slice(0, 8)} ${entry.callbackId ? entry.callbackId.slice(0, 8) + ' ' : ''}${entry.message}`);
            if (recent.length > 10) recent.shift();
          }
        } catch {
          // not a JSON line
        }
      }
      done();
    },
  });
  const logger = createLogger(config.log);
  logger.add(new winston.transports.Stream({ stream: capture, format: winston.format.json() }));
  const gateway = createGateway(config, logger) as PbxGateway;
  const daemon = new Daemon({ config, logger, gateway });
  await daemon.start();
  await sim.waitForApp();

  const traffic = new Traffic(sim, QUEUE, { ...DEFAULT_MIX, ...opts.mix });
  traffic.start();
  const started = Date.now();
  const live = opts.live ?? !!opts.out.isTTY;
  const draw = () => {
    const text = renderSummary({
      elapsedSeconds: (Date.now() - started) / 1000,
      counts: daemon.store.countByStatus(),
      traffic: traffic.stats,
      sim,
      queue: QUEUE,
      agents,
      recent,
      pbxUp: gateway.isConnected(),
      logFile: config.log.file,
    });
    opts.out.write(live ? `\x1b[2J\x1b[H${text}\n` : `${text.split('\n').filter((l, i) => l && i < 6).join(' | ')}\n`);
  };
  const screen = setInterval(draw, live ? 1000 : 5000);

  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(screen);
    clearTimeout(limit);
    traffic.stop();
    draw();
    daemon
      .stop()
      .then(() => sim.stop())
      .catch(() => undefined)
      .finally(() => {
        logger.end();
        if (!opts.db) fs.rmSync(dir, { recursive: true, force: true });
        finish();
      });
  };
  const limit = setTimeout(stop, opts.seconds > 0 ? opts.seconds * 1000 : 2 ** 31 - 1);
  return { daemon, sim, traffic, done, stop };
}
