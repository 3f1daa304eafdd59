import { EVENT_MODELS, RESOURCE_MODELS } from './swagger-models';

/**
 * Our own Swagger 1.2 description of the ARI subset the simulator implements. Resource paths,
 * operation nicknames and parameter names/paramTypes follow real ARI, so client code built against it
 * (ari-client builds its API from this) works unchanged against a real Asterisk. The server routes
 * requests with the same table, so the description and the behaviour cannot drift apart.
 */

export interface ApiParam {
  name: string;
  paramType: 'path' | 'query' | 'body';
  required: boolean;
  allowMultiple: boolean;
  dataType: string;
}

export interface ApiOperation {
  resource: string;
  path: string;
  httpMethod: 'GET' | 'POST' | 'DELETE';
  nickname: string;
  responseClass: string;
  summary: string;
  parameters: ApiParam[];
}

const p = (name: string): ApiParam => ({ name, paramType: 'path', required: true, allowMultiple: false, dataType: 'string' });
const q = (name: string, dataType = 'string', required = false, allowMultiple = false): ApiParam => ({
  name,
  paramType: 'query',
  required,
  allowMultiple,
  dataType,
});
const body = (name: string): ApiParam => ({ name, paramType: 'body', required: false, allowMultiple: false, dataType: 'containers' });

function op(resource: string, path: string, httpMethod: ApiOperation['httpMethod'], nickname: string, responseClass: string, summary: string, parameters: ApiParam[] = []): ApiOperation {
  return { resource, path, httpMethod, nickname, responseClass, summary, parameters };
}

const originateParams = (withId: boolean): ApiParam[] => [
  ...(withId ? [p('channelId')] : []),
  q('endpoint', 'string', true),
  q('extension'),
  q('context'),
  q('priority', 'long'),
  q('label'),
  q('app'),
  q('appArgs'),
  q('callerId'),
  q('timeout', 'int'),
  body('variables'),
  ...(withId ? [] : [q('channelId')]),
  q('otherChannelId'),
  q('originator'),
  q('formats'),
];

const playParams = (withId: boolean): ApiParam[] => [
  p('channelId'),
  ...(withId ? [p('playbackId')] : []),
  q('media', 'string', true, true),
  q('lang'),
  q('offsetms', 'int'),
  q('skipms', 'int'),
  ...(withId ? [] : [q('playbackId')]),
];

