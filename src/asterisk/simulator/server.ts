import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { FaultRules, ruleFromJson, type FaultAction } from './faults';
import type { Pbx } from './pbx';
import { Params, error, noContent, type Handler, type RestResponse } from './rest';
import { CHANNEL_HANDLERS } from './rest-channels';
import { RESOURCE_HANDLERS } from './rest-resources';
import { apiDeclaration, OPERATIONS, resourceListing, type ApiOperation } from './swagger';
import type { RequestLogEntry } from './types';

const HANDLERS: Record<string, Handler> = { ...CHANNEL_HANDLERS, ...RESOURCE_HANDLERS };

interface Route {
  op: ApiOperation;
  re: RegExp;
  names: string[];
}

const ROUTES: Route[] = OPERATIONS.filter((o) => HANDLERS[`${o.resource}.${o.nickname}`]).map((op) => {
  const names: string[] = [];
  const pattern = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { op, re: new RegExp(`^${pattern}$`), names };
});

/** HTTP (REST + Swagger) and WebSocket (events) front of the simulator, speaking ARI's wire protocol. */
export class AriServer {
  readonly requestLog: RequestLogEntry[] = [];
  /** Scripted broken answers and delays (see faults.ts); also `POST`/`DELETE /_sim/faults`. */
  readonly faults = new FaultRules();
  private readonly held = new Set<NodeJS.Timeout>();
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<WebSocket>();
  private port = 0;
  private listening = false;
  private wsSeq = 0;
  /** Handler of `/_sim/...` (the test control API over HTTP). */
  control: ((method: string, path: string, body: unknown) => RestResponse) | null = null;

