// Server-sent events over fetch: EventSource cannot send the Authorization header. Reads the
// stream line by line (id:, data:, retry:, comments), and after a cut reconnects with
// Last-Event-ID and a growing, jittered backoff, so nothing written meanwhile is missed.

import { authHeaders } from './api.js';

const MIN_DELAY = 1000;
const MAX_DELAY = 30_000;

/**
 * follow(url, {onEvent(event), onState(state, detail), onUnauthorized()}) → {stop()}
 * state: 'connecting' | 'live' | 'down' (detail: {retryInMs, reason}).
 */
export function follow(url, handlers) {
  let lastId = null;
  let delay = MIN_DELAY;
  let stopped = false;
  let controller = null;
  let wake = null;

  const sleep = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

  async function run() {
    while (!stopped) {
      controller = new AbortController();
      let reason = 'the stream ended';
      try {
        handlers.onState('connecting');
        const headers = authHeaders({ Accept: 'text/event-stream' });
        if (lastId !== null) headers['Last-Event-ID'] = lastId;
        const res = await fetch(url, { headers, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401) {
          handlers.onUnauthorized?.();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`the daemon answered ${res.status}`);
        handlers.onState('live');
        delay = MIN_DELAY;
        await read(res.body);
      } catch (err) {
        if (stopped) return;
        reason = err?.name === 'AbortError' ? 'reconnecting' : err?.message || String(err);
      }
      if (stopped) return;
      const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
      handlers.onState('down', { retryInMs: wait, reason });
      await sleep(wait);
      delay = Math.min(delay * 2, MAX_DELAY);
    }
  }

  async function read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let data = [];
    let id = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === '') {
          if (id !== null) lastId = id;
          if (data.length) dispatch(data.join('\n'));
          data = [];
          id = null;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
        else if (field === 'retry' && /^\d+$/.test(text)) delay = Math.max(MIN_DELAY, Number(text));
      }
    }
  }

  function dispatch(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    try {
      handlers.onEvent(event);
    } catch (err) {
      console.error('an event handler failed', err);
    }
  }

  run();
  return {
    stop() {
      stopped = true;
      controller?.abort();
      wake?.();
    },
    /** Reconnect at once (after a sign-in, or when the person asks). */
    retryNow() {
      delay = MIN_DELAY;
      wake?.();
    },
    get lastId() {
      return lastId;
    },
  };
}
