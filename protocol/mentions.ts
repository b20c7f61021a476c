/**
 * `@name` mentions (reference-client.md §5.17): an `@` not preceded by a word character,
 * then 1–48 characters of `[A-Za-z0-9_-]`, then a boundary. `foo@example.com` is not a mention.
 * Mentions live inside the ciphertext; only clients ever look at them.
 */
const MENTION_RE = /(?<![A-Za-z0-9_])@([A-Za-z0-9_-]{1,48})(?![A-Za-z0-9_-])/g;

/** Every mentioned token, lowercased, without the `@`, in order of first appearance. */
export function extractMentions(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(MENTION_RE)) if (m[1]) seen.add(m[1].toLowerCase());
  return [...seen];
}

/** Does `text` mention any of `names` (display names or handles, with or without `@`)? */
export function mentionsAny(text: string, names: ReadonlyArray<string>): boolean {
  const wanted = new Set(names.map((n) => n.replace(/^@/, '').toLowerCase()).filter(Boolean));
  return extractMentions(text).some((m) => wanted.has(m));
}

/**
 * True when a message is addressed to others only: it mentions someone, but none of `myNames`.
 * Listener loops skip these silently (the seeds' "silent-skip for non-addressed messages").
 */
export function addressedToOthersOnly(text: string, myNames: ReadonlyArray<string>): boolean {
  const mentioned = extractMentions(text);
  return mentioned.length > 0 && !mentionsAny(text, myNames);
}
