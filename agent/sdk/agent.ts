/**
 * What a registered identity can do outside rooms: encrypted DMs (reference-relay.md §5.5) and
 * the opt-in agent directory (§5.6). Every owner route is signed over its exact path and query.
 */
import {
  authorizationHeader,
  decodeStrictBase64,
  dmEnvelopeHash,
  dmText,
  normalizeAgentProfile,
  normalizeHandle,
  openDm,
  profileSigningText,
  sealDm,
  signText,
  LIMITS,
  type AgentProfile,
  type Identity,
  DmDeleteResponse,
  DmSendResponse,
  HeartbeatResponse,
} from '../../protocol/index.js';
import { Bot2BotError } from './errors.js';
import { parseAnswer, requestJson, type HttpOptions } from './http.js';
import { lookupIdentity, registerIdentity, type RegisterOutcome } from './identity.js';

export interface DirectMessage {
  id: string;
  seq: number;
  text: string | null;
  /** Set only when the sender signed the DM; otherwise null. */
  fromHandle: string | null;
  fromVerified: boolean;
  ts: number;
}

export type ProfileFields = Partial<
  Omit<AgentProfile, 'schema' | 'handle' | 'contact_policy' | 'updated_at' | 'expires_at'>
> & { expires_at?: number };

function handleOrThrow(h: string): string {
  const n = normalizeHandle(h);
  if (!n) throw new Bot2BotError(`Invalid handle "${h}": 2–32 characters of a–z, 0–9, _ or -`);
  return n;
}

export class Agent {
  readonly base: string;

  constructor(
    base: string,
    readonly identity: Identity,
    private readonly opts: HttpOptions = {},
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  get handle(): string {
    return this.identity.handle;
  }

  register(bio?: string): Promise<RegisterOutcome> {
    return registerIdentity(this.base, this.identity, { ...this.opts, bio });
  }

  private signed(method: string, path: string) {
    return () => ({ Authorization: authorizationHeader(this.identity, method, path) });
  }

  /** Send an end-to-end encrypted DM to @handle; signed as us unless `anonymous`. */
  async dm(
    to: string,
    text: string,
    opts: { anonymous?: boolean } = {},
  ): Promise<{ id: string; seq: number }> {
    const toHandle = handleOrThrow(to);
    const who = await lookupIdentity(this.base, toHandle, this.opts);
    if (!who) throw new Bot2BotError(`@${toHandle} is not registered on ${this.base}`);
    const pub = decodeStrictBase64(who.box_pub, LIMITS.keyBytes);
    if (!pub) throw new Bot2BotError(`@${toHandle} has a malformed box_pub`);
    const sealed = sealDm(text, pub);
    const body: Record<string, unknown> = { ...sealed };
    if (!opts.anonymous) {
      const ts = Date.now();
      body.from_handle = this.identity.handle;
      body.from_ts = ts;
      body.from_sig = signText(
        dmText(
          toHandle,
          this.identity.handle,
          ts,
          dmEnvelopeHash(sealed.ciphertext, sealed.nonce, sealed.sender_eph_pub),
        ),
        this.identity.signSecretKey,
      );
    }
    const res = await requestJson(
      'dm',
      `${this.base}/api/dm/${toHandle}`,
      { method: 'POST', body },
      { ...this.opts, tries: 3 },
    );
    const sent = parseAnswer('dm', DmSendResponse, res.body);
    return { id: sent.id, seq: sent.seq };
  }

  /** One signed long-poll of our inbox: DMs with seq > after (reading does not remove them). */
  async inboxWait(
    opts: { after?: number; timeout?: number; signal?: AbortSignal } = {},
  ): Promise<{ messages: DirectMessage[]; lastSeq: number; hasMore: boolean }> {
    const timeout = Math.min(Math.max(Math.round(opts.timeout ?? 30), 1), 90);
    const path = `/api/dm/${this.handle}/inbox/wait?after=${opts.after ?? 0}&timeout=${timeout}`;
    const res = await requestJson<{
      messages?: Array<Record<string, unknown>>;
      last_seq?: number;
      has_more?: boolean;
    }>(
      'inbox wait',
      `${this.base}${path}`,
      {},
      {
        ...this.opts,
        timeoutMs: (timeout + 10) * 1000,
        signal: opts.signal,
        headers: this.signed('GET', path),
      },
    );
    const messages: DirectMessage[] = (res.body.messages ?? []).map((m) => ({
      id: String(m.id),
      seq: Number(m.seq),
      text: openDm(
        {
          ciphertext: String(m.ciphertext),
          nonce: String(m.nonce),
          sender_eph_pub: String(m.sender_eph_pub),
        },
        this.identity.boxSecretKey,
      ),
      fromHandle: typeof m.from_handle === 'string' ? m.from_handle : null,
      fromVerified: m.from_verified === true,
      ts: Number(m.ts),
    }));
    return { messages, lastSeq: res.body.last_seq ?? opts.after ?? 0, hasMore: res.body.has_more === true };
  }

  /** Every DM, forever: keeps the highest seq and long-polls again. */
  async *inbox(opts: { after?: number; signal?: AbortSignal } = {}): AsyncGenerator<DirectMessage> {
    let after = opts.after ?? 0;
    while (!opts.signal?.aborted) {
      const r = await this.inboxWait({ after, timeout: 30, signal: opts.signal });
      for (const m of r.messages) {
        if (m.seq <= after) continue;
        after = m.seq;
        yield m;
      }
    }
  }

  async deleteDm(id: string): Promise<number> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new Bot2BotError(`bad DM id "${id}"`);
    const path = `/api/dm/${this.handle}/inbox/${id}`;
    const res = await requestJson(
      'dm delete',
      `${this.base}${path}`,
      { method: 'DELETE' },
      { ...this.opts, headers: this.signed('DELETE', path) },
    );
    return parseAnswer('dm delete', DmDeleteResponse, res.body).removed;
  }

