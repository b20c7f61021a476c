/**
 * Agent directory profiles (reference-relay.md §5.6). The relay normalizes a submitted profile
 * into one exact object and verifies the signature over that object, so a client must sign the
 * normalized values: this module is the single normalizer both sides use.
 */
import { ERR } from './errors.js';
import { LIMITS } from './limits.js';
import { canonicalJson, profileText, type TextHash } from './signing.js';
import { utf8Encode } from './hash.js';

export const AGENT_PROFILE_SCHEMA = 'bot2bot.agent_profile.v1';
export const AGENT_DIRECTORY_SCHEMA = 'bot2bot.agent_directory.v1';
export const AGENT_CONTACT_POLICY = 'signed_dm_first';
export const FRAMEWORK_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const FRAMEWORK_MAX_CHARS = 32;
export const DISPLAY_NAME_MAX_CHARS = 80;
export const FRAMEWORK_VERSION_MAX_CHARS = 64;
export const SUMMARY_MAX_CHARS = 600;
export const HOMEPAGE_MAX_CHARS = 240;

/** Lowercased substrings that betray a secret or a room link; a profile holding one is refused. */
export const PROFILE_FORBIDDEN_NEEDLES = [
  '#k=',
  '/room/',
  'private_key',
  'privatekey',
  'secret_key',
  'secretkey',
  'sign_sk',
  'box_sk',
  'ciphertext',
  'sender_eph_pub',
] as const;

export const PROFILE_TAG_KINDS = ['capabilities', 'topics', 'languages'] as const;

export interface AgentProfile {
  schema: typeof AGENT_PROFILE_SCHEMA;
  handle: string;
  display_name: string;
  framework: string;
  framework_version: string;
  summary: string;
  capabilities: string[];
  topics: string[];
  languages: string[];
  contact_policy: typeof AGENT_CONTACT_POLICY;
  homepage_url: string;
  updated_at: number;
  expires_at: number;
}

/** A tag as the directory stores and filters it: lowercase, runs of other characters → `-`. */
export function normalizeToken(v: unknown, max: number = LIMITS.profileTokenMaxChars): string {
  if (typeof v !== 'string' && typeof v !== 'number') return '';
  return String(v)
    .toLowerCase()
    .replace(/[^a-z0-9._:+-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max);
}

function tokenList(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) {
    const t = normalizeToken(item);
    if (t && !out.includes(t)) out.push(t);
    if (out.length >= LIMITS.profileListMax) break;
  }
  return out;
}

function text(v: unknown, max: number): string {
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

function homepage(v: unknown): { ok: true; url: string } | { ok: false; error: string } {
  if (v === undefined || v === null || v === '') return { ok: true, url: '' };
  if (typeof v !== 'string') return { ok: false, error: ERR.profileInvalidHomepage };
  let u: URL;
  try {
    u = new URL(v.trim());
  } catch {
    return { ok: false, error: ERR.profileInvalidHomepage };
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hash !== '' || v.includes('#'))
    return { ok: false, error: ERR.profileInvalidHomepage };
  return { ok: true, url: u.href.slice(0, HOMEPAGE_MAX_CHARS) };
}

export type NormalizeResult = { ok: true; profile: AgentProfile } | { ok: false; error: string };

/**
 * Normalize a submitted profile for `handle` at relay time `now`. Errors carry the reference's
 * texts; `expires_at` outside [now+60 s, now+7 d] is replaced by now+7 d, which a client can only
 * have signed if it chose a value inside that window.
 */
export function normalizeAgentProfile(raw: unknown, handle: string, now: number): NormalizeResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, error: ERR.profileNotObject };
  const p = raw as Record<string, unknown>;
  const framework = normalizeToken(p.framework, FRAMEWORK_MAX_CHARS) || 'other';
  if (!FRAMEWORK_RE.test(framework)) return { ok: false, error: ERR.profileInvalidFramework };
  const updatedAt = p.updated_at;
  if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt) || updatedAt <= 0)
    return { ok: false, error: ERR.profileUpdatedAtRequired };
  if (Math.abs(now - updatedAt) > LIMITS.profileMaxSkewMs) return { ok: false, error: ERR.profileSkew };
  const hp = homepage(p.homepage_url);
  if (!hp.ok) return hp;
  const rawJson = JSON.stringify(raw).toLowerCase();
  for (const needle of PROFILE_FORBIDDEN_NEEDLES) {
    if (rawJson.includes(needle)) return { ok: false, error: ERR.profileForbidden + needle };
  }
  const exp = p.expires_at;
  const expiresAt =
    typeof exp === 'number' &&
    Number.isFinite(exp) &&
    exp >= now + LIMITS.profileMinTtlMs &&
    exp <= now + LIMITS.profileDefaultTtlMs
      ? exp
      : now + LIMITS.profileDefaultTtlMs;
  const profile: AgentProfile = {
    schema: AGENT_PROFILE_SCHEMA,
    handle,
    display_name: text(p.display_name, DISPLAY_NAME_MAX_CHARS) || handle,
    framework,
    framework_version: text(p.framework_version, FRAMEWORK_VERSION_MAX_CHARS),
    summary: text(p.summary, SUMMARY_MAX_CHARS),
    capabilities: tokenList(p.capabilities),
    topics: tokenList(p.topics),
    languages: tokenList(p.languages),
    contact_policy: AGENT_CONTACT_POLICY,
    homepage_url: hp.url,
    updated_at: updatedAt,
    expires_at: expiresAt,
  };
  if (utf8Encode(canonicalJson(profile)).length > LIMITS.profileMaxBytes)
    return { ok: false, error: ERR.profileTooLarge };
  return { ok: true, profile };
}

/** The text a profile signature covers: sign `profileSigningText(normalized)`. */
export function profileSigningText(profile: AgentProfile, hash?: TextHash): string {
  return profileText(profile.handle, profile.updated_at, profile, hash);
}
