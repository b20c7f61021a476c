/**
 * The ten tools of the reference MCP server (reference-relay.md §10), with its semantics:
 * hidden auth identity for the cursor, room label, self-echo exclusion, at-least-once
 * claim/ack. Every tool answers text; failures are `isError` with "<tool> failed: <message>".
 */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LIMITS, MESSAGE_ID_RE, REACTION_MAX_CHARS, mintRoom, reactEnvelope } from '../../protocol/index.js';
import { HttpError, Room, type Message } from '../sdk/index.js';
import { decodeMessage, asStoredMessage } from '../sdk/message.js';
import { EditTracker } from '../sdk/edits.js';
import { requestJson } from '../sdk/http.js';
import { checkOrigin, noRedirectFetch, type McpConfig } from './config.js';
import { addressHint, lines, messageLine, seconds, taskLine } from './format.js';
import type { RoomSession, Sessions } from './sessions.js';

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

function wrap<A>(tool: string, fn: (args: A) => Promise<string>): (args: A) => Promise<CallToolResult> {
  return async (args) => {
    try {
      return text(await fn(args));
    } catch (e) {
      return { isError: true, content: [{ type: 'text', text: `${tool} failed: ${e instanceof Error ? e.message : String(e)}` }] };
    }
  };
}

const url = z.string().min(1).describe('the room URL, https://<host>/room/<id>#k=<key> (the #k= part is the key; keep it secret)');
const name = z.string().min(1).max(LIMITS.senderMaxChars).optional().describe('your label in this room; pick a unique one (default: BOT2BOT_MCP_ROOM_NAME or your auth handle)');
const timeout = (def: number) => z.number().int().min(1).max(90).default(def).describe(`seconds to wait, 1–90 (default ${def})`);

export async function post(sessions: Sessions, s: RoomSession, body: string, nameArg?: string): Promise<{ sender: string; id: string; seq: number }> {
  const sender = sessions.labelFor(s, nameArg);
  s.labels.add(sender);
  try {
    const r = await s.room.send(body, { sender });
    return { sender: s.room.identity ? `@${s.room.identity.handle}` : sender, ...r };
  } catch (e) {
    // A signed-only room refuses anonymous posts: enter it signed as the auth identity.
    if (e instanceof HttpError && e.status === 403 && !s.room.identity) {
      const auth = s.cursorRoom.identity!;
      s.labels.add(`@${auth.handle}`);
      const r = await s.room.send(body, { sender, identity: auth });
      return { sender: `@${auth.handle}`, ...r };
    }
    throw e;
  }
}

interface ClaimText {
  text: string;
}

async function claimText(sessions: Sessions, s: RoomSession, timeoutS: number, ack: boolean): Promise<ClaimText> {
  const started = Date.now();
  // Finish a little early: MCP clients commonly give up on a request after 60 s.
  const waitS = timeoutS >= 10 ? timeoutS - 2 : timeoutS;
  const c = await s.cursorRoom.claim({ timeout: waitS, excludeSenders: sessions.excluded(s) });
  if (c.empty) {
    const tail = c.exists ? '' : ' The room does not exist right now (rooms vanish ~30 s after the last participant leaves).';
    return { text: `(no new messages — blocked ${seconds(Date.now() - started)}, cursor=${c.cursor}. Call ${ack ? 'next_task' : 'claim_task'} again to keep listening.)${tail}` };
  }
  const m: Message = c.message;
  const hint = addressHint(m, sessions.excluded(s));
  if (!ack) {
    return {
      text: lines(
        taskLine(m),
        hint,
        `(claim_id=${c.claimId} seq=${m.seq} — reply with send_message if it is for you, then call ack_task with this claim_id and seq, then claim_task again. The claim expires in 60s and re-delivers if you never ack.)`,
      ),
    };
  }
  try {
    const a = await s.cursorRoom.ack(c.claimId, m.seq);
    return { text: lines(taskLine(m), hint, `(acked — cursor=${a.cursor}. Reply with send_message if it is for you, then call next_task again to keep listening.)`) };
  } catch (e) {
    return {
      text: lines(taskLine(m), hint, `(warning: ack failed — ${e instanceof Error ? e.message : String(e)}; this message will be re-delivered after its 60s lease.)`),
    };
  }
}

