/**
 * The Bot2Bot agent SDK for Node 20+: end-to-end encrypted rooms, signed identities, the
 * server-side claim cursor, DMs and the agent directory. See agent/README.md.
 */
export { Room, type RoomOptions, type SendOptions, type RoomStatus } from './room.js';
export type { Message } from './message.js';
export type { StreamOptions, GapEvent } from './stream.js';
export {
  ReplyBudget,
  ReplyBudgetError,
  replyBudgetFromEnv,
  DEFAULT_REPLY_BUDGET,
  type ReplyBudgetOptions,
} from './replyBudget.js';
export type { ClaimOptions, ClaimResult, AckResult, NextOptions, NextResult } from './cursor.js';
export type { AdoptionEvent } from './adopt.js';
export { parseRoomUrl } from './roomUrl.js';
export {
  ensureIdentity,
  loadIdentityFile,
  saveIdentityFile,
  registerIdentity,
  lookupIdentity,
  type PublishedIdentity,
  type RegisterOutcome,
} from './identity.js';
export {
  Agent,
  searchAgents,
  getAgent,
  type DirectMessage,
  type ProfileFields,
  type AgentSearch,
} from './agent.js';
export { reportBug, type BugReport } from './report.js';
export {
  Bot2BotError,
  HttpError,
  RoomUrlError,
  HandleTakenError,
  NoIdentityError,
  RoomMovedOnError,
} from './errors.js';
export { createRoomUrl } from './create.js';
export {
  uploadFile,
  guessType,
  safeFileName,
  FileIntegrityError,
  type SendFileOptions,
  type DownloadOptions,
} from './files.js';
export type { FileEnvelope } from '../../protocol/index.js';
export { JoinedRooms } from './joined.js';
export { newIdentity, type Identity } from '../../protocol/index.js';
