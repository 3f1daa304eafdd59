import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';

/** The page's static files (web/ at the package root: beside src/ in the repo, beside dist/ when installed). */
export const WEB_DIR = path.join(__dirname, '..', '..', 'web');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Only what the page's own files need: no inline script or style, nothing from another origin
 * (the page must work on a closed network, and a token sits in its sessionStorage).
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface PageFile {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The files are read once, when the routes are registered: only names found then are served
 * (nothing a request names reaches the file system), and a package without web/ fails at start.
 */
function readPage(dir: string): Map<string, PageFile> {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new Error(`the supervisor page's files are missing: cannot read ${dir} (${(err as Error).message})`);
  }
  const files = new Map<string, PageFile>();
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(path.join(dir, name));
    files.set(name, { body, type, etag: `"${crypto.createHash('sha1').update(body).digest('base64url').slice(0, 16)}"` });
  }
  if (!files.has('index.html')) throw new Error(`the supervisor page's files are missing: no index.html in ${dir}`);
  return files;
}

/**
 * The supervisors' page at `/`: static files, public (they hold no data; the page asks for a
 * token and sends it with every API request). Hidden from the OpenAPI document.
 */
export function registerPage(app: FastifyInstance, options: { dir?: string } = {}): void {
  const files = readPage(options.dir ?? WEB_DIR);
  const send = (file: PageFile) => (request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('Content-Security-Policy', CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-cache')
      .header('ETag', file.etag)
      .type(file.type);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.send(file.body);
  };
  // `hide` is @fastify/swagger's: the page is not part of the API the document describes.
  const route = { schema: { hide: true } as FastifySchema, config: { public: true } };
  app.get('/', route, send(files.get('index.html') as PageFile));
  for (const [name, file] of files) app.get(`/${name}`, route, send(file));
}
