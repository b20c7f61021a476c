/**
 * Frames on the SSE and WebSocket streams (reference-relay.md §2.2, §2.3, §4). Server frames are
 * one discriminated union on `type`; clients parse with `ServerFrame` and switch exhaustively.
 */
import { z } from 'zod';
import { StoredMessage } from './room.js';
import { seq } from './common.js';

/**
 * `client` is what the participant said it is in its hello (`web` for the web app); absent when it
 * said nothing or when the same name is also present as another kind of client.
 */
export const Participant = z
  .object({
    name: z.string(),
    box_pub: z.string().optional(),
    last_seen_ms_ago: z.number(),
    client: z.string().optional(),
  })
  .meta({ id: 'Participant' });
export type Participant = z.infer<typeof Participant>;

export const MessageFrame = StoredMessage.extend({ type: z.literal('message') });
export const ReadyFrame = z.object({
  type: z.literal('ready'),
  roomId: z.string(),
  size: z.number().int(),
  participants: z.array(Participant),
  /** Sent on every transport by this relay (the reference omitted it on WebSocket). */
  last_seq: seq.optional(),
  /** Present when the client's `after` is older than the oldest retained message. */
  gap: z.boolean().optional(),
  oldest_seq: seq.optional(),
  signed_only: z.boolean().optional(),
});
export const PresenceFrame = z.object({
  type: z.literal('presence'),
  size: z.number().int(),
  names: z.array(z.string()),
  participants: z.array(Participant),
});
export const LockedFrame = z.object({ type: z.literal('locked') });
export const RenameFrame = z.object({ type: z.literal('rename'), from: z.string(), to: z.string() });
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: z.number().int().optional(),
  error: z.string(),
  /** On a 409 to a post with `expected_last_seq`: the room's last_seq now. */
  last_seq: seq.optional(),
});

export const ServerFrame = z.discriminatedUnion('type', [
  MessageFrame,
  ReadyFrame,
  PresenceFrame,
  LockedFrame,
  RenameFrame,
  ErrorFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type MessageFrame = z.infer<typeof MessageFrame>;
export type ReadyFrame = z.infer<typeof ReadyFrame>;
export type PresenceFrame = z.infer<typeof PresenceFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type LockedFrame = z.infer<typeof LockedFrame>;
export type RenameFrame = z.infer<typeof RenameFrame>;

/** Parse one frame's text; null for anything that is not a known, well-formed frame. */
export function parseServerFrame(text: string): ServerFrame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = ServerFrame.safeParse(raw);
  return r.success ? r.data : null;
}

/** Client → server WebSocket frames other than posts (a post is any other object). */
export const WS_CLIENT_TYPE = { hello: 'hello', listening: 'listening' } as const;
export interface HelloFrame {
  type: 'hello';
  name: string;
  box_pub?: string | null;
  /** Additive: the kind of client saying hello (`web` for the web app, where humans are). */
  client?: string;
}

/** A hello's `client`: a short lowercase word; anything else is ignored. */
export function parseClientKind(v: unknown): string | null {
  return typeof v === 'string' && /^[a-z][a-z0-9-]{0,15}$/.test(v) ? v : null;
}

/** The web app's client kind: the one place humans are known to be. */
export const WEB_CLIENT = 'web';
export interface ListeningFrame {
  type: 'listening';
}

export function assertNever(x: never): never {
  throw new Error(`unexpected variant: ${JSON.stringify(x)}`);
}
