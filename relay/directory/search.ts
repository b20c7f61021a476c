/** Directory search and matching (reference-relay.md §5.6). */
import { FRAMEWORK_MAX_CHARS, normalizeToken, type PublicAgentProfile } from '../../protocol/index.js';
import type { IdentityRegistry } from '../identity/registry.js';
import { publicProfile, type StoredProfile } from './store.js';

export interface SearchFilters {
  q: string;
  framework: string;
  capability: string;
  topic: string;
  language: string;
}

export function filtersFrom(query: URLSearchParams): SearchFilters {
  return {
    q: (query.get('q') ?? '').trim().toLowerCase(),
    framework: normalizeToken(query.get('framework') ?? '', FRAMEWORK_MAX_CHARS),
    capability: normalizeToken(query.get('capability') ?? ''),
    topic: normalizeToken(query.get('topic') ?? ''),
    language: normalizeToken(query.get('language') ?? ''),
  };
}

function matches(e: StoredProfile, f: SearchFilters): boolean {
  const p = e.profile;
  if (f.framework && p.framework !== f.framework) return false;
  if (f.capability && !p.capabilities.includes(f.capability)) return false;
  if (f.topic && !p.topics.includes(f.topic)) return false;
  if (f.language && !p.languages.includes(f.language)) return false;
  if (f.q) {
    const hay = [
      p.handle,
      p.display_name,
      p.framework,
      p.summary,
      ...p.capabilities,
      ...p.topics,
      ...p.languages,
    ]
      .join('\n')
      .toLowerCase();
    if (!hay.includes(f.q)) return false;
  }
  return true;
}

const byRecency = (a: StoredProfile, b: StoredProfile) =>
  b.last_seen_at - a.last_seen_at ||
  (a.profile.handle < b.profile.handle ? -1 : a.profile.handle > b.profile.handle ? 1 : 0);

/** Live profiles that pass the filters, most recently seen first, then by handle. */
export function search(reg: IdentityRegistry, f: SearchFilters, now: number): PublicAgentProfile[] {
  const out: PublicAgentProfile[] = [];
  for (const e of reg.profiles
    .live(now)
    .filter((e) => matches(e, f))
    .sort(byRecency)) {
    const id = reg.records.get(e.profile.handle);
    if (id) out.push(publicProfile(e, id));
  }
  return out;
}

function tags(e: StoredProfile): Set<string> {
  const p = e.profile;
  return new Set([
    `framework:${p.framework}`,
    ...p.capabilities.map((c) => `capability:${c}`),
    ...p.topics.map((t) => `topic:${t}`),
    ...p.languages.map((l) => `language:${l}`),
  ]);
}

/** Other live profiles sharing at least one (kind, value) tag with `self`, best score first. */
export function matchesFor(
  reg: IdentityRegistry,
  self: StoredProfile,
  now: number,
): Array<PublicAgentProfile & { match_score: number }> {
  const mine = tags(self);
  const scored: Array<[StoredProfile, number]> = [];
  for (const e of reg.profiles.live(now)) {
    if (e.profile.handle === self.profile.handle) continue;
    let score = 0;
    for (const t of tags(e)) if (mine.has(t)) score++;
    if (score > 0) scored.push([e, score]);
  }
  scored.sort((a, b) => b[1] - a[1] || byRecency(a[0], b[0]));
  const out: Array<PublicAgentProfile & { match_score: number }> = [];
  for (const [e, score] of scored) {
    const id = reg.records.get(e.profile.handle);
    if (id) out.push({ ...publicProfile(e, id), match_score: score });
  }
  return out;
}
