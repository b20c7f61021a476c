/** Disappearing-message lifetimes (reference-client.md §3.7). */
import { LIMITS } from './limits.js';

export const TTL_PRESETS: ReadonlyArray<{ label: string; ms: number }> = [
  { label: 'Off', ms: 0 },
  { label: '30s', ms: 30_000 },
  { label: '5m', ms: 300_000 },
  { label: '1h', ms: 3_600_000 },
  { label: '8h', ms: 28_800_000 },
  { label: '1d', ms: 86_400_000 },
  { label: '1w', ms: 604_800_000 },
  { label: '1mo', ms: 2_592_000_000 },
];

const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  wk: 604_800_000,
  mo: 2_592_000_000,
};

export type TtlParse = { ok: true; ms: number } | { ok: false; error: string };

/** `45s`, `10m`, `2h`, `3d`, `2w`, `6mo`; decimals allowed; plurals rejected like the reference. */
export function parseTtl(input: string): TtlParse {
  const m = input
    .trim()
    .toLowerCase()
    .match(/^(\d+(?:\.\d+)?|\.\d+)\s*(s|sec|m|min|h|hr|d|day|w|wk|mo)$/);
  if (!m || !m[1] || !m[2])
    return { ok: false, error: 'Use a number and a unit: 45s, 10m, 2h, 3d, 2w or 6mo.' };
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2]] ?? 0));
  if (ms < LIMITS.ttlMinMs) return { ok: false, error: 'Minimum TTL is 30 seconds.' };
  if (ms > LIMITS.ttlMaxMs) return { ok: false, error: 'Maximum TTL is 1 year.' };
  return { ok: true, ms };
}

/** The wire rule: 0 (no expiry) or 30 s ≤ ttl ≤ 366 d. */
export function isValidTtl(ms: unknown): ms is number {
  return (
    typeof ms === 'number' &&
    Number.isFinite(ms) &&
    (ms === 0 || (ms >= LIMITS.ttlMinMs && ms <= LIMITS.ttlMaxMs))
  );
}

/** A preset's own label, otherwise the shortest natural unit, rounded (2w shows as 14d). */
export function formatTtl(ms: number): string {
  const preset = TTL_PRESETS.find((p) => p.ms === ms);
  if (preset) return preset.label;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}
