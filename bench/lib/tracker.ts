/**
 * Delivery accounting for one measured step: which messages were accepted by the relay, and for
 * every receiving connection which of them arrived, how many twice, and how many out of order
 * (a relay seq not above the previous one on that connection). Lost = accepted but never seen.
 */
import { Histogram } from './stats.js';
import { now, readStamp, type Stamp } from './payload.js';

let nextTag = (Date.now() & 0xffff) << 8;

export class Receiver {
  seen: Uint8Array = new Uint8Array(0);
  lastSeq = 0;
  received = 0;
  duplicated = 0;
  outOfOrder = 0;
  /** Frames from earlier steps or other runs: counted, never confused with this step's. */
  foreign = 0;
  step: Step | null = null;
  /** Which of the step's rooms this connection listens to. */
  roomIdx = 0;

  reset(step: Step | null): void {
    this.step = step;
    this.seen = new Uint8Array(step ? step.planned : 0);
    this.received = 0;
    this.duplicated = 0;
    this.outOfOrder = 0;
    this.foreign = 0;
  }
}

export class Step {
  readonly tag = nextTag++ >>> 0;
  readonly accepted: Uint8Array;
  /** For WebSocket posts: which receiver sent each message (its own echo proves acceptance). */
  readonly publisherOf: Int32Array;
  readonly roomOf: Int32Array;
  /** Deliveries the step is waiting for: accepted-or-pending posts times their room's members. */
  expected = 0;
  readonly latency = new Histogram();
  sent = 0;
  rejected = 0;
  deliveries = 0;
  firstSendAt = 0;
  lastSendAt = 0;
  lastDeliveryAt = 0;
  lastAcceptAt = 0;
  /** Post → HTTP response time, for posts over HTTP. */
  readonly response = new Histogram();
  /** Non-2xx statuses and transport errors seen by HTTP posts, by kind. */
  readonly failures: Record<string, number> = {};
  readonly receivers: Receiver[] = [];

  constructor(readonly planned: number) {
    this.accepted = new Uint8Array(planned);
    this.publisherOf = new Int32Array(planned).fill(-1);
    this.roomOf = new Int32Array(planned);
  }

  attach(rs: Receiver[]): void {
    for (const r of rs) {
      r.reset(this);
      this.receivers.push(r);
    }
  }

  markSent(index: number, roomIdx: number, members: number, publisher = -1): void {
    const t = now();
    if (this.sent === 0) this.firstSendAt = t;
    this.sent++;
    this.lastSendAt = t;
    this.roomOf[index] = roomIdx;
    this.expected += members;
    if (publisher >= 0) this.publisherOf[index] = publisher;
  }

  acceptedCount(): number {
    let n = 0;
    for (let i = 0; i < this.planned; i++) n += this.accepted[i]!;
    return n;
  }

  /** Per-receiver losses summed over receivers, plus sends neither accepted nor rejected. */
  lost(): number {
    let lost = 0;
    for (const r of this.receivers) {
      for (let i = 0; i < this.planned; i++)
        if (this.accepted[i] && !r.seen[i] && this.roomOf[i] === r.roomIdx) lost++;
    }
    const unresolved = this.sent - this.acceptedCount() - this.rejected;
    return lost + Math.max(0, unresolved);
  }

  totals(): { duplicated: number; outOfOrder: number; foreign: number } {
    let duplicated = 0;
    let outOfOrder = 0;
    let foreign = 0;
    for (const r of this.receivers) {
      duplicated += r.duplicated;
      outOfOrder += r.outOfOrder;
      foreign += r.foreign;
    }
    return { duplicated, outOfOrder, foreign };
  }

  detach(): void {
    for (const r of this.receivers) r.step = null;
  }
}

const stamp: Stamp = { tag: 0, index: 0, sentAt: 0 };

/**
 * Account one delivered message frame. `receiverId` is the receiver's index in the step, used
 * to recognise a publisher's own echo.
 */
export function deliver(r: Receiver, receiverId: number, seq: number, ct24: string): void {
  const step = r.step;
  if (!step) return;
  if (!readStamp(ct24, stamp) || stamp.tag !== step.tag || stamp.index >= step.planned) {
    r.foreign++;
    return;
  }
  const t = now();
  const i = stamp.index;
  if (r.seen[i]) {
    r.duplicated++;
    return;
  }
  if (seq <= r.lastSeq) r.outOfOrder++;
  else r.lastSeq = seq;
  r.seen[i] = 1;
  r.received++;
  step.deliveries++;
  step.lastDeliveryAt = t;
  step.latency.add(t - stamp.sentAt);
  if (step.publisherOf[i] === receiverId) {
    step.accepted[i] = 1;
    step.lastAcceptAt = t;
  }
}

/**
 * Pull seq and the first 24 ciphertext characters out of a `message` frame without a full
 * JSON.parse: the load generator must stay much cheaper per delivery than the server.
 * Returns false for any other frame type.
 */
export function scanMessage(text: string, out: { seq: number; ct24: string }): boolean {
  if (text.indexOf('"type":"message"') < 0) return false;
  const s = text.indexOf('"seq":');
  const c = text.indexOf('"ciphertext":"');
  if (s < 0 || c < 0) return false;
  let i = s + 6;
  let seq = 0;
  for (;;) {
    const ch = text.charCodeAt(i);
    if (ch < 48 || ch > 57) break;
    seq = seq * 10 + (ch - 48);
    i++;
  }
  out.seq = seq;
  out.ct24 = text.substr(c + 14, 24);
  return true;
}
