import assert from 'assert';
import { readFileSync } from 'fs';
import { join } from 'path';
import { toRequestError } from '../../src/asterisk/ari-rest';
import { reconnectDelay } from '../../src/asterisk/backoff';
import { parseAriEvent, type AriEvent } from '../../src/asterisk/events';
import { classifyDial, classifyEvents, classifyOriginateError, newDialTrace, traceDial } from '../../src/asterisk/outcomes';

interface TraceRecord {
  t_ms: number;
  kind: 'event' | 'rest' | 'cli';
  event?: Record<string, unknown>;
  method?: string;
  path?: string;
  request_body?: Record<string, unknown> | null;
  status?: number;
  response?: unknown;
}

function loadTrace(name: string): TraceRecord[] {
  const file = join(__dirname, '..', 'fixtures', 'asterisk', name);
  return (JSON.parse(readFileSync(file, 'utf8')) as { records: TraceRecord[] }).records;
}

/** The recorded events, through the adapter's own parser (the WebSocket path). */
function eventsOf(records: TraceRecord[]): AriEvent[] {
  const events: AriEvent[] = [];
  for (const record of records) {
    if (record.kind !== 'event') continue;
    const parsed = parseAriEvent(JSON.stringify(record.event));
    if ('event' in parsed) events.push(parsed.event);
  }
  return events;
}

/**
 * What an application without subscribeAll receives for a channel it originated: the channel's
 * own events and the Dial events naming it as peer, but nothing of the `;2` half.
 */
function ownView(events: AriEvent[], channelId: string): AriEvent[] {
  return events.filter((e) => (e.type === 'Dial' ? e.peer.id === channelId : 'channel' in e && e.channel.id === channelId));
}

/** The events up to the moment the adapter classifies: the originated channel's ChannelDestroyed. */
function untilDestroyed(events: AriEvent[], channelId: string): AriEvent[] {
  const end = events.findIndex((e) => e.type === 'ChannelDestroyed' && e.channel.id === channelId);
  assert.ok(end >= 0, `no ChannelDestroyed for ${channelId}`);
  return events.slice(0, end + 1);
}