export function registerTools(server: McpServer, cfg: McpConfig, sessions: Sessions): void {
  server.registerTool(
    'create_room',
    {
      description: 'Mint a new end-to-end encrypted room URL (no network call; the room comes alive on first use). Share the URL only with participants.',
      inputSchema: { base: z.string().optional().describe(`relay origin (default ${cfg.defaultBase})`) },
    },
    wrap('create_room', async ({ base }: { base?: string }) => {
      const origin = new URL(base ?? cfg.defaultBase).origin;
      checkOrigin(cfg, origin);
      const { url: roomUrl } = mintRoom(origin, LIMITS.mcpRoomIdLength);
      return `Room created: ${roomUrl}\nThe #k= fragment is the encryption key: anyone with this URL can read and post. Join it with send_message / claim_task.`;
    }),
  );

  server.registerTool(
    'send_message',
    {
      description: 'Post a message to the room (encrypted client-side). Use this to answer in the room: the room is your reply channel.',
      inputSchema: { url, text: z.string().min(1).describe('the message text; newlines are kept'), name },
    },
    wrap('send_message', async (a: { url: string; text: string; name?: string }) => {
      const s = await sessions.session(a.url, a.name);
      const r = await post(sessions, s, a.text, a.name);
      return `sent as "${r.sender}". message_id=${r.id} seq=${r.seq}`;
    }),
  );

  for (const op of ['add', 'remove'] as const) {
    server.registerTool(
      `${op}_reaction`,
      {
        description: `${op === 'add' ? 'Add' : 'Remove'} an emoji reaction ${op === 'add' ? 'to' : 'from'} a message (by its message id).`,
        inputSchema: {
          url,
          target_id: z.string().regex(MESSAGE_ID_RE).describe('the message id (from send_message or a claimed message)'),
          emoji: z.string().min(1).max(REACTION_MAX_CHARS).describe('one emoji, e.g. 👍'),
          name,
        },
      },
      wrap(`${op}_reaction`, async (a: { url: string; target_id: string; emoji: string; name?: string }) => {
        const s = await sessions.session(a.url, a.name);
        const r = await post(sessions, s, reactEnvelope(a.target_id, a.emoji.trim(), op), a.name);
        return `reaction ${op === 'add' ? 'added' : 'removed'}: target_id=${a.target_id} emoji=${a.emoji.trim()}\nsent as "${r.sender}". message_id=${r.id} seq=${r.seq}`;
      }),
    );
  }

  server.registerTool(
    'wait_for_messages',
    {
      description: 'Long-poll for messages after after_seq (your own are excluded unless include_self). Prefer claim_task/ack_task for a reliable listening loop.',
      inputSchema: {
        url,
        after_seq: z.number().int().min(0).default(0).describe('only messages with a higher seq; pass the last_seq from the previous call'),
        timeout_seconds: timeout(20),
        include_self: z.boolean().default(false).describe('also return your own messages'),
        name,
      },
    },
    wrap('wait_for_messages', async (a: { url: string; after_seq: number; timeout_seconds: number; include_self: boolean; name?: string }) => {
      const s = await sessions.session(a.url, a.name);
      const reader = new Room(a.url, { name: sessions.labelFor(s, a.name), refuseRedirects: true, fetch: noRedirectFetch, onWarning: () => undefined });
      for (const l of sessions.excluded(s)) reader.selfNames.add(l);
      const msgs = await reader.poll({ after: a.after_seq, timeout: a.timeout_seconds, includeSelf: a.include_self });
      // Past everything the relay returned (our own filtered messages included), else the room's latest.
      const last = reader.pollCursor > a.after_seq ? reader.pollCursor : reader.lastServerSeq || a.after_seq;
      const body = msgs.length
        ? msgs.map(messageLine).join('\n')
        : `(no new messages — timed out after ${a.timeout_seconds}s, latest server seq ${reader.lastServerSeq})`;
      return `${body}\n(last_seq=${last} — pass this as next after_seq)`;
    }),
  );

  server.registerTool(
    'get_transcript',
    {
      description: 'Read the buffered messages of the room (the relay keeps up to 2000 messages for 24 h), oldest first.',
      inputSchema: {
        url,
        after_seq: z.number().int().min(0).default(0).describe('only messages with a higher seq'),
        limit: z.number().int().min(1).max(500).default(100).describe('at most this many, 1–500 (default 100)'),
      },
    },
    wrap('get_transcript', async (a: { url: string; after_seq: number; limit: number }) => {
      const reader = sessions.reader(a.url);
      const res = await requestJson<{ messages?: unknown[]; last_seq?: number; count?: number; exists?: boolean }>(
        'transcript',
        `${reader.apiBase}/transcript?after=${a.after_seq}&limit=${a.limit}`,
        {},
        reader.http({ tries: 4 }),
      );
      let msgs = (res.body.messages ?? [])
        .map(asStoredMessage)
        .map((m) => (m ? decodeMessage(m, reader.key, new Set()) : null))
        .filter((m): m is Message => !!m && m.kind !== 'adopt' && m.kind !== 'hist_req' && m.kind !== 'hist_resp');
      // Edits by anyone but the original sender are dropped here as everywhere else.
      const edits = new EditTracker();
      msgs = msgs.map((m) => edits.track(m)).filter((m): m is Message => m !== null);
      if (res.body.exists === false) return '(empty — the room does not exist right now; rooms vanish ~30 s after the last participant leaves)';
      if (!msgs.length) return `(empty — no messages after seq ${a.after_seq}; last_seq=${res.body.last_seq ?? 0})`;
      return `${msgs.map(messageLine).join('\n')}\n(last_seq=${res.body.last_seq ?? 0}; ${msgs.length} of ${res.body.count ?? msgs.length} returned)`;
    }),
  );

  server.registerTool(
    'room_status',
    {
      description: 'Check whether the room exists, who is connected, and its latest seq.',
      inputSchema: { url },
    },
    wrap('room_status', async (a: { url: string }) => {
      const st = await sessions.reader(a.url).status();
      if (!st.exists) return `room ${st.roomId} does not currently exist (possibly evicted after 30s with nobody connected; it is recreated on the next message)`;
      return lines(
        `room ${st.roomId}: participants=${st.participants ?? 0} recent_count=${st.recent_count ?? 0} last_seq=${st.last_seq ?? 0}`,
        `age=${st.age_seconds ?? 0}s idle=${st.idle_seconds ?? 0}s signed_only=${st.signed_only === true}`,
      );
    }),
  );

  server.registerTool(
    'next_task',
    {
      description: 'Block until the next message for you, return it and ack it at once (simple loop: call again after replying). A host crash after it returns loses that message; use claim_task + ack_task for at-least-once.',
      inputSchema: { url, timeout_seconds: timeout(60) },
    },
    wrap('next_task', async (a: { url: string; timeout_seconds: number }) => (await claimText(sessions, await sessions.session(a.url), a.timeout_seconds, true)).text),
  );

  server.registerTool(
    'claim_task',
    {
      description: 'Block until the next message for you and lease it (60 s) without acking. Process it, reply with send_message if it is for you, then ack_task. Un-acked claims are re-delivered.',
      inputSchema: { url, timeout_seconds: timeout(60) },
    },
    wrap('claim_task', async (a: { url: string; timeout_seconds: number }) => (await claimText(sessions, await sessions.session(a.url), a.timeout_seconds, false)).text),
  );

  server.registerTool(
    'ack_task',
    {
      description: 'Acknowledge a message from claim_task so the cursor moves past it. Then call claim_task again.',
      inputSchema: {
        url,
        claim_id: z.string().min(1).describe('claim_id from claim_task'),
        seq: z.number().int().min(0).describe('seq from claim_task'),
      },
    },
    wrap('ack_task', async (a: { url: string; claim_id: string; seq: number }) => {
      const s = await sessions.session(a.url);
      try {
        const r = await s.cursorRoom.ack(a.claim_id, a.seq);
        return r.advanced
          ? `ack ok — cursor advanced to seq=${r.cursor}. Call claim_task again to keep listening.`
          : `ack ok — no change (cursor already at ${r.cursor}; this seq was acked before). Call claim_task again to keep listening.`;
      } catch (e) {
        if (e instanceof HttpError) throw new Error(`ack failed: ${e.status} ${JSON.stringify(e.body)}`);
        throw e;
      }
    }),
  );
}
