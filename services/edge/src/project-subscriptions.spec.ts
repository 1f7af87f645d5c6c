import { describe, expect, it } from 'vitest';
import { ProjectSubscriptions } from './project-subscriptions.js';
import type { Subscription } from './subscription.js';

const subscription = (projectId: string) => ({ projectId }) as Subscription;

describe('ProjectSubscriptions', () => {
  it('holds one subscription, replaced by another to the same project', () => {
    const subscriptions = new ProjectSubscriptions();
    expect(subscriptions.size).toBe(0);
    const first = subscription('p-1');
    subscriptions.set(first);
    expect(subscriptions.get('p-1')).toBe(first);
    expect(subscriptions.get('p-2')).toBeUndefined();
    const again = subscription('p-1');
    subscriptions.set(again);
    expect(subscriptions.size).toBe(1);
    expect([...subscriptions]).toEqual([again]);
    expect(subscriptions.delete('p-2')).toBe(false);
    expect(subscriptions.delete('p-1')).toBe(true);
    expect(subscriptions.size).toBe(0);
    expect([...subscriptions]).toEqual([]);
  });

  it('keeps the first when a second project joins it, and each can be taken out', () => {
    const subscriptions = new ProjectSubscriptions();
    const [one, two, three] = ['p-1', 'p-2', 'p-3'].map(subscription);
    subscriptions.set(one!);
    subscriptions.set(two!);
    subscriptions.set(three!);
    expect(subscriptions.size).toBe(3);
    expect(subscriptions.get('p-1')).toBe(one);
    expect([...subscriptions]).toEqual([one, two, three]);
    expect(subscriptions.delete('p-1')).toBe(true);
    expect(subscriptions.delete('p-1')).toBe(false);
    expect(subscriptions.get('p-1')).toBeUndefined();
    expect([...subscriptions]).toEqual([two, three]);
  });

  it('does not visit a subscription deleted while iterating', () => {
    const subscriptions = new ProjectSubscriptions();
    for (const id of ['p-1', 'p-2']) subscriptions.set(subscription(id));
    const visited: string[] = [];
    for (const { projectId } of subscriptions) {
      visited.push(projectId);
      subscriptions.delete('p-2');
    }
    expect(visited).toEqual(['p-1']);
  });
});