describe('asterisk: outcomes from the recorded Asterisk 22 traces', () => {
  const records = loadTrace('originate_outcomes.json');
  const events = eventsOf(records);
  const scenarios: Array<[string, string]> = [
    ['out-answer', 'answered'],
    ['out-busy', 'busy'],
    ['out-congestion', 'congestion'],
    ['out-reject', 'rejected'],
    ['out-noanswer', 'no_answer'],
    ['out-noexten', 'failed'],
  ];

  it('parses every recorded event without skipping the ones outcomes rely on', () => {
    const raw = records.filter((r) => r.kind === 'event');
    const kept = raw.filter((r) => 'event' in parseAriEvent(JSON.stringify(r.event)));
    const used = raw.filter((r) => ['Dial', 'ChannelDestroyed', 'StasisStart'].includes(String(r.event?.type)));
    assert.ok(used.length > 0);
    for (const record of used) assert.ok(kept.includes(record), `skipped ${String(record.event?.type)}`);
  });

  for (const [channelId, expected] of scenarios) {
    describe(channelId, () => {
      it(`is ${expected} from the whole sequence (subscribeAll view, both Local halves)`, () => {
        assert.strictEqual(classifyEvents(channelId, events).outcome, expected);
      });
      it(`is ${expected} from what the application sees of its own channel only`, () => {
        assert.strictEqual(classifyEvents(channelId, ownView(events, channelId)).outcome, expected);
      });
      it(`is ${expected} at the moment the originated channel is destroyed`, () => {
        assert.strictEqual(classifyEvents(channelId, untilDestroyed(events, channelId)).outcome, expected);
      });
    });
  }

  it('keeps the ;2 cause when ;1 says nothing (busy: ;1 cause 0, ;2 cause 17)', () => {
    const trace = events.reduce(traceDial, newDialTrace('out-busy'));
    assert.strictEqual(trace.cause, 0);
    assert.strictEqual(trace.otherCause, 17);
    assert.strictEqual(trace.finalStatus, 'BUSY');
  });

  it('prefers cause 21 over the NOANSWER status Dial reports for a rejected call', () => {
    const trace = events.reduce(traceDial, newDialTrace('out-reject'));
    assert.strictEqual(trace.finalStatus, 'NOANSWER');
    assert.strictEqual(classifyDial(trace).outcome, 'rejected');
  });

  it('reads a number that does not exist (NOANSWER with cause 1, as a real Asterisk 22 reports it) as invalid_number', () => {
    const trace = { ...newDialTrace('out-gone'), finalStatus: 'NOANSWER', cause: 1, otherCause: null };
    assert.strictEqual(classifyDial(trace).outcome, 'invalid_number');
    assert.strictEqual(classifyDial({ ...trace, cause: 16 }).outcome, 'no_answer', 'a normal clearing stays no_answer');
  });

  it('reads a ring timeout from cause 19 with no final Dial status', () => {
    const trace = events.reduce(traceDial, newDialTrace('out-noanswer'));
    assert.strictEqual(trace.finalStatus, null);
    assert.strictEqual(trace.ringing, true);
    assert.strictEqual(trace.cause, 19);
  });

  it('classifies the unknown technology refused with HTTP 500 "Allocation failed" as failed', () => {
    const refused = records.find((r) => r.kind === 'rest' && r.status === 500);
    assert.ok(refused, 'the trace has the refused originate');
    // ari-client rejects with Error(<response body>): the status has to be read back from it.
    const err = toRequestError('channels.originate', new Error(JSON.stringify(refused.response)));
    assert.strictEqual(err.status, 500);
    assert.strictEqual(err.reason, 'Allocation failed');
    assert.strictEqual(classifyOriginateError(err.status, err.reason).outcome, 'failed');
  });

  it('classifies 400 / 404 originate refusals as invalid numbers', () => {
    assert.strictEqual(classifyOriginateError(400, 'Invalid endpoint').outcome, 'invalid_number');
    assert.strictEqual(classifyOriginateError(404, 'Endpoint not found').outcome, 'invalid_number');
    assert.strictEqual(classifyOriginateError(409, 'Channel with given unique ID already exists').outcome, 'failed');
  });

  it('classifies the agent-first customer of agent_first_bridge.json as answered', () => {
    assert.strictEqual(classifyEvents('cust-cb-8', eventsOf(loadTrace('agent_first_bridge.json'))).outcome, 'answered');
  });

  it('sees the default-timeout placeholder of placeholder_long_wait.json die of cause 19 unanswered', () => {
    const trace = eventsOf(loadTrace('placeholder_long_wait.json')).reduce(traceDial, newDialTrace('ph-cb-11', 'ph-cb-11-2'));
    assert.strictEqual(trace.answered, false);
    assert.strictEqual(trace.cause, 19);
    assert.strictEqual(trace.otherCause, 19);
  });

  it('ignores Dial events in which the channel is the caller (the queue ringing agents)', () => {
    const served = eventsOf(loadTrace('observe_hop.json'));
    const trace = served.reduce(traceDial, newDialTrace('obs-2;2'));
    assert.strictEqual(trace.finalStatus, null);
  });
});

describe('asterisk: event parsing never throws', () => {
  it('skips malformed frames and unexpected shapes', () => {
    assert.deepStrictEqual(parseAriEvent('{not json'), { skipped: 'not JSON' });
    assert.deepStrictEqual(parseAriEvent('[1,2]'), { skipped: 'no event type' });
    assert.deepStrictEqual(parseAriEvent('{"type":"StasisStart"}'), { skipped: 'channel missing', type: 'StasisStart' });
    assert.deepStrictEqual(parseAriEvent('{"type":"Dial","peer":{}}'), { skipped: 'peer missing', type: 'Dial' });
    assert.deepStrictEqual(parseAriEvent('{"type":"SomethingNew","channel":{"id":"x"}}'), { skipped: 'not used', type: 'SomethingNew' });
  });

  it('reads StasisStart arguments and userevent fields as the traces show them', () => {
    const start = parseAriEvent(JSON.stringify({ type: 'StasisStart', args: ['observe', 'support'], channel: { id: 'obs-1;2' } }));
    assert.ok('event' in start && start.event.type === 'StasisStart');
    assert.deepStrictEqual(start.event.args, ['observe', 'support']);
  });
});

describe('asterisk: reconnect backoff', () => {
  it('doubles from the minimum and stays under the maximum', () => {
    assert.deepStrictEqual(
      [0, 1, 2, 3, 4, 5, 10, 100].map((n) => reconnectDelay(n, 500, 5000)),
      [500, 1000, 2000, 4000, 5000, 5000, 5000, 5000],
    );
  });
  it('tolerates a maximum below the minimum and a zero minimum', () => {
    assert.strictEqual(reconnectDelay(3, 1000, 10), 1000);
    assert.strictEqual(reconnectDelay(3, 0, 10), 0);
  });
});