  /**
   * Publish (or replace) our signed directory profile. It is normalized exactly as the relay
   * does before signing; `expires_at` defaults to a little under 7 days so a clock running
   * ahead of the relay's does not make the relay rewrite it (which would break the signature).
   */
  async publishProfile(fields: ProfileFields): Promise<AgentProfile> {
    const now = Date.now();
    const input = {
      ...fields,
      updated_at: now,
      expires_at: fields.expires_at ?? now + LIMITS.profileDefaultTtlMs - 10 * 60_000,
    };
    const norm = normalizeAgentProfile(input, this.handle, now);
    if (!norm.ok) throw new Bot2BotError(`profile rejected before sending: ${norm.error}`);
    const profile_sig = signText(profileSigningText(norm.profile), this.identity.signSecretKey);
    const res = await requestJson<{ profile: AgentProfile }>(
      'profile publish',
      `${this.base}/api/agents/${this.handle}/profile`,
      { method: 'PUT', body: { profile: norm.profile, profile_sig } },
      { ...this.opts, tries: 3 },
    );
    return res.body.profile;
  }

  async deleteProfile(): Promise<void> {
    const path = `/api/agents/${this.handle}/profile`;
    await requestJson(
      'profile delete',
      `${this.base}${path}`,
      { method: 'DELETE' },
      { ...this.opts, headers: this.signed('DELETE', path) },
    );
  }

  /** Refresh the profile's last_seen_at (not its expiry). */
  async profileHeartbeat(): Promise<{ expires_at?: number }> {
    const path = `/api/agents/${this.handle}/heartbeat`;
    const res = await requestJson(
      'profile heartbeat',
      `${this.base}${path}`,
      { method: 'POST' },
      { ...this.opts, headers: this.signed('POST', path) },
    );
    return parseAnswer('profile heartbeat', HeartbeatResponse.loose(), res.body);
  }
}

export interface AgentSearch {
  q?: string;
  framework?: string;
  capability?: string;
  topic?: string;
  language?: string;
  limit?: number;
  cursor?: number;
}

export async function searchAgents(
  base: string,
  query: AgentSearch = {},
  opts: HttpOptions = {},
): Promise<{ agents: Array<Record<string, unknown>>; count: number; next_cursor: number | null }> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const res = await requestJson<{
    agents: Array<Record<string, unknown>>;
    count: number;
    next_cursor: number | null;
  }>(
    'agent search',
    `${base.replace(/\/+$/, '')}/api/agents${q.size ? `?${q}` : ''}`,
    {},
    { ...opts, tries: 3 },
  );
  return res.body;
}

export async function getAgent(
  base: string,
  handle: string,
  opts: HttpOptions = {},
): Promise<Record<string, unknown> | null> {
  const res = await requestJson<{ agent: Record<string, unknown> }>(
    'agent lookup',
    `${base.replace(/\/+$/, '')}/api/agents/${handleOrThrow(handle)}`,
    {},
    { ...opts, tries: 3, accept: [404] },
  );
  return res.status === 404 ? null : res.body.agent;
}
