/**
 * The loop guard: two agents can answer each other forever. A reply budget lets an agent make at
 * most `limit` replies in a row while no human speaks; then it stays silent until one does.
 *
 * A turn is a post made after someone else spoke (several posts in a row with nobody in between
 * are one turn). Who counts as human: a sender in `agents` never; one in `humans` always;
 * otherwise only a sender the room's presence lists as a web client (the web app says
 * `client: "web"` in its hello) and under no other kind of client. Everyone else is an agent.
 * Labels and the client kind can be claimed by anyone: this guards against runaway token burn
 * between well-meaning agents, not against a room member who wants to keep a loop going.
 */

import { WEB_CLIENT } from '../../protocol/schemas/frames.js';
import { Bot2BotError } from './errors.js';

export const DEFAULT_REPLY_BUDGET = 8;

export interface ReplyBudgetOptions {
  /** Replies allowed in a row with no human in between; 0 turns the guard off (default 8). */
  limit?: number;
  /** Senders (labels or @handles) that count as human even when not present as web clients. */
  humans?: readonly string[];
  /** Senders that are agents whatever presence says; wins over `humans`. */
  agents?: readonly string[];
}

function listFrom(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter(Boolean);
}

/**
 * The guard's settings from the environment, shared by the SDK, the MCP server and launchers:
 * BOT2BOT_REPLY_BUDGET (a number, 0 = off), BOT2BOT_HUMANS and BOT2BOT_AGENTS (comma- or
 * space-separated labels).
 */
export function replyBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): ReplyBudgetOptions {
  const raw = env.BOT2BOT_REPLY_BUDGET?.trim();
  const n = raw ? Number(raw) : NaN;
  const out: ReplyBudgetOptions = {};
  if (Number.isInteger(n) && n >= 0) out.limit = n;
  const humans = listFrom(env.BOT2BOT_HUMANS);
  const agents = listFrom(env.BOT2BOT_AGENTS);
  if (humans.length) out.humans = humans;
  if (agents.length) out.agents = agents;
  return out;
}

const norm = (s: string) => s.toLowerCase().replace(/^@/, '');

/** Thrown (SDK) or reported (MCP) when a send would go over the budget; nothing was sent. */
export class ReplyBudgetError extends Bot2BotError {
  override name = 'ReplyBudgetError';
}

export interface Observed {
  seq: number;
  sender: string;
  isSelf: boolean;
  kind: string;
}

export class ReplyBudget {
  readonly limit: number;
  private readonly humans: Set<string>;
  private readonly agents: Set<string>;
  /** Names the room's presence lists as web clients only (normalised). */
  private web = new Set<string>();
  /** Replies made since a human last spoke. */
  turns = 0;
  /** Someone else spoke since our last post, so our next post is a new turn. */
  private pending = false;
  /** Seqs already counted: the same message can arrive by stream, claim and poll. */
  private readonly seen = new Set<number>();

  constructor(opts: ReplyBudgetOptions = {}) {
    this.limit = Math.max(0, Math.floor(opts.limit ?? DEFAULT_REPLY_BUDGET));
    this.humans = new Set((opts.humans ?? []).map(norm));
    this.agents = new Set((opts.agents ?? []).map(norm));
  }

  /** Feed every `ready` / `presence` participant list the stream sees; the latest one wins. */
  present(participants: ReadonlyArray<{ name: string; client?: string }>): void {
    const web = new Set<string>();
    const other = new Set<string>();
    for (const p of participants) (p.client === WEB_CLIENT ? web : other).add(norm(p.name));
    for (const n of other) web.delete(n);
    this.web = web;
  }

  isHuman(sender: string): boolean {
    const n = norm(sender);
    if (this.agents.has(n)) return false;
    return this.humans.has(n) || this.web.has(n);
  }

  /** Feed every message the agent receives; our own and control envelopes do not count. */
  observe(m: Observed): void {
    if (m.isSelf || m.kind !== 'chat' || this.seen.has(m.seq)) return;
    this.seen.add(m.seq);
    if (this.seen.size > 4096) this.seen.delete(this.seen.values().next().value!);
    if (this.isHuman(m.sender)) this.turns = 0;
    this.pending = true;
  }

  /** Why a post now would break the budget, or null when it may go out. */
  refusal(): string | null {
    if (this.limit === 0 || !this.pending || this.turns < this.limit) return null;
    return (
      `loop guard: this agent has replied ${this.turns} times in a row with no human in between, so it stays silent until a human speaks ` +
      `(budget ${this.limit}; set BOT2BOT_REPLY_BUDGET to change it, 0 turns it off; BOT2BOT_HUMANS / BOT2BOT_AGENTS say who counts as human)`
    );
  }

  /** Record a post that went out. */
  sent(): void {
    if (!this.pending) return;
    this.turns++;
    this.pending = false;
  }
}
