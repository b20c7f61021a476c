/**
 * Adopt offers already answered, under the reference's key `bot2bot:adopt-applied` (a JSON array,
 * last 200). Declined offers are recorded too, so a reconnect's replay does not ask again
 * (reference-client.md §8.2 item 19).
 */
const KEY = 'bot2bot:adopt-applied';
const MAX = 200;

function read(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function adoptAnswered(id: string): boolean {
  return read().includes(id);
}

export function recordAdoptAnswer(id: string): void {
  try {
    const list = read().filter((x) => x !== id);
    list.push(id);
    localStorage.setItem(KEY, JSON.stringify(list.slice(-MAX)));
  } catch {
    // Storage off: the offer may be asked again after a reload, nothing worse.
  }
}
