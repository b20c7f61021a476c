/**
 * Published agent profiles (reference-relay.md §5.6). A profile is kept exactly as its owner
 * signed it; the relay's own freshness bookkeeping (`last_seen_at`, `listed_until`) lives beside
 * it, so a heartbeat can extend a listing without touching signed bytes.
 */
import {
  LIMITS,
  isStrictBase64Of,
  profileSigningText,
  verifyText,
  type AgentProfile,
  type PublicAgentProfile,
  type SignatureVerifier,
  type TextHash,
} from '../../protocol/index.js';
import { AGENT_CONTACT_POLICY, AGENT_PROFILE_SCHEMA, HANDLE_RE } from '../../protocol/index.js';
import type { IdentityRecord } from '../identity/types.js';

export interface StoredProfile {
  profile: AgentProfile;
  profile_sig: string;
  last_seen_at: number;
  /** When the relay stops listing it: the later of the signed `expires_at` and heartbeat + TTL. */
  listed_until: number;
}

/**
 * The reference's heartbeat refreshed only `last_seen_at`, so a live agent vanished at its
 * signed `expires_at`, and rewriting `expires_at` would break the signature. Instead a heartbeat
 * extends the listing by the TTL the owner chose when signing (expires_at − updated_at, within
 * [1 min, 7 d]), counted from the heartbeat. The signed profile is returned unchanged.
 */
export function heartbeatWindowMs(p: AgentProfile): number {
  return Math.min(LIMITS.profileDefaultTtlMs, Math.max(LIMITS.profileMinTtlMs, p.expires_at - p.updated_at));
}

export class ProfileStore {
  readonly byHandle = new Map<string, StoredProfile>();

  get(handle: string, now: number): StoredProfile | undefined {
    const p = this.byHandle.get(handle);
    if (p && p.listed_until <= now) {
      this.byHandle.delete(handle);
      return undefined;
    }
    return p;
  }

  put(handle: string, profile: AgentProfile, sig: string, now: number): StoredProfile {
    const entry: StoredProfile = {
      profile,
      profile_sig: sig,
      last_seen_at: now,
      listed_until: profile.expires_at,
    };
    this.byHandle.set(handle, entry);
    return entry;
  }

  heartbeat(entry: StoredProfile, now: number): void {
    entry.last_seen_at = now;
    entry.listed_until = Math.max(entry.listed_until, now + heartbeatWindowMs(entry.profile));
  }

  delete(handle: string): boolean {
    return this.byHandle.delete(handle);
  }

  /** Live profiles; expired ones are dropped on the way. */
  live(now: number): StoredProfile[] {
    const out: StoredProfile[] = [];
    for (const [h, p] of this.byHandle) {
      if (p.listed_until <= now) this.byHandle.delete(h);
      else out.push(p);
    }
    return out;
  }

  hasLive(handle: string, now: number): boolean {
    return this.get(handle, now) !== undefined;
  }

  snapshot(): Record<string, StoredProfile> {
    return Object.fromEntries(this.byHandle);
  }

  /** Reload from disk: each entry is rebuilt field by field and its signature re-verified. */
  load(
    raw: unknown,
    lookup: (h: string) => IdentityRecord | undefined,
    now: number,
    verifier: SignatureVerifier = { verify: verifyText },
    hash?: TextHash,
  ): { loaded: number; dropped: number } {
    let loaded = 0;
    let dropped = 0;
    const all = raw && typeof raw === 'object' ? (raw as { profiles?: unknown }).profiles : undefined;
    if (!all || typeof all !== 'object') return { loaded, dropped };
    for (const [handle, v] of Object.entries(all as Record<string, unknown>)) {
      const entry = rebuild(handle, v);
      const id = lookup(handle);
      if (
        !entry ||
        !id ||
        entry.listed_until <= now ||
        !verifier.verify(profileSigningText(entry.profile, hash), entry.profile_sig, id.sign_pub)
      ) {
        dropped++;
        continue;
      }
      this.byHandle.set(handle, entry);
      loaded++;
    }
    return { loaded, dropped };
  }
}

export function publicProfile(entry: StoredProfile, id: IdentityRecord): PublicAgentProfile {
  return {
    ...entry.profile,
    box_pub: id.box_pub,
    sign_pub: id.sign_pub,
    profile_sig: entry.profile_sig,
    last_seen_at: entry.last_seen_at,
    listed_until: entry.listed_until,
  };
}

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const strs = (v: unknown): v is string[] => Array.isArray(v) && v.every(str);

function rebuild(handle: string, v: unknown): StoredProfile | null {
  if (!HANDLE_RE.test(handle) || !v || typeof v !== 'object') return null;
  const e = v as Record<string, unknown>;
  const p = e.profile as Record<string, unknown> | undefined;
  if (
    !p ||
    typeof p !== 'object' ||
    !isStrictBase64Of(e.profile_sig, LIMITS.signatureBytes) ||
    !num(e.last_seen_at) ||
    !num(e.listed_until)
  )
    return null;
  if (p.schema !== AGENT_PROFILE_SCHEMA || p.handle !== handle || p.contact_policy !== AGENT_CONTACT_POLICY)
    return null;
  const {
    display_name,
    framework,
    framework_version,
    summary,
    capabilities,
    topics,
    languages,
    homepage_url,
    updated_at,
    expires_at,
  } = p;
  if (!str(display_name) || !str(framework) || !str(framework_version) || !str(summary) || !str(homepage_url))
    return null;
  if (!strs(capabilities) || !strs(topics) || !strs(languages) || !num(updated_at) || !num(expires_at))
    return null;
  return {
    profile: {
      schema: AGENT_PROFILE_SCHEMA,
      handle,
      display_name,
      framework,
      framework_version,
      summary,
      capabilities,
      topics,
      languages,
      contact_policy: AGENT_CONTACT_POLICY,
      homepage_url,
      updated_at,
      expires_at,
    },
    profile_sig: e.profile_sig,
    last_seen_at: e.last_seen_at,
    listed_until: e.listed_until,
  };
}
