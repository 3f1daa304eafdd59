import { strict as assert } from 'node:assert';
import { VIEWER, openApiRig, type ApiRig } from './rig';

/** PRODUCT section 4's routes, and what the page needs besides. */
const PROMISED = [
  'GET /api/v1/callbacks',
  'GET /api/v1/callbacks/{id}',
  'POST /api/v1/callbacks',
  'POST /api/v1/callbacks/{id}/cancel',
  'POST /api/v1/callbacks/{id}/reschedule',
  'GET /api/v1/calls/{callId}/history',
  'POST /api/v1/calls/{callId}/callbacks',
  'GET /api/v1/calls',
  'GET /api/v1/events',
  'GET /api/v1/events/stream',
  'GET /healthz',
  'GET /metrics',
  'GET /api/v1/openapi.json',
];

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

type Operation = { parameters?: { in: string; name: string }[]; responses: Record<string, unknown>; security?: unknown[]; requestBody?: unknown };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

function operations(doc: Document): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) if (METHODS.includes(method)) found.set(`${method.toUpperCase()} ${path}`, operation);
  }
  return found;
}

/** fastify's /a/:id as OpenAPI writes it, /a/{id}. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('api: the OpenAPI document', () => {
  let rig: ApiRig;
  let doc: Document;
  before(async () => {
    rig = await openApiRig();
    const answer = await rig.get('/api/v1/openapi.json', { token: VIEWER });
    assert.equal(answer.status, 200, answer.text);
    doc = answer.body as Document;
  });
  after(() => rig.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const { Validator } = (await import('@seriousme/openapi-schema-validator')) as typeof import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
    // The validator does refuse: a document without its info, or with a parameter of no place, is not valid.
    const { info: _info, ...withoutInfo } = doc as unknown as Record<string, unknown>;
    assert.equal((await new Validator().validate(withoutInfo as never)).valid, false);
    const badParameter = structuredClone(doc);
    badParameter.paths['/api/v1/callbacks'].get.parameters = [{ in: 'nowhere', name: 'x' }];
    assert.equal((await new Validator().validate(badParameter as never)).valid, false);
  });

  it('lists exactly the routes the server serves, and every route PRODUCT promises', () => {
    const served = rig.api.served.filter((r) => !r.hidden).map((r) => `${r.method} ${openApiPath(r.url)}`);
    assert.deepEqual([...operations(doc).keys()].sort(), [...new Set(served)].sort());
    for (const route of PROMISED) assert.ok(operations(doc).has(route), `${route} is not in the document`);
    // The page's own files and CORS preflights are served but are not the API.
    assert.ok(rig.api.served.some((r) => r.hidden && r.url === '/'));
  });

  it('says which routes need no token, and gives every operation its error answers', () => {
    for (const [route, operation] of operations(doc)) {
      const open = route === 'GET /healthz' || route === 'GET /readyz';
      assert.deepEqual(operation.security?.length === 0, open, `${route}: security ${JSON.stringify(operation.security)}`);
      const statuses = Object.keys(operation.responses);
      assert.ok(statuses.some((s) => s.startsWith('2')), `${route} documents no success`);
      if (!open) assert.ok(statuses.includes('401'), `${route} documents no 401`);
    }
  });

  it('documents the Idempotency-Key header on every POST that creates, and request bodies from the validating schemas', () => {
    for (const route of ['POST /api/v1/callbacks', 'POST /api/v1/calls/{callId}/callbacks']) {
      const operation = operations(doc).get(route);
      assert.ok(operation?.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key'), `${route} lacks Idempotency-Key`);
    }
    const body = operations(doc).get('POST /api/v1/callbacks')?.requestBody as { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> };
    const schema = body.content['application/json'].schema;
    assert.equal(schema.additionalProperties, false);
    for (const field of ['number', 'queue', 'dueAt', 'delayMinutes', 'note', 'relatedCallId', 'createLostCallEvent']) assert.ok(field in schema.properties, field);
  });
});