export const OPERATIONS: ApiOperation[] = [
  op('asterisk', '/asterisk/info', 'GET', 'getInfo', 'AsteriskInfo', 'Gets Asterisk system information.', [q('only', 'string', false, true)]),
  op('asterisk', '/asterisk/ping', 'GET', 'ping', 'AsteriskPing', 'Response pong message.'),
  op('asterisk', '/asterisk/variable', 'GET', 'getGlobalVar', 'Variable', 'Get the value of a global variable.', [q('variable', 'string', true)]),
  op('asterisk', '/asterisk/variable', 'POST', 'setGlobalVar', 'void', 'Set the value of a global variable.', [q('variable', 'string', true), q('value')]),

  op('channels', '/channels', 'GET', 'list', 'List[Channel]', 'List all active channels in Asterisk.'),
  op('channels', '/channels', 'POST', 'originate', 'Channel', 'Create a new channel (originate).', originateParams(false)),
  op('channels', '/channels/{channelId}', 'GET', 'get', 'Channel', 'Channel details.', [p('channelId')]),
  op('channels', '/channels/{channelId}', 'POST', 'originateWithId', 'Channel', 'Create a new channel (originate with id).', originateParams(true)),
  op('channels', '/channels/{channelId}', 'DELETE', 'hangup', 'void', 'Delete (i.e. hangup) a channel.', [p('channelId'), q('reason_code'), q('reason')]),
  op('channels', '/channels/{channelId}/continue', 'POST', 'continueInDialplan', 'void', 'Exit application; continue execution in the dialplan.', [
    p('channelId'),
    q('context'),
    q('extension'),
    q('priority', 'int'),
    q('label'),
  ]),
  op('channels', '/channels/{channelId}/answer', 'POST', 'answer', 'void', 'Answer a channel.', [p('channelId')]),
  op('channels', '/channels/{channelId}/ring', 'POST', 'ring', 'void', 'Indicate ringing to a channel.', [p('channelId')]),
  op('channels', '/channels/{channelId}/ring', 'DELETE', 'ringStop', 'void', 'Stop ringing indication on a channel.', [p('channelId')]),
  op('channels', '/channels/{channelId}/dtmf', 'POST', 'sendDTMF', 'void', 'Send provided DTMF to a given channel.', [
    p('channelId'),
    q('dtmf'),
    q('before', 'int'),
    q('between', 'int'),
    q('duration', 'int'),
    q('after', 'int'),
  ]),
  op('channels', '/channels/{channelId}/play', 'POST', 'play', 'Playback', 'Start playback of media.', playParams(false)),
  op('channels', '/channels/{channelId}/play/{playbackId}', 'POST', 'playWithId', 'Playback', 'Start playback of media and specify the playbackId.', playParams(true)),
  op('channels', '/channels/{channelId}/variable', 'GET', 'getChannelVar', 'Variable', 'Get the value of a channel variable or function.', [
    p('channelId'),
    q('variable', 'string', true),
  ]),
  op('channels', '/channels/{channelId}/variable', 'POST', 'setChannelVar', 'void', 'Set the value of a channel variable or function.', [
    p('channelId'),
    q('variable', 'string', true),
    q('value'),
  ]),

  op('bridges', '/bridges', 'GET', 'list', 'List[Bridge]', 'List all active bridges in Asterisk.'),
  op('bridges', '/bridges', 'POST', 'create', 'Bridge', 'Create a new bridge.', [q('type'), q('bridgeId'), q('name')]),
  op('bridges', '/bridges/{bridgeId}', 'GET', 'get', 'Bridge', 'Get bridge details.', [p('bridgeId')]),
  op('bridges', '/bridges/{bridgeId}', 'POST', 'createWithId', 'Bridge', 'Create a new bridge or update an existing one.', [p('bridgeId'), q('type'), q('name')]),
  op('bridges', '/bridges/{bridgeId}', 'DELETE', 'destroy', 'void', 'Shut down a bridge.', [p('bridgeId')]),
  op('bridges', '/bridges/{bridgeId}/addChannel', 'POST', 'addChannel', 'void', 'Add a channel to a bridge.', [
    p('bridgeId'),
    q('channel', 'string', true, true),
    q('role'),
    q('absorbDTMF', 'boolean'),
    q('mute', 'boolean'),
    q('inhibitConnectedLineUpdates', 'boolean'),
  ]),
  op('bridges', '/bridges/{bridgeId}/removeChannel', 'POST', 'removeChannel', 'void', 'Remove a channel from a bridge.', [
    p('bridgeId'),
    q('channel', 'string', true, true),
  ]),

  op('applications', '/applications', 'GET', 'list', 'List[Application]', 'List all applications.'),
  op('applications', '/applications/{applicationName}', 'GET', 'get', 'Application', 'Get details of an application.', [p('applicationName')]),
  op('applications', '/applications/{applicationName}/subscription', 'POST', 'subscribe', 'Application', 'Subscribe an application to an event source.', [
    p('applicationName'),
    q('eventSource', 'string', true, true),
  ]),
  op('applications', '/applications/{applicationName}/subscription', 'DELETE', 'unsubscribe', 'Application', 'Unsubscribe an application from an event source.', [
    p('applicationName'),
    q('eventSource', 'string', true, true),
  ]),

  op('playbacks', '/playbacks/{playbackId}', 'GET', 'get', 'Playback', "Get a playback's details.", [p('playbackId')]),
  op('playbacks', '/playbacks/{playbackId}', 'DELETE', 'stop', 'void', 'Stop a playback.', [p('playbackId')]),

  op('events', '/events', 'GET', 'eventWebsocket', 'Message', 'WebSocket connection for events.', [
    q('app', 'string', true, true),
    q('subscribeAll', 'boolean'),
  ]),
];

const RESOURCES: Record<string, string> = {
  asterisk: 'Asterisk resources',
  channels: 'Channel resources',
  bridges: 'Bridge resources',
  applications: 'Stasis application resources',
  playbacks: 'Playback control resources',
  events: 'WebSocket resource',
};

export const API_VERSION = '22.0.0';

/** GET /ari/api-docs/resources.json */
export function resourceListing(basePath: string): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.2',
    basePath,
    apis: Object.entries(RESOURCES).map(([name, description]) => ({ path: `/api-docs/${name}.{format}`, description })),
  };
}

/** GET /ari/api-docs/{resource}.json, or null for a resource we do not describe. */
export function apiDeclaration(resource: string, basePath: string): Record<string, unknown> | null {
  if (!(resource in RESOURCES)) return null;
  const ops = OPERATIONS.filter((o) => o.resource === resource);
  const paths = [...new Set(ops.map((o) => o.path))];
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.2',
    basePath,
    resourcePath: `/api-docs/${resource}.{format}`,
    apis: paths.map((path) => ({
      path,
      description: path,
      operations: ops
        .filter((o) => o.path === path)
        .map((o) => ({ httpMethod: o.httpMethod, summary: o.summary, nickname: o.nickname, responseClass: o.responseClass, parameters: o.parameters })),
    })),
    models: resource === 'events' ? { ...RESOURCE_MODELS, ...EVENT_MODELS } : RESOURCE_MODELS,
  };
}
