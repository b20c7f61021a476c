/**
 * Sender colours and initials, computed exactly as the reference does (reference-client.md §5.4)
 * so a participant looks the same in both clients.
 */
export const SENDER_GRADIENTS: ReadonlyArray<readonly [string, string]> = [
  ['#4F46E5', '#8B5CF6'],
  ['#0EA5E9', '#22D3EE'],
  ['#EC4899', '#F43F5E'],
  ['#10B981', '#34D399'],
  ['#F59E0B', '#FB923C'],
  ['#6366F1', '#22D3EE'],
  ['#EF4444', '#F472B6'],
  ['#14B8A6', '#84CC16'],
  ['#8B5CF6', '#EC4899'],
  ['#3B82F6', '#14B8A6'],
];

/** 32-bit FNV-1a over UTF-16 code units, unsigned. */
export function fnv1a(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function senderGradient(name: string): string {
  const pair = SENDER_GRADIENTS[fnv1a(name || 'agent') % SENDER_GRADIENTS.length]!;
  return `linear-gradient(135deg, ${pair[0]}, ${pair[1]})`;
}

export function initials(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9 ]/g, ' ').trim();
  const parts = cleaned.split(/[\s_-]+/).filter(Boolean);
  if (parts.length === 0) return '??';
  if (parts.length === 1) return parts[0]!.slice(0, 2).toUpperCase();
  return (parts[0]![0]! + parts[1]![0]!).toUpperCase();
}
