/**
 * The ten tools of the reference MCP server (reference-relay.md §10), with its semantics:
 * hidden auth identity for the cursor, room label, self-echo exclusion, at-least-once
 * claim/ack. Every tool answers the reference's text, plus `structuredContent` matching its
 * outputSchema; failures are `isError` with "<tool> failed: <message>".
 *
 * Beyond the reference: a room's first claim treats what was said before the agent joined as
 * history (returned as context, not as tasks) unless include_backlog; send_message goes through
 * the reply budget (loop guard) and takes reply_to and expected_last_seq.
 */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { LIMITS, MESSAGE_ID_RE, REACTION_MAX_CHARS, mintRoom, reactEnvelope } from '../../protocol/index.js';
import { HttpError, Room, RoomMovedOnError, type Message } from '../sdk/index.js';
import { decodeMessage, asStoredMessage } from '../sdk/message.js';
import { EditTracker } from '../sdk/edits.js';
import { requestJson } from '../sdk/http.js';
import { checkOrigin, noRedirectFetch, type McpConfig } from './config.js';
import { addressHint, historyBlock, lines, messageLine, seconds, taskLine } from './format.js';
import type { RoomSession, Sessions } from './sessions.js';

interface Answer {
  text: string;
  data?: Record<string, unknown>;
}

function wrap<A>(
  tool: string,
  fn: (args: A) => Promise<Answer | string>,
): (args: A) => Promise<CallToolResult> {
  return async (args) => {
    try {
      const a = await fn(args);
      const out = typeof a === 'string' ? { text: a } : a;
      const res: CallToolResult = { content: [{ type: 'text', text: out.text }] };
      if (out.data) res.structuredContent = out.data;
      return res;
    } catch (e) {
      return {
        isError: true,
        content: [{ type: 'text', text: `${tool} failed: ${e instanceof Error ? e.message : String(e)}` }],
      };
    }
  };
}

const url = z
  .string()
  .min(1)
  .describe('the room URL, https://<host>/room/<id>#k=<key> (the #k= part is the key; keep it secret)');
const name = z
  .string()
  .min(1)
  .max(LIMITS.senderMaxChars)
  .optional()
  .describe(
    'your label in this room; pick a unique one (default: BOT2BOT_MCP_ROOM_NAME or your auth handle)',
  );
const timeout = (def: number) =>
  z.number().int().min(1).max(90).default(def).describe(`seconds to wait, 1–90 (default ${def})`);
const includeBacklog = z
  .boolean()
  .optional()
  .describe(
    'true: treat messages posted before you joined this room as tasks too. Default: they are history, returned once as context on your first claim',
  );

/** The hosts' hints (MCP tool annotations): what a call may change, and whether it reaches out. */
const READ: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};
const POST: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};

const MessageOut = z.object({
  seq: z.number().int(),
  id: z.string(),
  sender: z.string(),
  sender_verified: z.boolean(),
  text: z.string(),
  ts: z.number().describe('relay receive time, ms since the epoch'),
  reply_to: z.string().optional(),
  is_self: z.boolean().optional(),
});

function messageOut(m: Message): z.infer<typeof MessageOut> {
  const o: z.infer<typeof MessageOut> = {
    seq: m.seq,
    id: m.id,
    sender: m.sender,
    sender_verified: m.senderVerified,
    text: m.text,
    ts: m.ts,
  };
  if (m.replyTo) o.reply_to = m.replyTo;
  if (m.isSelf) o.is_self = true;
  return o;
}

const SentOut = { sender: z.string(), message_id: z.string(), seq: z.number().int() };
const MessagesOut = { messages: z.array(MessageOut), last_seq: z.number().int() };
const ClaimOut = {
  status: z.enum(['message', 'empty']),
  message: MessageOut.optional(),
  claim_id: z.string().optional().describe('pass to ack_task with the message seq (claim_task only)'),
  acked: z.boolean().optional().describe('next_task: whether the ack went through'),
  cursor: z.number().int(),
  addressed_to_others: z
    .boolean()
    .optional()
    .describe(
      'the message @mentions other participants but not you: stay silent unless it clearly needs you',
    ),
  history: z
    .array(MessageOut)
    .optional()
    .describe(
      'context only, on the first claim in a room: the recent messages from before you joined. Do not answer them as new tasks',
    ),
  skipped_backlog: z
    .number()
    .int()
    .optional()
    .describe('messages from before you joined that were acked as history instead of being returned'),
};

interface SendArgs {
  replyTo?: string;
  expectedLastSeq?: number;
  notAReply?: boolean;
}

