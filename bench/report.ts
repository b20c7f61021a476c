/**
 * Turning suite results into the headline figures, the ratios to the baseline, the issue's
 * targets (met or not), and a plain-text table.
 */
import type { SuiteResult } from './scenarios/suite.js';

export interface Headline {
  key: string;
  label: string;
  unit: string;
  value: number | null;
  /** Higher is better (throughput) or lower is better (latency, memory). */
  better: 'higher' | 'lower';
  p50?: number | null;
  p99?: number | null;
  note?: string;
}

/** Every figure worth comparing, from one target's results. */
export function headlines(r: SuiteResult): Headline[] {
  const h: Headline[] = [];
  for (const t of r.roundTrip) {
    h.push({ key: `rtt-${t.transport}`, label: `round trip ${t.transport} (median)`, unit: 'ms', value: t.latency.p50, better: 'lower', p50: t.latency.p50, p99: t.latency.p99, note: t.error });
  }
  for (const l of r.ladders) {
    const ingest = l.name.startsWith('ingest');
    const b = l.best;
    const value = b ? (ingest ? b.acceptedPerS : b.deliveredPerS) : null;
    const notes = [l.ladderTopReached ? 'ladder top reached: limit is higher' : '', l.error ?? '', b ? `${b.offeredPostsPerS} posts/s offered, ${b.members} members` : 'no sustained step'];
    h.push({
      key: l.name,
      label: ingest ? 'HTTP ingest (accepted posts/s)' : `${l.name} (deliveries/s)`,
      unit: '/s',
      value,
      better: 'higher',
      p50: b?.latency.p50 ?? null,
      p99: b ? (ingest ? Math.max(b.latency.p99 ?? 0, b.response?.p99 ?? 0) : b.latency.p99) : null,
      note: notes.filter(Boolean).join('; '),
    });
  }
  if (r.idle) {
    h.push({ key: 'idle-bytes-per-conn', label: `idle WebSockets (${r.idle.opened}) server memory per connection`, unit: 'B', value: r.idle.bytesPerConnection, better: 'lower', note: r.idle.error });
  }
  return h;
}

export interface Integrity {
  lost: number;
  duplicated: number;
  outOfOrder: number;
  rejected: number;
}

export function integrity(r: SuiteResult): Integrity {
  const t: Integrity = { lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 };
  for (const x of r.roundTrip) {
    t.lost += x.lost;
    t.duplicated += x.duplicated;
    t.outOfOrder += x.outOfOrder;
    t.rejected += x.rejected;
  }
  for (const l of r.ladders) {
    for (const s of l.steps) {
      t.lost += s.lost;
      t.duplicated += s.duplicated;
      t.outOfOrder += s.outOfOrder;
      t.rejected += s.rejected;
    }
  }
  if (r.idle) {
    t.lost += r.idle.lost;
    t.duplicated += r.idle.duplicated;
    t.outOfOrder += r.idle.outOfOrder;
  }
  return t;
}

export interface TargetCheck {
  target: string;
  met: boolean | null;
  detail: string;
}

