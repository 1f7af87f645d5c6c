import { describe, expect, it } from 'vitest';
import { EventRing } from './event-ring.js';

const fill = (ring: EventRing, from: number, to: number) => {
  for (let seq = from; seq <= to; seq++) ring.push(seq, `e${seq}`);
};

describe('EventRing', () => {
  it('holds every event after startAfter, and serves the ones after a covered seq', () => {
    const ring = new EventRing(10, 4);
    expect(ring.head).toBe(4);
    expect(ring.covers(4)).toBe(true);
    expect(ring.framesAfter(4)).toEqual([]);
    fill(ring, 5, 8);
    expect(ring.head).toBe(8);
    expect(ring.framesAfter(6)).toEqual(['e7', 'e8']);
    expect(ring.at(5)).toBe('e5');
    expect(ring.covers(3)).toBe(false);
    expect(ring.covers(9)).toBe(false);
  });

  it('evicts the oldest when full, and no longer covers what it evicted', () => {
    const ring = new EventRing(3);
    fill(ring, 1, 7);
    expect(ring.startAfter).toBe(4);
    expect(ring.size).toBe(3);
    expect(ring.framesAfter(4)).toEqual(['e5', 'e6', 'e7']);
    expect(ring.covers(3)).toBe(false);
    expect(() => ring.framesAfter(2)).toThrow(/holds events 5..7/);
    expect(() => ring.at(4)).toThrow(RangeError);
  });

  it('refuses a gap or a repeated seq', () => {
    const ring = new EventRing(3);
    ring.push(1, 'e1');
    expect(() => ring.push(3, 'e3')).toThrow(/does not follow 1/);
    expect(() => ring.push(1, 'e1')).toThrow(/does not follow 1/);
    expect(() => new EventRing(0)).toThrow(/positive integer/);
  });
});