  constructor(private readonly pbx: Pbx) {
    this.http = createServer((req, res) => this.onRequest(req, res));
    this.http.on('connection', (sock: Socket) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    this.http.on('upgrade', (req, sock: Socket, head) => this.onUpgrade(req, sock, head));
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const addr = this.http.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
    this.listening = true;
    return this.port;
  }

  /** Stop accepting connections and cut the open ones, as a failed network link would. */
  async unlisten(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.cutAll();
    await closed;
  }

  async relisten(): Promise<void> {
    if (!this.listening) await this.listen(this.port);
  }

  /** Send `text` as it is, JSON or not, on every event WebSocket; returns how many got it. */
  sendRawFrame(text: string): number {
    let sent = 0;
    for (const ws of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      ws.send(text);
      sent += 1;
    }
    return sent;
  }

  /** Drop every WebSocket without a close handshake; HTTP keeps working. */
  dropWebSockets(): void {
    for (const ws of this.clients) ws.terminate();
  }

  private cutAll(): void {
    for (const ws of this.clients) ws.terminate();
    for (const sock of this.sockets) sock.destroy();
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const { user, password } = this.pbx.opts;
    const apiKey = url.searchParams.get('api_key');
    if (apiKey !== null) return apiKey === `${user}:${password}`;
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(header);
    if (!m) return false;
    return Buffer.from(m[1], 'base64').toString('utf8') === `${user}:${password}`;
  }

  private onUpgrade(req: IncomingMessage, sock: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, text: string): void => {
      sock.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (url.pathname !== '/ari/events') return refuse(404, 'Not Found');
    if (!this.authorized(req, url)) return refuse(401, 'Unauthorized');
    const apps = (url.searchParams.get('app') ?? '').split(',').filter(Boolean);
    if (apps.length === 0) return refuse(400, 'Bad Request');
    const subscribeAll = url.searchParams.get('subscribeAll') === 'true';
    this.wss.handleUpgrade(req, sock, head, (ws) => {
      this.clients.add(ws);
      const handle = { id: ++this.wsSeq, send: (text: string) => ws.readyState === ws.OPEN && ws.send(text) };
      this.pbx.apps.connect(handle, apps, subscribeAll, this.pbx.timestamp());
      ws.on('close', () => {
        this.clients.delete(ws);
        this.pbx.apps.disconnect(handle);
      });
      ws.on('error', () => undefined);
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let fault: FaultAction | null = null;
      try {
        const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
        if (!pathname.startsWith('/_sim/')) fault = this.faults.take(req.method ?? 'GET', safeDecode(pathname));
      } catch {
        // an unparseable URL is answered by the normal path
      }
      if (!fault?.delayMs) return this.answer(req, res, text, fault);
      const timer = setTimeout(() => {
        this.held.delete(timer);
        if (!res.destroyed) this.answer(req, res, text, fault);
      }, fault.delayMs);
      this.held.add(timer);
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, text: string, fault: FaultAction | null): void {
    let out: RestResponse;
    let path = '';
    let query = new Map<string, string[]>();
    let body: unknown = null;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      query = collect(url.searchParams);
      path = url.pathname.startsWith('/ari') ? url.pathname.slice(4) : url.pathname;
      const sim = url.pathname.startsWith('/_sim/');
      if (fault?.respond) out = { status: fault.respond.status, body: fault.respond.body };
      else if (!sim && !url.pathname.startsWith('/ari/')) out = error(404, 'Resource not found');
      else if (!this.authorized(req, url)) out = { status: 401, body: { message: 'Authentication required' }, headers: { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' } };
      else if (text.trim() !== '' && !tryParse(text, (v) => (body = v))) out = error(400, 'Failed to parse request body');
      else if (sim) out = this.simControl(req.method ?? 'GET', url.pathname.slice(5), body);
      else out = this.dispatch(req, path, query, body);
    } catch (err) {
      this.pbx.warn(err);
      out = { status: 500, body: { message: 'Internal Server Error' } };
    }
    if (fault?.respond) this.sendScripted(res, fault.respond);
    else this.send(res, out);
    if (!path.startsWith('/api-docs') && !path.startsWith('/_sim/')) {
      this.requestLog.push({ at: this.pbx.now(), method: req.method ?? 'GET', path: safeDecode(path), query: flatten(query), body, status: out.status, response: out.body ?? null });
    }
  }

  /** The control endpoints that reach the server itself; the rest go to `control` (control-http.ts). */
  private simControl(method: string, path: string, body: unknown): RestResponse {
    const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (path === '/faults' && method === 'POST') {
      const rule = ruleFromJson(b);
      if (!rule) return error(400, 'a fault needs "path" or "pattern"');
      this.faults.add(rule);
      return noContent;
    }
    if (path === '/faults' && method === 'DELETE') {
      this.faults.clear();
      return noContent;
    }
    if (path === '/ws' && method === 'POST') {
      if (typeof b.frame !== 'string') return error(400, 'a raw event needs "frame" (a string)');
      return { status: 200, body: { sent: this.sendRawFrame(b.frame) } };
    }
    return this.control ? this.control(method, path, body) : error(404, 'Resource not found');
  }

  private dispatch(req: IncomingMessage, path: string, query: Map<string, string[]>, body: unknown): RestResponse {
    const docs = /^\/api-docs\/([\w]+)\.json$/.exec(path);
    if (docs) {
      const base = `http://${req.headers.host ?? `127.0.0.1:${this.port}`}/ari`;
      const doc = docs[1] === 'resources' ? resourceListing(base) : apiDeclaration(docs[1], base);
      return doc ? { status: 200, body: doc } : error(404, 'Resource not found');
    }
    const matches = ROUTES.map((r) => ({ r, m: r.re.exec(path) })).filter((x) => x.m);
    if (matches.length === 0) return error(404, 'Resource not found');
    const hit = matches.find((x) => x.r.op.httpMethod === req.method);
    if (!hit || !hit.m) return error(405, 'Invalid method');
    const params: Record<string, string> = {};
    hit.r.names.forEach((n, i) => (params[n] = safeDecode(hit.m![i + 1])));
    const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
    const P = new Params(query, obj);
    const missing = hit.r.op.parameters.find((p) => p.required && p.paramType === 'query' && !P.has(p.name));
    if (missing) return error(400, `Missing parameter ${missing.name}`);
    return HANDLERS[`${hit.r.op.resource}.${hit.r.op.nickname}`](this.pbx, { path: params, params: P });
  }

  private send(res: ServerResponse, out: RestResponse): void {
    const headers: Record<string, string> = { Server: 'Asterisk/22.0.0-callbackd-simulator', ...(out.headers ?? {}) };
    if (out.body === undefined) {
      res.writeHead(out.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(out.body);
    res.writeHead(out.status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** A fault's answer exactly as scripted: the body is not re-encoded, so it can be broken JSON. */
  private sendScripted(res: ServerResponse, raw: NonNullable<FaultAction['respond']>): void {
    const bytes = typeof raw.body === 'string' ? Buffer.from(raw.body, 'utf8') : raw.body;
    const headers = { Server: 'Asterisk/22.0.0-callbackd-simulator', 'Content-Type': raw.contentType ?? 'application/json', 'Content-Length': String(bytes.length), ...(raw.headers ?? {}) };
    res.writeHead(raw.status, headers);
    res.end(bytes);
  }

  async close(): Promise<void> {
    for (const timer of this.held) clearTimeout(timer);
    this.held.clear();
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.cutAll();
    this.wss.close();
    await closed;
  }
}

function collect(sp: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of sp) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

function flatten(q: Map<string, string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of q) if (k !== 'api_key') out[k] = v.length === 1 ? v[0] : v;
  return out;
}

function tryParse(text: string, set: (v: unknown) => void): boolean {
  try {
    set(JSON.parse(text));
    return true;
  } catch {
    return false;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