/** The issue's targets, checked against one run (ratios only when a baseline ran too). */
export function checkTargets(relay: SuiteResult, baseline: SuiteResult | null): TargetCheck[] {
  const out: TargetCheck[] = [];
  const rh = new Map(headlines(relay).map((x) => [x.key, x]));
  const bh = baseline ? new Map(headlines(baseline).map((x) => [x.key, x])) : null;
  for (const [key, x] of rh) {
    const b = bh?.get(key);
    if (key.startsWith('rtt-')) {
      const ratio = b?.value && x.value !== null ? x.value / b.value : null;
      const p99ok = x.p99 !== null && x.p99 !== undefined && x.p99 < 10;
      out.push({
        target: `${key}: median ≤ 1.2× baseline, p99 < 10 ms`,
        met: ratio === null ? (p99ok ? null : false) : ratio <= 1.2 && p99ok,
        detail: `median ${x.value} ms${b ? ` vs ${b.value} ms (×${fmtRatio(ratio)})` : ''}, p99 ${x.p99} ms`,
      });
    } else if (key === 'idle-bytes-per-conn') {
      const ratio = b?.value && x.value !== null ? x.value / b.value : null;
      out.push({ target: 'idle WebSockets: memory per connection ≤ 1.1× baseline', met: ratio === null ? null : ratio <= 1.1, detail: `${x.value} B${b ? ` vs ${b.value} B (×${fmtRatio(ratio)})` : ''}` });
    } else {
      const ratio = b?.value && x.value !== null ? x.value / b.value : null;
      const p99ok = x.p99 !== null && x.p99 !== undefined && x.p99 < 50;
      out.push({
        target: `${key}: ≥ 0.8× baseline at p99 < 50 ms`,
        met: ratio === null ? (x.value === null ? false : null) : ratio >= 0.8 && p99ok,
        detail: `${fmtNum(x.value)}${b ? ` vs ${fmtNum(b.value)} (×${fmtRatio(ratio)})` : ''}, p99 ${x.p99} ms${x.note ? `; ${x.note}` : ''}`,
      });
    }
  }
  const ingest = rh.get('ingest-http');
  const ingestBest = relay.ladders.find((l) => l.name === 'ingest-http')?.best;
  // Met when a sustained step offered ≥ 10,000/s: every post accepted at p99 < 50 ms. The measured
  // accepted/s of such a step sits a hair under the offered rate (window edges).
  if (ingest) out.push({ target: 'HTTP ingest ≥ 10,000 accepted posts/s', met: !!ingestBest && ingestBest.offeredPostsPerS >= 10_000, detail: `${fmtNum(ingest.value)} accepted/s measured${ingestBest ? ` at ${fmtNum(ingestBest.offeredPostsPerS)} offered` : ''}` });
  const i = integrity(relay);
  out.push({ target: 'zero lost, duplicated or out-of-order messages', met: i.lost + i.duplicated + i.outOfOrder === 0, detail: `lost ${i.lost}, duplicated ${i.duplicated}, out of order ${i.outOfOrder} (refused posts: ${i.rejected})` });
  return out;
}

export function fmtNum(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-US');
}

export function fmtRatio(v: number | null): string {
  return v === null ? '—' : v.toFixed(2);
}

/** Ratio columns shown when both targets ran: the relay to the baseline, a cluster to one relay. */
const RATIOS: Array<[string, string]> = [
  ['relay', 'baseline'],
  ['cluster', 'relay'],
];

/** A plain table: one row per headline, one column group per target, ratios when pairs ran. */
export function table(results: Record<string, SuiteResult>): string {
  const names = Object.keys(results);
  const per = names.map((n) => new Map(headlines(results[n]!).map((x) => [x.key, x])));
  const keys = [...new Set(per.flatMap((m) => [...m.keys()]))];
  const header = ['scenario', ...names.flatMap((n) => [`${n}`, `${n} p50/p99 ms`])];
  const ratios = RATIOS.filter(([a, b]) => names.includes(a) && names.includes(b));
  for (const [a, b] of ratios) header.push(`${a}/${b}`);
  const rows: string[][] = [header];
  for (const k of keys) {
    const row = [per.map((m) => m.get(k)?.label).find(Boolean) ?? k];
    for (const m of per) {
      const x = m.get(k);
      row.push(x ? (x.unit === 'ms' ? `${x.value ?? '—'} ms` : `${fmtNum(x.value)}${x.unit === 'B' ? ' B' : ''}`) : '—');
      row.push(x && x.p50 !== undefined ? `${x.p50 ?? '—'}/${x.p99 ?? '—'}` : '');
    }
    for (const [na, nb] of ratios) {
      const a = per[names.indexOf(na)]!.get(k)?.value;
      const b = per[names.indexOf(nb)]!.get(k)?.value;
      row.push(a != null && b ? fmtRatio(a / b) : '—');
    }
    rows.push(row);
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  for (const n of names) {
    const i = integrity(results[n]!);
    lines.push(`integrity (${n}): lost ${i.lost}, duplicated ${i.duplicated}, out of order ${i.outOfOrder}, refused posts ${i.rejected}`);
  }
  return lines.join('\n');
}
