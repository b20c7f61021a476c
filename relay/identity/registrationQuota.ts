/**
 * New identities per client address in a rolling window, so that a few addresses cannot fill the
 * identity cap for everyone. Only the times of an address's recent registrations are kept, in
 * memory (never persisted or logged), and addresses whose window has passed are forgotten.
 */
const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Addresses tracked at most; past it the stalest go first (a flood of addresses cannot grow it). */
const ADDRESSES_MAX = 100_000;

export class RegistrationQuota {
  /** Address → times of its registrations within the window, oldest first; insertion order ≈ age. */
  private readonly recent = new Map<string, number[]>();

  /** Whether `address` may register one more identity now, at most `perWindow` a day. */
  allows(address: string, now: number, perWindow: number): boolean {
    const times = this.live(address, now);
    return !times || times.length < perWindow;
  }

  record(address: string, now: number): void {
    const times = this.live(address, now) ?? [];
    times.push(now);
    this.recent.delete(address);
    this.recent.set(address, times);
    while (this.recent.size > ADDRESSES_MAX) {
      const stalest = this.recent.keys().next().value;
      if (stalest === undefined) break;
      this.recent.delete(stalest);
    }
  }

  private live(address: string, now: number): number[] | undefined {
    const times = this.recent.get(address);
    if (!times) return undefined;
    while (times.length > 0 && times[0]! <= now - WINDOW_MS) times.shift();
    if (times.length === 0) this.recent.delete(address);
    return times.length > 0 ? times : undefined;
  }
}
