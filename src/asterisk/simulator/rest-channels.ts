import { randomUUID } from 'node:crypto';
import { SimChannel } from './channels';
import { HANGUP_REASONS } from './format';
import { requestHangup } from './hangup';
import { answer } from './local';
import { originate, type OriginateParams } from './originate';
import type { Pbx } from './pbx';
import { SimPlayback } from './playbacks';
import { error, noContent, ok, stasisChannel, stateInvalid, type Handler, type RestRequest, type RestResponse } from './rest';
import { labelPriority } from './runner';
import { continueTarget } from './stasis';
import { readChannelVariable } from './variables';

function originateHandler(withId: boolean): Handler {
  return (pbx, req) => {
    const P = req.params;
    pbx.originations.push(withId ? { ...P.merged(), channelId: req.path.channelId } : P.merged());
    const vars = P.object('variables');
    let variables: Record<string, string> | undefined;
    if (vars !== undefined && vars !== null) {
      const inner = (vars as Record<string, unknown>).variables ?? vars;
      if (typeof inner !== 'object' || Object.values(inner as object).some((v) => typeof v !== 'string')) {
        return error(400, "Only string values in the 'variables' object allowed");
      }
      variables = inner as Record<string, string>;
    }
    const params: OriginateParams = {
      endpoint: P.str('endpoint'),
      app: P.str('app'),
      appArgs: P.str('appArgs'),
      context: P.str('context'),
      extension: P.str('extension'),
      priority: P.int('priority'),
      callerId: P.str('callerId'),
      timeout: P.int('timeout'),
      channelId: withId ? req.path.channelId : P.str('channelId'),
      otherChannelId: P.str('otherChannelId'),
      variables,
    };
    const result = originate(pbx, params);
    return result.ok ? ok(result.snapshot) : { status: result.status, body: result.body };
  };
}

function hangup(pbx: Pbx, req: RestRequest): RestResponse {
  const ch = pbx.channels.find(req.path.channelId);
  if (!ch) return error(404, 'Channel not found');
  const reason = req.params.str('reason');
  const code = req.params.str('reason_code');
  if (reason && code) return error(400, "The reason and reason_code can't both be specified");
  let cause = 16;
  if (code) {
    if (!/^\d+$/.test(code)) return error(400, 'Invalid reason for hangup reason code provided');
    cause = Number(code);
  } else if (reason) {
    if (!(reason in HANGUP_REASONS)) return error(400, 'Invalid reason for hangup reason provided');
    cause = HANGUP_REASONS[reason];
  }
  requestHangup(pbx, ch, 'explicit', cause);
  return noContent;
}

function continueInDialplan(pbx: Pbx, req: RestRequest): RestResponse {
  const ch = stasisChannel(pbx, req.path.channelId);
  if (!(ch instanceof SimChannel)) return ch;
  const invalid = stateInvalid(ch);
  if (invalid) return invalid;
  const P = req.params;
  const q = { context: P.str('context'), extension: P.str('extension'), priority: P.int('priority'), label: P.str('label') };
  const target = continueTarget(ch, q, (c, e, l) => labelPriority(pbx, c, e, l, ch));
  if (!target) return error(404, 'Requested label can not be found');
  // The command runs on the channel's own thread in Asterisk: after the response, maybe.
  pbx.defer(() => ch.alive && ch.stasis?.resume(target));
  return noContent;
}

function withStasis(action: (pbx: Pbx, ch: SimChannel, req: RestRequest) => RestResponse, checkState = true): Handler {
  return (pbx, req) => {
    const ch = stasisChannel(pbx, req.path.channelId);
    if (!(ch instanceof SimChannel)) return ch;
    const invalid = checkState ? stateInvalid(ch) : null;
    return invalid ?? action(pbx, ch, req);
  };
}

function play(pbx: Pbx, ch: SimChannel, req: RestRequest): RestResponse {
  const media = req.params.list('media');
  if (media.length === 0) return error(400, 'Missing parameter media');
  const id = req.path.playbackId || req.params.str('playbackId') || randomUUID();
  if (pbx.playbacks.has(id)) return error(409, 'A playback with the same ID already exists');
  const playback = new SimPlayback(pbx, id, ch.id, media, req.params.str('lang') || ch.language);
  playback.enqueue();
  return { status: 201, body: playback.toJson(), headers: { Location: `/playbacks/${id}` } };
}

function getVariable(pbx: Pbx, req: RestRequest): RestResponse {
  const name = req.params.str('variable');
  if (!name) return error(400, 'Variable name is required');
  const ch = pbx.channels.find(req.path.channelId);
  if (!ch) return error(404, 'Provided channel was not found');
  const read = readChannelVariable(pbx, ch, name);
  return read.status === 200 ? ok({ value: read.value }) : error(read.status, read.message);
}

function setVariable(pbx: Pbx, req: RestRequest): RestResponse {
  const name = req.params.str('variable');
  if (!name) return error(400, 'Variable name is required');
  const ch = stasisChannel(pbx, req.path.channelId);
  if (!(ch instanceof SimChannel)) return ch;
  pbx.setVar(ch, name, req.params.str('value') ?? '');
  return noContent;
}

export const CHANNEL_HANDLERS: Record<string, Handler> = {
  'channels.list': (pbx) => ok(pbx.channels.all().map((c) => c.snapshot())),
  'channels.originate': originateHandler(false),
  'channels.originateWithId': originateHandler(true),
  'channels.get': (pbx, req) => {
    const ch = pbx.channels.find(req.path.channelId);
    return ch ? ok(ch.snapshot()) : error(404, 'Channel not found');
  },
  'channels.hangup': hangup,
  'channels.continueInDialplan': continueInDialplan,
  'channels.answer': withStasis((pbx, ch) => {
    answer(pbx, ch);
    return noContent;
  }),
  'channels.ring': withStasis(() => noContent),
  'channels.ringStop': withStasis(() => noContent),
  'channels.sendDTMF': withStasis((_pbx, _ch, req) => (req.params.str('dtmf') ? noContent : error(400, 'DTMF is required'))),
  'channels.play': withStasis(play),
  'channels.playWithId': withStasis(play),
  'channels.getChannelVar': getVariable,
  'channels.setChannelVar': setVariable,
};
