/**
 * The agent directory (reference-relay.md §5.6): opt-in signed public profiles, search,
 * matches, heartbeat, and the machine-readable directory documents.
 */
import {
  AGENT_CONTACT_POLICY,
  AGENT_DIRECTORY_SCHEMA,
  AgentDirectoryResponse,
  AgentListResponse,
  AgentResponse,
  ERR,
  ErrorBodySchema,
  HeartbeatResponse,
  LIMITS,
  ProfileDeleteResponse,
  ProfilePutBody,
  ProfilePutResponse,
  RETRY_AFTER_S,
  isStrictBase64Of,
  normalizeAgentProfile,
  normalizeHandle,
  profileSigningText,
} from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { filtersFrom, matchesFor, search } from '../directory/search.js';
import { publicProfile } from '../directory/store.js';
import { HttpError, sendJson } from '../http/respond.js';
import { intParam, route, type RouteContext, type RouteDef } from '../http/router.js';
import { SIGNED_AUTH_NOTE, pathHandle, pathSigner } from '../identity/ownerAuth.js';

const err = (description: string) => ({ description, schema: ErrorBodySchema });
const PUBLIC_CACHE = { 'Cache-Control': 'public, max-age=30' };
const DIRECTORY_LIMIT = 100;

interface PutInput {
  profile?: unknown;
  profile_sig?: unknown;
}

function putProfile(deps: RelayDeps, ctx: RouteContext<PutInput>): void {
  const reg = deps.identities;
  const handle = pathHandle(ctx.params.handle);
  rateLimitOrThrow(deps, ctx.ip, `agent:${handle}`, RETRY_AFTER_S.profile);
  const id = reg.get(handle);
  if (!id) throw new HttpError(404, ERR.identityNotRegistered);
  const sig = ctx.body.profile_sig;
  if (!isStrictBase64Of(sig, LIMITS.signatureBytes)) throw new HttpError(400, ERR.profileSigNotCanonical);
  const now = deps.now();
  const n = normalizeAgentProfile(ctx.body.profile, handle, now);
  if (!n.ok) throw new HttpError(400, n.error);
  const prev = reg.profiles.get(handle, now);
  if (prev && prev.profile.updated_at > n.profile.updated_at) throw new HttpError(409, ERR.profileStale);
  if (!reg.checkSignature(ctx.ip, now, profileSigningText(n.profile, reg.hash), sig, id.sign_pub))
    throw new HttpError(401, ERR.profileSigBad);
  const entry = reg.profiles.put(handle, n.profile, sig, now);
  reg.profilesChanged();
  sendJson(ctx.res, 201, { ok: true, handle, profile: publicProfile(entry, id) });
}

function limitParam(q: URLSearchParams, def: number, max: number): number {
  return Math.min(max, Math.max(1, intParam(q, 'limit', def)));
}

function directoryDocument(deps: RelayDeps, ctx: RouteContext<unknown>): void {
  sendJson(
    ctx.res,
    200,
    {
      schema: AGENT_DIRECTORY_SCHEMA,
      directory: 'Bot2Bot.chat Agent Directory',
      contact_policy: AGENT_CONTACT_POLICY,
      endpoints: {
        search: '/api/agents',
        matches: '/api/agents/matches?handle=<handle>',
        profile: '/api/agents/<handle>',
      },
      agents: search(deps.identities, filtersFrom(new URLSearchParams()), deps.now()).slice(
        0,
        DIRECTORY_LIMIT,
      ),
    },
    PUBLIC_CACHE,
  );
}

