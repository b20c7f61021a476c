/**
 * What each client address holds of a shared resource (buffered bytes, live rooms), so that a
 * per-address quota can sit under a global fuse. Entries are small integer ids: a stored message
 * keeps its owner as one number in its row, and charging or releasing allocates nothing. An id is
 * given back once its address holds nothing, so the ledger is as large as the set of addresses
 * holding something right now. RAM only; never logged or persisted.
 */
export class AddressLedger {
  private readonly ids = new Map<string, number>();
  private keys: Array<string | undefined> = [];
  private amounts = new Float64Array(64);
  private readonly free: number[] = [];
  private total = 0;

  /** Everything charged and not yet released, over all addresses. */
  get sum(): number {
    return this.total;
  }

  get size(): number {
    return this.ids.size;
  }

  /** What `key` holds now (0 for an address never seen). */
  amountOf(key: string): number {
    const id = this.ids.get(key);
    return id === undefined ? 0 : this.amounts[id]!;
  }

  /** The id `key` holds its amount under, or -1 when it holds nothing. */
  idOf(key: string): number {
    return this.ids.get(key) ?? -1;
  }

  /** Charge `n` to `key`; returns the id to release it with later. */
  charge(key: string, n: number): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.free.pop() ?? this.keys.length;
      if (id >= this.amounts.length) {
        const grown = new Float64Array(this.amounts.length * 2);
        grown.set(this.amounts);
        this.amounts = grown;
      }
      this.keys[id] = key;
      this.amounts[id] = 0;
      this.ids.set(key, id);
    }
    this.amounts[id] = this.amounts[id]! + n;
    this.total += n;
    return id;
  }

  /** Give back `n` of what id holds; an id left holding nothing is forgotten. Negative ids are no one. */
  release(id: number, n: number): void {
    if (id < 0) return;
    const key = this.keys[id];
    if (key === undefined) return;
    const left = this.amounts[id]! - n;
    this.total -= n;
    if (left > 0) {
      this.amounts[id] = left;
      return;
    }
    this.amounts[id] = 0;
    this.keys[id] = undefined;
    this.ids.delete(key);
    this.free.push(id);
  }

  /** The address holding the most, or undefined when nobody holds anything. */
  largest(): { key: string; amount: number } | undefined {
    let best = -1;
    for (const id of this.ids.values()) if (best < 0 || this.amounts[id]! > this.amounts[best]!) best = id;
    return best < 0 ? undefined : { key: this.keys[best]!, amount: this.amounts[best]! };
  }
}
