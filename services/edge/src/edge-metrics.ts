// The edge's counters, exposed at /metrics in the Prometheus text format.

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

  render(sources: MetricsSources): string {
    const upstreams = sources.upstreams();
    const lines = [
      ...metric('connections', 'gauge', 'Open WebSocket connections.', sources.connections()),
      ...metric('subscriptions', 'gauge', 'Project subscriptions.', sources.subscriptions()),
      ...metric('messages_out_total', 'counter', 'Frames sent to browsers.', this.messagesOut),
      ...metric('events_in_total', 'counter', 'Events received from the lead.', this.eventsIn),
      ...metric(
        'slow_client_closes_total',
        'counter',
        'Connections closed at the backpressure limit (dropped clients).',
        this.slowClientCloses,
      ),
      ...metric(
        'upstream_reconnects_total',
        'counter',
        'WatchEvents streams re-opened after failing.',
        this.upstreamReconnects,
      ),
      ...metric('error_frames_total', 'counter', 'Error frames sent.', this.errorFrames),
      ...metric(
        'auth_failures_total',
        'counter',
        'Requests refused for a missing or bad token.',
        this.authFailures,
      ),
      ...metric(
        'refused_hosts_total',
        'counter',
        'Requests refused (421) for a Host the edge does not serve.',
        this.refusedHosts,
      ),
      ...metric(
        'refused_origins_total',
        'counter',
        'WebSocket upgrades refused (403) for their browser origin.',
        this.refusedOrigins,
      ),
      ...metric(
        'bad_requests_total',
        'counter',
        'Requests answered 400 for malformed input.',
        this.badRequests,
      ),
      ...metric(
        'internal_errors_total',
        'counter',
        'Handler failures of the edge itself, each logged with an error id.',
        this.internalErrors,
      ),
      ...metric(
        'limit_closes_total',
        'counter',
        'Connections closed (4004) for asking past their limits too often.',
        this.limitCloses,
      ),
      '# HELP codeframe_edge_cap_hits_total Subscriptions refused at a cap.',
      '# TYPE codeframe_edge_cap_hits_total counter',
      ...Object.entries(this.capHits).map(
        ([cap, n]) => `codeframe_edge_cap_hits_total{cap="${cap}"} ${n}`,
      ),
      '# HELP codeframe_edge_recoveries_total Resubscriptions by where the missed events came from.',
      '# TYPE codeframe_edge_recoveries_total counter',
      ...Object.entries(this.recoveries).map(
        ([source, n]) => `codeframe_edge_recoveries_total{source="${source}"} ${n}`,
      ),
      ...metric('upstreams', 'gauge', 'Open WatchEvents streams.', upstreams.length),
      '# HELP codeframe_edge_upstream_lag_seconds Age of the last event when the edge received it.',
      '# TYPE codeframe_edge_upstream_lag_seconds gauge',
      ...upstreams.map(
        (u) => `codeframe_edge_upstream_lag_seconds${label(u.projectId)} ${u.lagSeconds}`,
      ),
      "# HELP codeframe_edge_upstream_connected Whether the project's WatchEvents stream is up.",
      '# TYPE codeframe_edge_upstream_connected gauge',
      ...upstreams.map(
        (u) => `codeframe_edge_upstream_connected${label(u.projectId)} ${u.connected ? 1 : 0}`,
      ),
      "# HELP codeframe_edge_ring_events Events held in the project's resume buffer.",
      '# TYPE codeframe_edge_ring_events gauge',
      ...upstreams.map((u) => `codeframe_edge_ring_events${label(u.projectId)} ${u.ringEvents}`),
    ];
    return `${lines.join('\n')}\n`;
  }
}

function metric(name: string, type: 'gauge' | 'counter', help: string, value: number): string[] {
  const full = `codeframe_edge_${name}`;
  return [`# HELP ${full} ${help}`, `# TYPE ${full} ${type}`, `${full} ${value}`];
}

function label(projectId: string): string {
  return `{project="${projectId.replace(/["\\\n]/g, '_')}"}`;
}