export async function post(
  sessions: Sessions,
  s: RoomSession,
  body: string,
  nameArg?: string,
  extra: SendArgs = {},
): Promise<{ sender: string; id: string; seq: number }> {
  const sender = sessions.labelFor(s, nameArg);
  s.labels.add(sender);
  try {
    const r = await s.room.send(body, { sender, ...extra });
    return { sender: s.room.identity ? `@${s.room.identity.handle}` : sender, ...r };
  } catch (e) {
    // A signed-only room refuses anonymous posts: enter it signed as the auth identity.
    if (e instanceof HttpError && e.status === 403 && !s.room.identity) {
      const auth = s.cursorRoom.identity!;
      s.labels.add(`@${auth.handle}`);
      const r = await s.room.send(body, { sender, identity: auth, ...extra });
      return { sender: `@${auth.handle}`, ...r };
    }
    throw e;
  }
}

const HISTORY_CONTEXT = 20;

/**
 * The first claim of a session settles where work starts: the mark saved for this handle and
 * room, else (a first join) the room's last_seq when the session joined, or 0 with
 * include_backlog. It returns the history to show as context.
 */
async function settleStart(
  sessions: Sessions,
  s: RoomSession,
  includeBacklog: boolean | undefined,
): Promise<Message[] | undefined> {
  if (s.skipUpTo !== null && includeBacklog !== true) return undefined;
  const key = sessions.joinKey(s);
  const saved = sessions.joined.get(key);
  const mark = includeBacklog === true ? 0 : (saved ?? s.joinSeq);
  if (mark !== saved) sessions.joined.set(key, mark);
  const first = s.skipUpTo === null;
  s.skipUpTo = mark;
  if (!first || mark === 0) return undefined;
  const upTo = Math.min(mark, s.joinSeq);
  const recent = await s.room.history({ after: Math.max(0, upTo - HISTORY_CONTEXT), limit: HISTORY_CONTEXT });
  return recent.filter((m) => m.seq <= upTo);
}

async function claimTask(
  sessions: Sessions,
  s: RoomSession,
  timeoutS: number,
  ack: boolean,
  includeBacklog: boolean | undefined,
): Promise<Answer> {
  const started = Date.now();
  // Finish a little early: MCP clients commonly give up on a request after 60 s.
  const waitS = timeoutS >= 10 ? timeoutS - 2 : timeoutS;
  const deadline = started + waitS * 1000;
  const history = await settleStart(sessions, s, includeBacklog);
  const context = history?.length
    ? { block: historyBlock(history.map(messageLine)), data: history.map(messageOut) }
    : null;
  let skipped = 0;
  const skippedNote = () =>
    skipped
      ? `(${skipped} older message${skipped === 1 ? '' : 's'} from before you joined were acked as history, not tasks. To work through a room's backlog, pass include_backlog=true on your first claim there.)`
      : null;
  for (;;) {
    const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const c = await s.cursorRoom.claim({ timeout: left, excludeSenders: sessions.excluded(s) });
    if (!c.empty && c.message.seq <= (s.skipUpTo ?? 0)) {
      await s.cursorRoom.ack(c.claimId, c.message.seq);
      skipped++;
      if (Date.now() < deadline) continue;
    }
    const data: Record<string, unknown> = { status: 'empty', cursor: c.cursor };
    if (context) data.history = context.data;
    if (skipped) data.skipped_backlog = skipped;
    if (c.empty || c.message.seq <= (s.skipUpTo ?? 0)) {
      const tail =
        c.empty && !c.exists
          ? ' The room does not exist right now (rooms vanish ~30 s after the last participant leaves).'
          : '';
      return {
        text: lines(
          `(no new messages — blocked ${seconds(Date.now() - started)}, cursor=${c.cursor}. Call ${ack ? 'next_task' : 'claim_task'} again to keep listening.)${tail}`,
          skippedNote(),
          context?.block,
        ),
        data,
      };
    }
    const m: Message = c.message;
    s.room.budget.observe(m);
    const hint = addressHint(m, sessions.excluded(s));
    Object.assign(data, { status: 'message', message: messageOut(m) });
    if (hint) data.addressed_to_others = true;
    if (!ack) {
      data.claim_id = c.claimId;
      return {
        text: lines(
          taskLine(m),
          hint,
          `(claim_id=${c.claimId} seq=${m.seq} — reply with send_message if it is for you, then call ack_task with this claim_id and seq, then claim_task again. The claim expires in 60s and re-delivers if you never ack.)`,
          skippedNote(),
          context?.block,
        ),
        data,
      };
    }
    try {
      const a = await s.cursorRoom.ack(c.claimId, m.seq);
      Object.assign(data, { acked: true, cursor: a.cursor });
      return {
        text: lines(
          taskLine(m),
          hint,
          `(acked — cursor=${a.cursor}. Reply with send_message if it is for you, then call next_task again to keep listening.)`,
          skippedNote(),
          context?.block,
        ),
        data,
      };
    } catch (e) {
      data.acked = false;
      return {
        text: lines(
          taskLine(m),
          hint,
          `(warning: ack failed — ${e instanceof Error ? e.message : String(e)}; this message will be re-delivered after its 60s lease.)`,
          skippedNote(),
          context?.block,
        ),
        data,
      };
    }
  }
}

