import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'winston';
import type { CallEvent } from '../domain/types';
import { eventLineJson } from '../service/json';
import type { EventFollower } from '../service/event-log';
import type { CallbackService } from '../service/service';
import { EVENT, LIMIT, errorAnswers } from './schemas';

export interface StreamOptions {
  /** A comment line this often keeps proxies and clients from taking a quiet stream for a dead one. Default 15 s. */
  heartbeatMs?: number;
  /** Also read the log this often, for writes of other daemons on a shared PostgreSQL database that announce nothing; 0: never. */
  pollMs?: number;
}

const AFTER = { type: 'integer', minimum: 0, description: 'events with a greater id (0: from the first)' } as const;

const EVENTS_QUERY = { type: 'object', additionalProperties: false, properties: { after: AFTER, limit: { ...LIMIT, description: 'events per page, 1 to 1000 (default 100)' } } } as const;
const STREAM_QUERY = { type: 'object', additionalProperties: false, properties: { after: { ...AFTER, description: 'where to start when no Last-Event-ID is sent; neither: after the newest event (live only)' } } } as const;
const STREAM_HEADERS = { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$', description: 'the id of the last event received: the stream resumes after it' } } } as const;

const EVENT_PAGE = {
  type: 'object',
  additionalProperties: false,
  required: ['items', 'next'],
  properties: { items: { type: 'array', items: EVENT }, next: { type: 'integer', description: 'give as after for the next page' } },
} as const;

/** One server-sent event: its id is the event's, so a client's Last-Event-ID is a position in the log. */
function frame(event: CallEvent): string {
  return `id: ${event.id}\ndata: ${JSON.stringify(eventLineJson(event))}\n\n`;
}

/** Resolves once `res` can take more (or is gone): a slow client holds its own follower back, nobody else. */
function writable(res: ServerResponse): Promise<void> {
  if (!res.writableNeedDrain || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function registerEventRoutes(app: FastifyInstance, service: CallbackService, logger: Logger, opts: StreamOptions = {}): void {
  app.get<{ Querystring: { after?: number; limit?: number } }>(
    '/api/v1/events',
    { schema: { summary: 'The event log, in id order, a page at a time (for integrations)', querystring: EVENTS_QUERY, response: { 200: EVENT_PAGE, ...errorAnswers() } } },
    async (request) => {
      const result = await service.events(request.query);
      return { items: result.items.map(eventLineJson), next: result.next };
    },
  );

  /** Streams still open, ended when the server closes (an open stream would hold the close up forever). */
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get<{ Querystring: { after?: number }; Headers: { 'last-event-id'?: string } }>(
    '/api/v1/events/stream',
    {
      schema: {
        summary: 'The event log live, as server-sent events (id: the event id), resumable with Last-Event-ID',
        querystring: STREAM_QUERY,
        headers: STREAM_HEADERS,
        response: { 200: { description: 'text/event-stream: "id: N" and "data: {event}" per event; ": heartbeat" comments', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errorAnswers() },
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      const after = header !== undefined ? Number(header) : (request.query.after ?? (await service.lastEventId()));
      const res = reply.raw;
      // The headers hooks set (CORS, rate limit) go out with the stream's own.
      reply.hijack();
      res.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 3000\n: callbackd events after ${after}\n\n`);
      open.add(res);
      let follower: EventFollower | null = null;
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
      heartbeat.unref();
      res.on('close', () => {
        clearInterval(heartbeat);
        follower?.stop();
        open.delete(res);
      });
      const gone = (): boolean => res.destroyed || res.writableEnded;
      follower = await service.follow({
        after,
        logger,
        pollMs: opts.pollMs ?? 0,
        // A client that left gets nothing more; its follower is stopped by the close above.
        deliver: async (events) => {
          for (const event of events) {
            if (gone()) return;
            if (!res.write(frame(event))) await writable(res);
          }
        },
      });
      if (gone()) follower.stop();
    },
  );
}
