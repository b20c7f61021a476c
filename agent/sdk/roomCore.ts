/**
 * What the room's helpers (cursor, presence, stream, adoption) use of a Room. Room implements
 * it; the helpers import this instead of the class, so no module imports its own importer.
 */
import type { BoxKeyPair, Identity, RoomStatus, StoredMessage } from '../../protocol/index.js';
import type { HttpOptions } from './http.js';
import type { Message } from './message.js';
import type { z } from 'zod';
import type { ReplyBudget } from './replyBudget.js';

export interface AdoptionEvent {
  handle: string;
  identity: Identity;
  offeredBy: string;
  adoptId: string;
  savedTo?: string;
}

/** `GET /status` as the protocol describes it; fields a newer relay adds are kept. */
export type RoomStatusAnswer = z.infer<typeof RoomStatus> & Record<string, unknown>;

export interface RoomCore {
  readonly origin: string;
  readonly roomId: string;
  readonly apiBase: string;
  readonly boxKeyPair: BoxKeyPair;
  readonly boxPub: string;
  name: string;
  identity: Identity | undefined;
  locked: boolean;
  acceptAdoptions: boolean;
  identityFile: string | undefined;
  readonly saveIdentity: ((id: Identity) => void) | undefined;
  readonly selfNames: Set<string>;
  readonly appliedAdoptions: Set<string>;
  readonly onAdopt: ((e: AdoptionEvent) => void) | undefined;
  readonly warn: (text: string) => void;
  readonly fetchImpl: typeof fetch | undefined;
  readonly refuseRedirects: boolean;
  maxIdleSec: number;
  /** The loop guard: stream.ts feeds it who is present. */
  readonly budget: ReplyBudget;
  readonly presence: {
    acquire(): () => void;
    beat(): Promise<boolean>;
    renamed(): void;
    onRename(fn: () => void): () => void;
  };
  http(extra?: HttpOptions): HttpOptions;
  status(): Promise<RoomStatusAnswer>;
  requireIdentity(what: string): Identity;
  /** `after`: the source delivered every message from that seq up to this one (none skipped). */
  receive(
    raw: StoredMessage,
    opts?: { adopt?: boolean; live?: boolean; after?: number },
  ): Promise<Message | null>;
  wanted(msg: Message, opts: { includeSelf?: boolean; includeControl?: boolean }): boolean;
}