export function registerTools(server: McpServer, cfg: McpConfig, sessions: Sessions): void {
  server.registerTool(
    'create_room',
    {
      title: 'Create a room',
      description:
        'Mint a new end-to-end encrypted room URL (no network call; the room comes alive on first use). Share the URL only with participants.',
      inputSchema: { base: z.string().optional().describe(`relay origin (default ${cfg.defaultBase})`) },
      outputSchema: { url: z.string().describe('the room URL; its #k= fragment is the key') },
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    wrap('create_room', async ({ base }: { base?: string }) => {
      const origin = new URL(base ?? cfg.defaultBase).origin;
      checkOrigin(cfg, origin);
      const { url: roomUrl } = mintRoom(origin, LIMITS.mcpRoomIdLength);
      return {
        text: `Room created: ${roomUrl}\nThe #k= fragment is the encryption key: anyone with this URL can read and post. Join it with send_message / claim_task.`,
        data: { url: roomUrl },
      };
    }),
  );

  server.registerTool(
    'send_message',
    {
      title: 'Send a message to the room',
      description:
        'Post a message to the room (encrypted client-side). Use this to answer in the room: the room is your reply channel. Refused by the loop guard after too many replies in a row with no human in between.',
      inputSchema: {
        url,
        text: z.string().min(1).describe('the message text; newlines are kept'),
        name,
        reply_to: z
          .string()
          .regex(MESSAGE_ID_RE)
          .optional()
          .describe('the id of the message this answers (message.id from claim_task)'),
        expected_last_seq: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            "post only if the room's last seq is still this (0 = empty room); if someone spoke meanwhile nothing is sent and you get the new last_seq",
          ),
      },
      outputSchema: SentOut,
      annotations: POST,
    },
    wrap(
      'send_message',
      async (a: {
        url: string;
        text: string;
        name?: string;
        reply_to?: string;
        expected_last_seq?: number;
      }) => {
        const s = await sessions.session(a.url, a.name);
        try {
          const r = await post(sessions, s, a.text, a.name, {
            replyTo: a.reply_to,
            expectedLastSeq: a.expected_last_seq,
          });
          return {
            text: `sent as "${r.sender}". message_id=${r.id} seq=${r.seq}`,
            data: { sender: r.sender, message_id: r.id, seq: r.seq },
          };
        } catch (e) {
          if (e instanceof RoomMovedOnError) {
            throw new Error(
              `not sent: the room has moved on (last_seq=${e.lastSeq}, you expected ${a.expected_last_seq}). Read what is new with get_transcript after_seq=${a.expected_last_seq}, then decide again.`,
              { cause: e },
            );
          }
          throw e;
        }
      },
    ),
  );

  for (const op of ['add', 'remove'] as const) {
    server.registerTool(
      `${op}_reaction`,
      {
        title: op === 'add' ? 'Add a reaction' : 'Remove a reaction',
        description: `${op === 'add' ? 'Add' : 'Remove'} an emoji reaction ${op === 'add' ? 'to' : 'from'} a message (by its message id).`,
        inputSchema: {
          url,
          target_id: z
            .string()
            .regex(MESSAGE_ID_RE)
            .describe('the message id (from send_message or a claimed message)'),
          emoji: z.string().min(1).max(REACTION_MAX_CHARS).describe('one emoji, e.g. 👍'),
          name,
        },
        outputSchema: SentOut,
        annotations: { ...POST, destructiveHint: op === 'remove', idempotentHint: true },
      },
      wrap(`${op}_reaction`, async (a: { url: string; target_id: string; emoji: string; name?: string }) => {
        const s = await sessions.session(a.url, a.name);
        const r = await post(sessions, s, reactEnvelope(a.target_id, a.emoji.trim(), op), a.name, {
          notAReply: true,
        });
        return {
          text: `reaction ${op === 'add' ? 'added' : 'removed'}: target_id=${a.target_id} emoji=${a.emoji.trim()}\nsent as "${r.sender}". message_id=${r.id} seq=${r.seq}`,
          data: { sender: r.sender, message_id: r.id, seq: r.seq },
        };
      }),
    );
  }

  server.registerTool(
    'wait_for_messages',
    {
      title: 'Wait for new messages',
      description:
        'Long-poll for messages after after_seq (your own are excluded unless include_self). Prefer claim_task/ack_task for a reliable listening loop.',
      inputSchema: {
        url,
        after_seq: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('only messages with a higher seq; pass the last_seq from the previous call'),
        timeout_seconds: timeout(20),
        include_self: z.boolean().default(false).describe('also return your own messages'),
        name,
      },
      outputSchema: MessagesOut,
      annotations: { ...READ, idempotentHint: false },
    },
    wrap(
      'wait_for_messages',
      async (a: {
        url: string;
        after_seq: number;
        timeout_seconds: number;
        include_self: boolean;
        name?: string;
      }) => {
        const s = await sessions.session(a.url, a.name);
        const reader = new Room(a.url, {
          name: sessions.labelFor(s, a.name),
          refuseRedirects: true,
          fetch: noRedirectFetch,
          onWarning: () => undefined,
          replyBudget: false,
        });
        for (const l of sessions.excluded(s)) reader.selfNames.add(l);
        const msgs = await reader.poll({
          after: a.after_seq,
          timeout: a.timeout_seconds,
          includeSelf: a.include_self,
        });
        for (const m of msgs) s.room.budget.observe(m);
        // Past everything the relay returned (our own filtered messages included), else the room's latest.
        const last =
          reader.pollCursor > a.after_seq ? reader.pollCursor : reader.lastServerSeq || a.after_seq;
        const body = msgs.length
          ? msgs.map(messageLine).join('\n')
          : `(no new messages — timed out after ${a.timeout_seconds}s, latest server seq ${reader.lastServerSeq})`;
        return {
          text: `${body}\n(last_seq=${last} — pass this as next after_seq)`,
          data: { messages: msgs.map(messageOut), last_seq: last },
        };
      },
    ),
  );

  server.registerTool(
    'get_transcript',
    {
      title: 'Read the room transcript',
      description:
        'Read the buffered messages of the room (the relay keeps up to 2000 messages for 24 h), oldest first. Use it for context; it does not move your claim cursor.',
      inputSchema: {
        url,
        after_seq: z.number().int().min(0).default(0).describe('only messages with a higher seq'),
        limit: z
          .number()
          .int()
          .min(1)
          .max(500)
          .default(100)
          .describe('at most this many, 1–500 (default 100)'),
      },
      outputSchema: { ...MessagesOut, exists: z.boolean(), count: z.number().int().optional() },
      annotations: READ,
    },
    wrap('get_transcript', async (a: { url: string; after_seq: number; limit: number }) => {
      const reader = sessions.reader(a.url);
      const res = await requestJson<{
        messages?: unknown[];
        last_seq?: number;
        count?: number;
        exists?: boolean;
      }>(
        'transcript',
        `${reader.apiBase}/transcript?after=${a.after_seq}&limit=${a.limit}`,
        {},
        reader.http({ tries: 4 }),
      );
      let msgs = (res.body.messages ?? [])
        .map(asStoredMessage)
        .map((m) => (m ? decodeMessage(m, reader.key, new Set()) : null))
        .filter(
          (m): m is Message => !!m && m.kind !== 'adopt' && m.kind !== 'hist_req' && m.kind !== 'hist_resp',
        );
      // Edits by anyone but the original sender are dropped here as everywhere else.
      const edits = new EditTracker();
      msgs = msgs.map((m) => edits.track(m)).filter((m): m is Message => m !== null);
      // As in the web app, a message deleted for everyone is not shown.
      msgs = msgs.filter((m) => !edits.isDeleted(m.id));
      const last = res.body.last_seq ?? 0;
      const data = {
        messages: msgs.map(messageOut),
        last_seq: last,
        exists: res.body.exists !== false,
        count: res.body.count ?? msgs.length,
      };
      if (res.body.exists === false)
        return {
          text: '(empty — the room does not exist right now; rooms vanish ~30 s after the last participant leaves)',
          data,
        };
      if (!msgs.length)
        return { text: `(empty — no messages after seq ${a.after_seq}; last_seq=${last})`, data };
      return {
        text: `${msgs.map(messageLine).join('\n')}\n(last_seq=${last}; ${msgs.length} of ${res.body.count ?? msgs.length} returned)`,
        data,
      };
    }),
  );

  server.registerTool(
    'room_status',
    {
      title: 'Room status',
      description:
        'Check whether the room exists, who is connected, and its latest seq (pass it as expected_last_seq to send only if nobody spoke meanwhile).',
      inputSchema: { url },
      outputSchema: {
        exists: z.boolean(),
        room_id: z.string(),
        participants: z.number().int().optional(),
        recent_count: z.number().int().optional(),
        last_seq: z.number().int().optional(),
        age_seconds: z.number().optional(),
        idle_seconds: z.number().optional(),
        signed_only: z.boolean().optional(),
      },
      annotations: READ,
    },
    wrap('room_status', async (a: { url: string }) => {
      const st = await sessions.reader(a.url).status();
      if (!st.exists) {
        return {
          text: `room ${st.roomId} does not currently exist (possibly evicted after 30s with nobody connected; it is recreated on the next message)`,
          data: { exists: false, room_id: st.roomId },
        };
      }
      return {
        text: lines(
          `room ${st.roomId}: participants=${st.participants ?? 0} recent_count=${st.recent_count ?? 0} last_seq=${st.last_seq ?? 0}`,
          `age=${st.age_seconds ?? 0}s idle=${st.idle_seconds ?? 0}s signed_only=${st.signed_only === true}`,
        ),
        data: {
          exists: true,
          room_id: st.roomId,
          participants: st.participants ?? 0,
          recent_count: st.recent_count ?? 0,
          last_seq: st.last_seq ?? 0,
          age_seconds: st.age_seconds ?? 0,
          idle_seconds: st.idle_seconds ?? 0,
          signed_only: st.signed_only === true,
        },
      };
    }),
  );

  server.registerTool(
    'next_task',
    {
      title: 'Take and acknowledge the next message',
      description:
        'Block until the next message for you, return it and ack it at once (simple loop: call again after replying). A host crash after it returns loses that message; use claim_task + ack_task for at-least-once. Your first call in a room also returns the recent history as context.',
      inputSchema: { url, timeout_seconds: timeout(60), include_backlog: includeBacklog },
      outputSchema: ClaimOut,
      annotations: { ...POST, idempotentHint: false },
    },
    wrap('next_task', async (a: { url: string; timeout_seconds: number; include_backlog?: boolean }) =>
      claimTask(sessions, await sessions.session(a.url), a.timeout_seconds, true, a.include_backlog),
    ),
  );

  server.registerTool(
    'claim_task',
    {
      title: 'Claim the next message',
      description:
        'Block until the next message for you and lease it (60 s) without acking. Process it, reply with send_message if it is for you, then ack_task. Un-acked claims are re-delivered. Your first call in a room also returns the recent history (from before you joined) as context; only later messages are tasks unless include_backlog.',
      inputSchema: { url, timeout_seconds: timeout(60), include_backlog: includeBacklog },
      outputSchema: ClaimOut,
      annotations: { ...POST, idempotentHint: false },
    },
    wrap('claim_task', async (a: { url: string; timeout_seconds: number; include_backlog?: boolean }) =>
      claimTask(sessions, await sessions.session(a.url), a.timeout_seconds, false, a.include_backlog),
    ),
  );

  server.registerTool(
    'ack_task',
    {
      title: 'Acknowledge a claimed message',
      description:
        'Acknowledge a message from claim_task so the cursor moves past it. Then call claim_task again.',
      inputSchema: {
        url,
        claim_id: z.string().min(1).describe('claim_id from claim_task'),
        seq: z.number().int().min(0).describe('seq from claim_task'),
      },
      outputSchema: { advanced: z.boolean(), cursor: z.number().int() },
      annotations: { ...POST, idempotentHint: true },
    },
    wrap('ack_task', async (a: { url: string; claim_id: string; seq: number }) => {
      const s = await sessions.session(a.url);
      try {
        const r = await s.cursorRoom.ack(a.claim_id, a.seq);
        return {
          text: r.advanced
            ? `ack ok — cursor advanced to seq=${r.cursor}. Call claim_task again to keep listening.`
            : `ack ok — no change (cursor already at ${r.cursor}; this seq was acked before). Call claim_task again to keep listening.`,
          data: { advanced: r.advanced, cursor: r.cursor },
        };
      } catch (e) {
        if (e instanceof HttpError)
          throw new Error(`ack failed: ${e.status} ${JSON.stringify(e.body)}`, { cause: e });
        throw e;
      }
    }),
  );
}
