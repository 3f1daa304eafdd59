import type { SimChannel } from './channels';
import type { Pbx } from './pbx';

export type VariableRead = { status: 200; value: string } | { status: 404 | 500; message: string };

const NOT_FOUND: VariableRead = { status: 404, message: 'Provided variable was not found' };
const BAD_FUNCTION: VariableRead = { status: 500, message: 'Unable to read provided function' };

/**
 * GET /channels/{id}/variable: plain variables, a few built-ins, and the dialplan functions the callback
 * daemon reads. Like Asterisk, a name ending in `)` is evaluated as a function; an unknown function is a
 * 500, an unset variable a 404 (QUEUENAME is never set: Queue() does not set it).
 */
export function readChannelVariable(pbx: Pbx, ch: SimChannel, name: string): VariableRead {
  if (name.endsWith(')')) {
    const value = readFunction(pbx, ch, name);
    return value === null ? BAD_FUNCTION : { status: 200, value };
  }
  const builtin = builtins(ch)[name];
  if (builtin !== undefined) return { status: 200, value: builtin };
  const value = ch.getVar(name) ?? pbx.globals.get(name);
  return value === undefined ? NOT_FOUND : { status: 200, value };
}

function builtins(ch: SimChannel): Record<string, string> {
  return {
    UNIQUEID: ch.id,
    CHANNEL: ch.name,
    CONTEXT: ch.dialplan.context,
    EXTEN: ch.dialplan.exten,
    PRIORITY: String(ch.dialplan.priority),
  };
}

function readFunction(pbx: Pbx, ch: SimChannel, expr: string): string | null {
  const m = /^([A-Za-z_]+)\((.*)\)$/.exec(expr);
  if (!m) return null;
  const fn = m[1].toUpperCase();
  const args = m[2].split(',').map((a) => a.trim());
  switch (fn) {
    case 'CALLERID':
    case 'CONNECTEDLINE': {
      const party = fn === 'CALLERID' ? ch.caller : ch.connected;
      if (args[0] === 'num' || args[0] === 'number') return party.number;
      if (args[0] === 'name') return party.name;
      if (args[0] === 'all') return party.name ? `"${party.name}" <${party.number}>` : `<${party.number}>`;
      return null;
    }
    case 'CHANNEL': {
      const fields: Record<string, string> = {
        linkedid: ch.linkedid,
        uniqueid: ch.id,
        name: ch.name,
        state: ch.state,
        language: ch.language,
        context: ch.dialplan.context,
        exten: ch.dialplan.exten,
        channeltype: ch.tech,
      };
      return fields[args[0]] ?? null;
    }
    case 'QUEUE_WAITING_COUNT':
      return String(pbx.queues.get(args[0])?.entries.length ?? 0);
    case 'QUEUE_MEMBER': {
      const queue = pbx.queues.get(args[0]);
      if (!queue) return null;
      const ms = queue.members;
      const counts: Record<string, number> = {
        logged: ms.filter((x) => x.state !== 'unavailable').length,
        count: ms.filter((x) => x.state !== 'unavailable').length,
        free: ms.filter((x) => x.state === 'available' && !x.leg).length,
        ready: ms.filter((x) => x.state === 'available' && !x.leg).length,
        paused: ms.filter((x) => x.state === 'paused').length,
      };
      return counts[args[1]] === undefined ? null : String(counts[args[1]]);
    }
    case 'EXISTS':
      return m[2] ? '1' : '0';
    default:
      return null;
  }
}
