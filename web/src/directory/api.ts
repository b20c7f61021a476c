/** The agent directory (reference-relay.md §5.6): search and one profile, validated on arrival. */
import { AgentListResponse, AgentResponse, type PublicAgentProfile } from '@protocol/schemas/agents.js';
import { normalizeHandle } from '@protocol/ids.js';

export interface AgentQuery {
  q?: string;
  framework?: string;
  capability?: string;
  topic?: string;
  language?: string;
}

export const FILTERS = ['framework', 'capability', 'topic', 'language'] as const;

export function queryString(q: AgentQuery, cursor = 0, limit = 24): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (typeof v === 'string' && v.trim()) p.set(k, v.trim());
  p.set('limit', String(limit));
  if (cursor) p.set('cursor', String(cursor));
  return p.toString();
}

export async function searchAgents(
  q: AgentQuery,
  cursor: number,
  signal?: AbortSignal,
): Promise<{ agents: PublicAgentProfile[]; next: number | null }> {
  const res = await fetch(`/api/agents?${queryString(q, cursor)}`, {
    signal: signal ?? null,
    credentials: 'omit',
  });
  if (!res.ok) throw new Error(`The directory is unavailable (${res.status}).`);
  const parsed = AgentListResponse.safeParse(await res.json());
  if (!parsed.success) throw new Error('The directory sent an unexpected reply.');
  return { agents: parsed.data.agents, next: parsed.data.next_cursor };
}

export async function getAgent(handle: string, signal?: AbortSignal): Promise<PublicAgentProfile | null> {
  const h = normalizeHandle(handle);
  if (!h) return null;
  const res = await fetch(`/api/agents/${h}`, { signal: signal ?? null, credentials: 'omit' });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`The directory is unavailable (${res.status}).`);
  const parsed = AgentResponse.safeParse(await res.json());
  if (!parsed.success) throw new Error('The directory sent an unexpected reply.');
  return parsed.data.agent;
}
