// The edge's counters, exposed at /metrics in the Prometheus text format (prom-client).
import { Counter, Gauge, Registry } from 'prom-client';

export interface MetricsSources {
  connections(): number;
  subscriptions(): number;
  /** Per watched project: seconds between the lead persisting its last event and the edge receiving it. */
  upstreams(): { projectId: string; connected: boolean; lagSeconds: number; ringEvents: number }[];
}

export class EdgeMetrics {
  /** Frames sent to browsers: events (published once, counted per receiver) and replies. */
  messagesOut = 0;
  eventsIn = 0;
  /** Sockets closed because they did not read fast enough. */
  slowClientCloses = 0;
  /** Times a feed waited for its sockets to drain before reading on from the lead. */
  feedPauses = 0;
  upstreamReconnects = 0;
  errorFrames = 0;
  authFailures = 0;
  /** Requests whose Host header names no host this edge serves (421). */
  refusedHosts = 0;
  /** WebSocket upgrades from a browser origin that is not allowed (403). */
  refusedOrigins = 0;
  /** Requests answered 400 for malformed input (bad escapes, ids). */
  badRequests = 0;
  /** Handler failures that were the edge's own fault, each logged with an id. */
  internalErrors = 0;
  /** Sockets closed for asking past their limits too often (4004). */
  limitCloses = 0;
  /** Subscriptions refused at a cap (per socket, or the edge's lookups at the lead). */
  readonly capHits = { subscriptions: 0, pending_subscriptions: 0, opening_projects: 0 };
  readonly recoveries = { none: 0, buffer: 0, lead: 0 };

  /**
   * The Prometheus text of the edge's families. Counting stays plain additions on the hot
   * path; the families read the counts at scrape time, in a registry of this edge's own (a
   * process may run several edges: tests do).
   */
  render(sources: MetricsSources): Promise<string> {
    this.#registry ??= this.#families();
    this.#sources = sources;
    return this.#registry.metrics();
  }

  #registry: Registry | undefined;
  #sources: MetricsSources | undefined;

  #families(): Registry {
    const registry = new Registry();
    const gauge = (name: string, help: string, read: (s: MetricsSources) => number) =>
      new Gauge({
        name: `codeframe_edge_${name}`,
        help,
        registers: [registry],
        collect: collector((g: Gauge) => g.set(read(this.#sources!))),
      });
    const count = (name: string, help: string, read: () => number) =>
      new Counter({
        name: `codeframe_edge_${name}`,
        help,
        registers: [registry],
        collect: collector((c: Counter) => {
          c.reset();
          c.inc(read());
        }),
      });
    const counts = <K extends string>(
      name: string,
      help: string,
      label: string,
      values: Record<K, number>,
    ) =>
      new Counter({
        name: `codeframe_edge_${name}`,
        help,
        labelNames: [label],
        registers: [registry],
        collect: collector((c: Counter<string>) => {
          c.reset();
          for (const [key, n] of Object.entries<number>(values)) c.inc({ [label]: key }, n);
        }),
      });
    gauge('connections', 'Open WebSocket connections.', (s) => s.connections());
    gauge('subscriptions', 'Project subscriptions.', (s) => s.subscriptions());
    count('messages_out_total', 'Frames sent to browsers.', () => this.messagesOut);
    count('events_in_total', 'Events received from the lead.', () => this.eventsIn);
    count(
      'slow_client_closes_total',
      'Connections closed at the backpressure limit (dropped clients).',
      () => this.slowClientCloses,
    );
    count(
      'feed_pauses_total',
      "Times a project's feed waited for its sockets to drain before reading on from the lead.",
      () => this.feedPauses,
    );
    count(
      'upstream_reconnects_total',
      'WatchEvents streams re-opened after failing.',
      () => this.upstreamReconnects,
    );
    count('error_frames_total', 'Error frames sent.', () => this.errorFrames);
    count(
      'auth_failures_total',
      'Requests refused for a missing or bad token.',
      () => this.authFailures,
    );
    count(
      'refused_hosts_total',
      'Requests refused (421) for a Host the edge does not serve.',
      () => this.refusedHosts,
    );
    count(
      'refused_origins_total',
      'WebSocket upgrades refused (403) for their browser origin.',
      () => this.refusedOrigins,
    );
    count(
      'bad_requests_total',
      'Requests answered 400 for malformed input.',
      () => this.badRequests,
    );
    count(
      'internal_errors_total',
      'Handler failures of the edge itself, each logged with an error id.',
      () => this.internalErrors,
    );
    count(
      'limit_closes_total',
      'Connections closed (4004) for asking past their limits too often.',
      () => this.limitCloses,
    );
    counts('cap_hits_total', 'Subscriptions refused at a cap.', 'cap', this.capHits);
    counts(
      'recoveries_total',
      'Resubscriptions by where the missed events came from.',
      'source',
      this.recoveries,
    );
    // Over all watched projects, never one series per project: ids are not labels.
    const upstreams = (s: MetricsSources) => s.upstreams();
    gauge('upstreams', 'Open WatchEvents streams.', (s) => upstreams(s).length);
    gauge(
      'upstreams_disconnected',
      'WatchEvents streams down and being re-opened.',
      (s) => upstreams(s).filter((u) => !u.connected).length,
    );
    gauge(
      'upstream_lag_seconds',
      'The largest age, over the watched projects, of the last event when the edge received it.',
      (s) => Math.max(0, ...upstreams(s).map((u) => u.lagSeconds)),
    );
    gauge('ring_events', "Events held in the projects' resume buffers.", (s) =>
      upstreams(s).reduce((n, u) => n + u.ringEvents, 0),
    );
    return registry;
  }
}

/** prom-client calls `collect` with the metric as `this`. */
function collector<M>(read: (metric: M) => void): (this: M) => void {
  return function (this: M) {
    read(this);
  };
}
