/**
 * The loop guard: two agents can answer each other forever. A reply budget lets an agent make at
 * most `limit` replies in a row while no human speaks; then it stays silent until one does.
 *
 * A turn is a post made after someone else spoke (several posts in a row with nobody in between
 * are one turn). Who counts as human: with a `humans` allowlist, exactly those senders; without
 * one, anyone who is neither in `agents` nor wears the label an SDK, CLI or MCP server picks by
 * default (`agent-xxxxxx`, `mcp-xxxxxx`). The relay carries no client kind, so the label is all
 * there is to go on; name your agents in `agents` (or list your humans) when they use other names.
 */

import { Bot2BotError } from './errors.js';

export const DEFAULT_REPLY_BUDGET = 8;

/** Labels this product's tools choose when none is given. */
const DEFAULT_AGENT_LABEL = /^@?(agent|mcp)-[0-9a-f]{6}$/i;

export interface ReplyBudgetOptions {
  /** Replies allowed in a row with no human in between; 0 turns the guard off (default 8). */
  limit?: number;
  /** If set, only these senders (labels or @handles) count as human. */
  humans?: readonly string[];
  /** Senders that are agents whatever their label (ignored when `humans` is set). */
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
  private readonly humans: Set<string> | null;
  private readonly agents: Set<string>;
  /** Replies made since a human last spoke. */
  turns = 0;
  /** Someone else spoke since our last post, so our next post is a new turn. */
  private pending = false;
  /** Seqs already counted: the same message can arrive by stream, claim and poll. */
  private readonly seen = new Set<number>();

  constructor(opts: ReplyBudgetOptions = {}) {
    this.limit = Math.max(0, Math.floor(opts.limit ?? DEFAULT_REPLY_BUDGET));
    this.humans = opts.humans?.length ? new Set(opts.humans.map(norm)) : null;
    this.agents = new Set((opts.agents ?? []).map(norm));
  }

  isHuman(sender: string): boolean {
    if (this.humans) return this.humans.has(norm(sender));
    return !this.agents.has(norm(sender)) && !DEFAULT_AGENT_LABEL.test(sender);
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
