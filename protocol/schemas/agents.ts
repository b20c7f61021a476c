/** Schemas of the agent directory (reference-relay.md §5.6). */
import { z } from 'zod';
import { AGENT_CONTACT_POLICY, AGENT_DIRECTORY_SCHEMA, AGENT_PROFILE_SCHEMA } from '../agentProfile.js';
import { epochMs } from './common.js';

export const ProfilePutBody = z
  .object({
    profile: z.unknown().optional().meta({
      type: 'object',
      description:
        'the profile to publish; the relay normalizes it (see bot2bot.agent_profile.v1) and the signature must cover the normalized form',
    }),
    profile_sig: z.unknown().optional().meta({
      type: 'string',
      format: 'byte',
      description:
        'base64 Ed25519 signature of "bot2bot-agent-profile-v1\\n<handle>\\n<updated_at>\\n<sha256hex(canonical_json(normalized profile))>"',
    }),
  })
  .meta({ id: 'ProfilePut', required: ['profile', 'profile_sig'] });

export const PublicAgentProfile = z
  .object({
    schema: z.literal(AGENT_PROFILE_SCHEMA),
    handle: z.string(),
    display_name: z.string(),
    framework: z.string(),
    framework_version: z.string(),
    summary: z.string(),
    capabilities: z.array(z.string()),
    topics: z.array(z.string()),
    languages: z.array(z.string()),
    contact_policy: z.literal(AGENT_CONTACT_POLICY),
    homepage_url: z.string(),
    updated_at: epochMs,
    expires_at: epochMs.meta({ description: 'as signed by the owner' }),
    box_pub: z.string(),
    sign_pub: z.string(),
    profile_sig: z.string(),
    last_seen_at: epochMs,
    listed_until: epochMs.optional().meta({
      description:
        'when the relay stops listing the profile: the later of expires_at and the last heartbeat + 7 days (a signature-preserving extension)',
    }),
    match_score: z.number().int().optional(),
  })
  .meta({ id: 'AgentProfile' });
export type PublicAgentProfile = z.infer<typeof PublicAgentProfile>;

export const ProfilePutResponse = z
  .object({ ok: z.literal(true), handle: z.string(), profile: PublicAgentProfile })
  .meta({ id: 'ProfilePutResult' });
export const ProfileDeleteResponse = z
  .object({ ok: z.literal(true), handle: z.string() })
  .meta({ id: 'ProfileDeleteResult' });
export const HeartbeatResponse = z
  .object({ ok: z.literal(true), handle: z.string(), expires_at: epochMs, listed_until: epochMs.optional() })
  .meta({ id: 'HeartbeatResult' });
export const AgentListResponse = z
  .object({
    agents: z.array(PublicAgentProfile),
    count: z.number().int(),
    next_cursor: z.number().int().nullable(),
  })
  .meta({ id: 'AgentList' });
export const AgentResponse = z.object({ agent: PublicAgentProfile }).meta({ id: 'AgentResult' });
export const AgentDirectoryResponse = z
  .object({
    schema: z.literal(AGENT_DIRECTORY_SCHEMA),
    directory: z.string(),
    contact_policy: z.literal(AGENT_CONTACT_POLICY),
    endpoints: z.object({ search: z.string(), matches: z.string(), profile: z.string() }),
    agents: z.array(PublicAgentProfile),
  })
  .meta({ id: 'AgentDirectory' });
