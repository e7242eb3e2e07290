/**
 * A map that remembers the most recent `capacity` keys it was given, forgetting the oldest: the
 * customer state's memory of event ids, sales and early returns. Every operation is O(1), so
 * applying an event costs the same for a customer with ten sales as for one with ten thousand.
 *
 * Keys live in a ring of `capacity` slots in the order they were added; a key deleted (or set
 * again after a delete) leaves its old slot stale, and a stale slot forgets nothing when it is
 * overwritten. So the map holds at most `capacity` keys, and the newest `capacity` additions
 * that were not deleted.
 *
 * Keys are arbitrary strings, so a `Map` rather than an object: a transaction id like
 * `constructor` or `__proto__` is just a key here.
 */
export class RecentMap<V> {
  /** Each live key's slot: small integers, so no allocation per entry. */
  private readonly slots = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly values: (V | undefined)[] = [];
  /**
   * Slots whose key was deleted (it may live on in a newer slot): overwriting them forgets
   * nothing. Made on the first delete; most maps never delete.
   */
  private stale: Uint8Array | undefined;
  /** The slot written next once the ring is full: the oldest one. */
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Rebuilt from keys oldest first (as `keysOldestFirst` gave them); the oldest beyond capacity are dropped. */
  static from<V>(
    capacity: number,
    keysOldestFirst: Iterable<string>,
    lookup: (key: string) => V | undefined,
  ): RecentMap<V> {
    const map = new RecentMap<V>(capacity);
    for (const key of keysOldestFirst) {
      const value = lookup(key);
      if (value !== undefined) map.set(key, value);
    }
    return map;
  }

  get size(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  /** Sets a value; a new key takes the next slot and may push the oldest key out. */
  set(key: string, value: V): void {
    const existing = this.slots.get(key);
    if (existing !== undefined) this.values[existing] = value;
    else this.add(key, value);
  }

  /**
   * Adds a key the caller has just found absent (`has`), sparing a second lookup on the hot
   * path; may push the oldest key out. Adding a present key would leave it in two slots.
   */
  add(key: string, value: V): void {
    let slot: number;
    if (this.keys.length < this.capacity) {
      slot = this.keys.length;
      this.keys.push(key);
      this.values.push(value);
    } else {
      slot = this.next;
      if (this.stale?.[slot] === 1) this.stale[slot] = 0;
      else this.slots.delete(this.keys[slot] as string);
      this.keys[slot] = key;
      this.values[slot] = value;
      this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    }
    this.slots.set(key, slot);
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.values[slot] = undefined;
    this.stale ??= new Uint8Array(this.capacity);
    this.stale[slot] = 1;
    return true;
  }

  /** The live keys, oldest first. O(capacity): for serialising, not for the hot path. */
  keysOldestFirst(): string[] {
    const keys: string[] = [];
    const full = this.keys.length === this.capacity;
    for (let i = 0; i < this.keys.length; i++) {
      const slot = full ? (this.next + i) % this.capacity : i;
      if (this.stale?.[slot] !== 1) keys.push(this.keys[slot] as string);
    }
    return keys;
  }
}
