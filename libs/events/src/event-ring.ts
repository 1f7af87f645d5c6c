/**
 * The last `capacity` serialised events of one project, in seq order with no gaps. It holds
 * every event after `startAfter` up to `head`, so a subscriber that last saw a seq in
 * `[startAfter, head]` can be served entirely from it.
 */
export class EventRing {
  readonly #frames: string[];
  #first = 0;
  #size = 0;
  #startAfter: number;

  constructor(
    readonly capacity: number,
    startAfter = 0,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    }
    this.#frames = new Array(capacity);
    this.#startAfter = startAfter;
  }

  /** The seq just before the oldest event held. */
  get startAfter(): number {
    return this.#startAfter;
  }

  /** The newest seq held (equal to `startAfter` when empty). */
  get head(): number {
    return this.#startAfter + this.#size;
  }

  get size(): number {
    return this.#size;
  }

  /** Appends the next event; its seq must be `head + 1`. Evicts the oldest when full. */
  push(seq: number, frame: string): void {
    if (seq !== this.head + 1) {
      throw new RangeError(`event ${seq} does not follow ${this.head}: the ring never holds a gap`);
    }
    if (this.#size === this.capacity) {
      this.#frames[this.#first] = frame;
      this.#first = (this.#first + 1) % this.capacity;
      this.#startAfter++;
    } else {
      this.#frames[(this.#first + this.#size) % this.capacity] = frame;
      this.#size++;
    }
  }

  /** Whether every event after `afterSeq` up to `head` is held. */
  covers(afterSeq: number): boolean {
    return afterSeq >= this.#startAfter && afterSeq <= this.head;
  }

  /** The frame of event `seq`, which must be held. */
  at(seq: number): string {
    if (seq <= this.#startAfter || seq > this.head) {
      throw new RangeError(
        `the ring holds events ${this.#startAfter + 1}..${this.head}, not ${seq}`,
      );
    }
    return this.#frames[(this.#first + seq - this.#startAfter - 1) % this.capacity] as string;
  }

  /** The frames after `afterSeq`, oldest first; `afterSeq` must be covered. */
  framesAfter(afterSeq: number): string[] {
    if (!this.covers(afterSeq)) {
      throw new RangeError(
        `the ring holds events ${this.#startAfter + 1}..${this.head}, not all after ${afterSeq}`,
      );
    }
    const frames: string[] = [];
    for (let i = afterSeq - this.#startAfter; i < this.#size; i++) {
      frames.push(this.#frames[(this.#first + i) % this.capacity] as string);
    }
    return frames;
  }
}
