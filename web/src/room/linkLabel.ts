/**
 * What a link may show. A label that claims a URL other than its target shows the target instead;
 * a label that names some other host (`paypal.example`, `README.md`) keeps its words and the real
 * host is shown beside it. Only linear scans here: labels are attacker-controlled.
 */
export type LinkLabel = { kind: 'text' } | { kind: 'href' } | { kind: 'host'; host: string };

export function linkLabel(text: string, href: string): LinkLabel {
  let target: URL;
  try {
    target = new URL(href);
  } catch {
    return { kind: 'href' };
  }
  const label = text.trim();
  const lower = label.toLowerCase();
  if (lower.includes('://') || lower.startsWith('www.') || lower.includes('mailto:')) {
    return sameUrl(label, target) ? { kind: 'text' } : { kind: 'href' };
  }
  const mailto = target.protocol === 'mailto:';
  const shown = mailto ? address(target) : target.host;
  for (const word of label.split(/[\s,;()<>[\]{}"'`|]+/)) {
    const w = trimPunctuation(word);
    if (!w.includes('.')) continue;
    if (mailto && w.includes('@')) {
      if (w.toLowerCase() !== shown.toLowerCase()) return { kind: 'host', host: shown };
      continue;
    }
    const host = hostOf(w);
    if (host && stripWww(host) !== stripWww(target.hostname)) return { kind: 'host', host: shown };
  }
  return { kind: 'text' };
}

function sameUrl(label: string, target: URL): boolean {
  const lower = label.toLowerCase();
  const raw = lower.startsWith('www.') ? 'https://' + label : label;
  try {
    const u = new URL(raw);
    if (u.href === target.href) return true;
    // `https://a.example` and `https://a.example/` name the same page.
    return u.href + '/' === target.href || u.href === target.href + '/';
  } catch {
    return false;
  }
}

function address(u: URL): string {
  try {
    return decodeURIComponent(u.pathname);
  } catch {
    return u.pathname;
  }
}

function trimPunctuation(w: string): string {
  let end = w.length;
  while (end > 0 && '.:!?'.includes(w[end - 1]!)) end--;
  return w.slice(0, end);
}

function stripWww(h: string): string {
  return h.startsWith('www.') ? h.slice(4) : h;
}

const LABEL = /^[\p{L}\p{N}-]+$/u;
const TLD = /^(?:\p{L}{2,63}|xn--[a-z0-9-]+)$/iu;
const DIGITS = /^\d{1,3}$/;

/** The normalised host a word names (`a.example`, `user@a.example/x`, `1.2.3.4:80`), or null. */
function hostOf(word: string): string | null {
  let h = word.slice(word.lastIndexOf('@') + 1);
  for (const stop of ['/', '?', '#']) {
    const i = h.indexOf(stop);
    if (i >= 0) h = h.slice(0, i);
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  const labels = h.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  const ipv4 = labels.length === 4 && labels.every((l) => DIGITS.test(l));
  if (!ipv4 && !TLD.test(labels[labels.length - 1]!)) return null;
  try {
    return new URL('http://' + h).hostname;
  } catch {
    return null;
  }
}
