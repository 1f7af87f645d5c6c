import { create } from '@bufbuild/protobuf';
import { ActivityUpdateSchema } from '@codeframe/proto';
import { renderMetrics } from '@codeframe/runtime';
import { type EventPayload, openSqliteStore } from '@codeframe/store';
import { describe, expect, it } from 'vitest';
import { EventHub } from './event-hub.js';

const activity = (message: string): EventPayload => ({
  case: 'activityUpdate',
  value: create(ActivityUpdateSchema, { taskId: 't', message }),
});

const sample = async (name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await renderMetrics()).text)?.[1]);

describe("the lead's gauges", () => {
  it('read the event hub at each scrape: uncommitted appends, a watcher that lags', async () => {
    const store = await openSqliteStore(':memory:');
    const { id } = await store.createProject({
      name: 'p',
      prd: 'A PRD.',
      repoUrl: '',
      budgetUsd: 0,
      maxConcurrency: 0,
    });
    const hub = new EventHub(store);
    const abort = new AbortController();
    const watch = hub.watch(id, 0n, abort.signal);
    // Subscribed live once it has yielded its first event (read from the store).
    await hub.append(id, activity('first'));
    expect((await watch.next()).value?.seq).toBe(1n);

    const pending = Array.from({ length: 5 }, (_, i) => hub.append(id, activity(`m${i}`)));
    expect(await sample('codeframe_event_appends_in_flight')).toBe(5);
    await Promise.all(pending);
    expect(await sample('codeframe_event_appends_in_flight')).toBe(0);
    // Five committed events the watcher has not taken yet.
    expect(await sample('codeframe_watch_backlog_events')).toBe(5);
    for (let i = 0; i < 5; i++) await watch.next();
    expect(await sample('codeframe_watch_backlog_events')).toBe(0);
    abort.abort();
    await watch.return(undefined);
    await store.close();
  });
});