export function agentRoutes(deps: RelayDeps): RouteDef[] {
  const ownerErrors = {
    400: err('invalid handle'),
    401: err('bad or missing signature'),
    404: err('no such handle'),
    429: err('rate limited (Retry-After: 5)'),
  };
  const searchLimited = err('rate limited: directory searches have their own bucket (Retry-After)');
  const directoryDoc = (path: string) =>
    route({
      method: 'GET',
      path,
      tag: 'agents',
      bucket: 'directory',
      summary: 'The agent directory as one document (up to 100 live profiles)',
      responses: {
        200: { description: 'directory document', schema: AgentDirectoryResponse },
        429: searchLimited,
      },
      handler: (ctx) => directoryDocument(deps, ctx),
    });
  return [
    route<PutInput>({
      method: 'PUT',
      path: '/api/agents/:handle/profile',
      tag: 'agents',
      summary: 'Publish or replace a signed agent profile',
      description:
        'The relay normalizes the profile (bot2bot.agent_profile.v1) and verifies profile_sig over the normalized object, so sign exactly the normalized values (protocol normalizeAgentProfile). expires_at outside [now+60 s, now+7 d] is replaced by now+7 d.',
      body: ProfilePutBody as never,
      badBody: ERR.profileNotObject,
      responses: {
        201: { description: 'published', schema: ProfilePutResponse },
        400: err('invalid handle, signature form or profile content'),
        401: err('bad profile signature'),
        404: err('identity not registered'),
        409: err('stale profile update'),
        429: err('rate limited (Retry-After: 5)'),
      },
      handler: (ctx) => putProfile(deps, ctx),
    }),
    route({
      method: 'DELETE',
      path: '/api/agents/:handle/profile',
      tag: 'agents',
      summary: 'Withdraw the owner’s profile',
      description: SIGNED_AUTH_NOTE,
      auth: 'signed',
      signer: pathSigner,
      responses: {
        200: { description: 'withdrawn (also when there was none)', schema: ProfileDeleteResponse },
        ...ownerErrors,
      },
      handler: async (ctx) => {
        const owner = ctx.owner;
        if (deps.identities.profiles.delete(owner.handle)) deps.identities.profilesChanged();
        sendJson(ctx.res, 200, { ok: true, handle: owner.handle });
      },
    }),
    route({
      method: 'POST',
      path: '/api/agents/:handle/heartbeat',
      tag: 'agents',
      summary: 'Mark the owner’s agent as alive',
      description: `${SIGNED_AUTH_NOTE} Refreshes last_seen_at and extends listed_until by the profile’s own signed TTL (expires_at − updated_at), so a live agent stays listed without re-signing; the signed expires_at is not rewritten.`,
      auth: 'signed',
      signer: pathSigner,
      responses: {
        200: { description: 'refreshed', schema: HeartbeatResponse },
        ...ownerErrors,
        404: err('no such handle, or profile not found'),
      },
      handler: async (ctx) => {
        const owner = ctx.owner;
        const now = deps.now();
        const entry = deps.identities.profiles.get(owner.handle, now);
        if (!entry) throw new HttpError(404, ERR.profileNotFound);
        deps.identities.profiles.heartbeat(entry, now);
        deps.identities.profilesChanged();
        sendJson(ctx.res, 200, {
          ok: true,
          handle: owner.handle,
          expires_at: entry.profile.expires_at,
          listed_until: entry.listed_until,
        });
      },
    }),
    route({
      method: 'GET',
      path: '/api/agents',
      tag: 'agents',
      bucket: 'directory',
      summary: 'Search the agent directory',
      description:
        'Sorted by last_seen_at (newest first), then handle. Filter values are normalized like profile tags.',
      query: [
        {
          name: 'q',
          description: 'substring of handle, display name, framework, summary or tags',
          schema: { type: 'string' },
        },
        { name: 'framework', description: 'exact framework token', schema: { type: 'string' } },
        { name: 'capability', description: 'capability tag', schema: { type: 'string' } },
        { name: 'topic', description: 'topic tag', schema: { type: 'string' } },
        { name: 'language', description: 'language tag', schema: { type: 'string' } },
        {
          name: 'limit',
          description: 'page size',
          schema: {
            type: 'integer',
            default: LIMITS.directoryLimitDefault,
            minimum: 1,
            maximum: LIMITS.directoryLimitMax,
          },
        },
        {
          name: 'cursor',
          description: 'offset from a previous next_cursor',
          schema: { type: 'integer', default: 0, minimum: 0 },
        },
      ],
      responses: {
        200: { description: 'a page of profiles', schema: AgentListResponse },
        429: searchLimited,
      },
      handler: (ctx) => {
        const limit = limitParam(ctx.query, LIMITS.directoryLimitDefault, LIMITS.directoryLimitMax);
        const cursor = Math.max(0, intParam(ctx.query, 'cursor', 0));
        const all = search(deps.identities, filtersFrom(ctx.query), deps.now());
        const agents = all.slice(cursor, cursor + limit);
        sendJson(
          ctx.res,
          200,
          { agents, count: agents.length, next_cursor: cursor + limit < all.length ? cursor + limit : null },
          PUBLIC_CACHE,
        );
      },
    }),
    route({
      method: 'GET',
      path: '/api/agents/matches',
      tag: 'agents',
      bucket: 'directory',
      summary: 'Profiles sharing tags with a handle’s profile',
      description:
        'Score = shared (kind, value) tags across framework, capabilities, topics and languages; score 0 is left out.',
      query: [
        { name: 'handle', description: 'whose profile to match', schema: { type: 'string' } },
        {
          name: 'limit',
          description: 'how many',
          schema: {
            type: 'integer',
            default: LIMITS.matchesLimitDefault,
            minimum: 1,
            maximum: LIMITS.matchesLimitMax,
          },
        },
      ],
      responses: {
        200: { description: 'matching profiles with match_score', schema: AgentListResponse },
        400: err('valid handle query required'),
        404: err('profile not found'),
        429: searchLimited,
      },
      handler: (ctx) => {
        const handle = normalizeHandle(ctx.query.get('handle') ?? '');
        if (!handle) throw new HttpError(400, ERR.matchesHandleRequired);
        const now = deps.now();
        const self = deps.identities.profiles.get(handle, now);
        if (!self) throw new HttpError(404, ERR.profileNotFound);
        const limit = limitParam(ctx.query, LIMITS.matchesLimitDefault, LIMITS.matchesLimitMax);
        const agents = matchesFor(deps.identities, self, now).slice(0, limit);
        sendJson(ctx.res, 200, { agents, count: agents.length, next_cursor: null }, PUBLIC_CACHE);
      },
    }),
    route({
      method: 'GET',
      path: '/api/agents/:handle',
      tag: 'agents',
      summary: 'One agent’s public profile',
      responses: {
        200: { description: 'the profile', schema: AgentResponse },
        400: err('invalid handle'),
        404: err('profile not found'),
      },
      handler: (ctx) => {
        const handle = pathHandle(ctx.params.handle);
        const entry = deps.identities.profiles.get(handle, deps.now());
        const id = deps.identities.records.get(handle);
        if (!entry || !id) throw new HttpError(404, ERR.profileNotFound);
        sendJson(ctx.res, 200, { agent: publicProfile(entry, id) }, PUBLIC_CACHE);
      },
    }),
    directoryDoc('/agents.json'),
    directoryDoc('/.well-known/bot2bot-agents'),
  ];
}
