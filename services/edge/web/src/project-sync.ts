// Keeps a ProjectState in step with the lead: snapshot, then the event stream from the
// edge, applied strictly in seq order. Counts duplicates and gaps, re-fetches the snapshot
// after a gap, resubscribes from the last applied seq after every reconnect, and reports how
// a catch-up happened.
import type { AuthToken } from './auth-token.js';
import { ApiError, type EdgeApi } from './edge-api.js';
import { EdgeConnection, type SocketState } from './edge-connection.js';
import { plural } from './format.js';
import type { ProjectState } from './project-state.js';
import type {
  BrowserEvent,
  BrowserSnapshot,
  ClientFrame,
  ControlFrame,
  Recovery,
  ServerFrame,
} from './protocol.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

export type ConnectionView = 'live' | 'connecting' | 'reconnecting' | 'offline' | 'unauthorized';

type Phase =
  /** No project chosen. */
  | 'idle'
  /** Fetching the first snapshot. */
  | 'loading'
  /** Snapshot applied; events are applied as they come. */
  | 'ready'
  /** A gap was seen: fetching a fresh snapshot, events are ignored meanwhile. */
  | 'resyncing'
  /** Nothing more to do (unknown project, project not in the token, token rejected). */
  | 'failed';

export interface Banner {
  message: string;
  /** When the next attempt happens, for messages about something being retried. */
  retryAt?: number;
}

const NOTICE_MS = 8_000;
const PROBE_INTERVAL_MS = 5_000;

/** Opening a project replays its whole log when it has at most this many events. */
const HISTORY_EVENTS = 5_000;

/** The project as it was before its first event: what a replay from seq 0 starts from. */
function beforeFirstEvent(snapshot: BrowserSnapshot): BrowserSnapshot {
  const { usage: _usage, ...project } = snapshot.project;
  return {
    project: { ...project, status: 'PROJECT_STATUS_CREATED' },
    tasks: [],
    blockers: [],
    seq: 0,
  };
}

function socketUrl(token: string | undefined): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${window.location.host}/ws${query}`;
}

export class ProjectSync {
  projectId: string | undefined;
  lastSeq = 0;
  gaps = 0;
  duplicates = 0;
  epoch = '';
  recovered: Recovery | '' = '';
  banner: Banner | undefined;
  /** How the last resubscription caught up, shown for a few seconds. */
  notice: { text: string; until: number } | undefined;
  readonly connection: EdgeConnection;
  #phase: Phase = 'idle';
  #subscribed = false;
  #subscribedOnce = false;
  #subscribedFrom = 0;
  #resynced = false;
  /** Projects this page asked to unsubscribe from, whose `unsubscribed` is expected. */
  readonly #unsubscribing = new Set<string>();
  #generation = 0;
  #snapshotRetryAt = 0;
  #lastProbe = 0;
  #resubscribeTimer: number | undefined;
  readonly #snapshotBackoff = new ReconnectBackoff();
  readonly #subscribeBackoff = new ReconnectBackoff();

  constructor(
    private readonly api: EdgeApi,
    private readonly token: AuthToken,
    private readonly state: ProjectState,
    private readonly changed: () => void,
  ) {
    this.connection = new EdgeConnection(() => socketUrl(this.token.value), {
      open: () => {
        if (this.#phase === 'ready') this.#subscribe();
        this.changed();
      },
      frame: (frame) => this.#onFrame(frame),
      closed: (code, reason, opened) => this.#onClosed(code, reason, opened),
      stateChanged: () => this.changed(),
    });
  }

  get phase(): Phase {
    return this.#phase;
  }

  get failed(): boolean {
    return this.#phase === 'failed';
  }

  /** The connection as the header shows it. */
  get view(): ConnectionView {
    const socket: SocketState = this.connection.state;
    if (socket === 'unauthorized') return 'unauthorized';
    if (socket === 'offline') return 'offline';
    if (this.#phase === 'failed') return 'offline';
    if (this.#snapshotRetryAt > Date.now()) return 'reconnecting';
    if (socket === 'waiting') return 'reconnecting';
    if (socket === 'open' && this.#subscribed && this.#phase === 'ready') return 'live';
    return 'connecting';
  }

  /** When the next attempt happens while `view` is `reconnecting`. */
  get retryAt(): number {
    return Math.max(
      this.#snapshotRetryAt,
      this.connection.state === 'waiting' ? this.connection.retryAt : 0,
    );
  }

  /** Shows `projectId` from scratch: snapshot, then the live stream. */
  async open(projectId: string): Promise<void> {
    if (this.#subscribed && this.projectId) {
      this.#unsubscribing.add(this.projectId);
      this.connection.send({ type: 'unsubscribe', project_id: this.projectId });
    }
    this.projectId = projectId;
    this.#subscribed = false;
    this.#subscribedOnce = false;
    this.lastSeq = 0;
    this.gaps = 0;
    this.duplicates = 0;
    this.recovered = '';
    this.banner = undefined;
    this.notice = undefined;
    this.state.clear();
    this.#phase = 'loading';
    this.changed();
    if (!(await this.#loadSnapshot(true))) return;
    if (this.connection.state === 'stopped') this.connection.start();
    else if (this.connection.state === 'open') this.#subscribe();
  }

  /** The edge reported the token as rejected (HTTP 401 or close code 4001). */
  unauthorized(detail: string): void {
    this.#phase = 'failed';
    this.token.forget();
    this.connection.stop('unauthorized');
    this.banner = { message: `Token rejected or expired: ${detail}` };
    this.changed();
  }

  answer(blockerId: string, answer: string): void {
    if (!answer.trim()) {
      this.state.blockerFailed(blockerId, 'write an answer first');
    } else if (!this.#send({ type: 'answer_blocker', blocker_id: blockerId, answer })) {
      this.state.blockerFailed(
        blockerId,
        'not connected to the edge; send it again once the header says live',
      );
    } else {
      this.state.markSending(blockerId);
    }
    this.changed();
  }

  /** Retries now whatever is waiting (the banner's button). */
  retryNow(): void {
    this.#snapshotRetryAt = 0;
    this.connection.reconnectNow();
  }

  /**
   * Loads the snapshot into the state, retrying while the lead is unreachable. On opening a
   * project whose log is short enough, the page starts from an empty project instead and
   * replays every event, so the activity log shows how the run went, not just its end.
   */
  async #loadSnapshot(withHistory = false): Promise<boolean> {
    const generation = ++this.#generation;
    const projectId = this.projectId!;
    for (;;) {
      try {
        const snapshot = await this.api.snapshot(projectId);
        if (generation !== this.#generation) return false;
        this.#snapshotBackoff.reset();
        this.#snapshotRetryAt = 0;
        const replay = withHistory && snapshot.seq <= HISTORY_EVENTS;
        this.state.reset(replay ? beforeFirstEvent(snapshot) : snapshot);
        this.lastSeq = replay ? 0 : snapshot.seq;
        this.#phase = 'ready';
        if (this.banner?.retryAt !== undefined) this.banner = undefined;
        this.changed();
        return true;
      } catch (err) {
        if (generation !== this.#generation) return false;
        const error =
          err instanceof ApiError ? err : new ApiError(0, (err as Error).message || String(err));
        if (error.status === 401) {
          this.unauthorized(error.message);
          return false;
        }
        if (!error.transient) {
          this.#phase = 'failed';
          this.banner = { message: error.message };
          this.changed();
          return false;
        }
        const delay = this.#snapshotBackoff.next();
        this.#snapshotRetryAt = Date.now() + delay;
        this.banner = { message: error.message, retryAt: this.#snapshotRetryAt };
        this.changed();
        await new Promise<void>((resolve) => {
          const timer = window.setInterval(() => {
            if (Date.now() >= this.#snapshotRetryAt || generation !== this.#generation) {
              window.clearInterval(timer);
              resolve();
            }
          }, 100);
        });
        if (generation !== this.#generation) return false;
      }
    }
  }

  #send(frame: ClientFrame): boolean {
    return this.connection.send(frame);
  }

  #subscribe(): void {
    if (!this.projectId) return;
    window.clearTimeout(this.#resubscribeTimer);
    this.#subscribedFrom = this.lastSeq;
    this.#send({ type: 'subscribe', project_id: this.projectId, last_seq: this.lastSeq });
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'subscribed':
      case 'unsubscribed':
      case 'pong':
      case 'heartbeat':
      case 'error':
        this.#onControl(frame);
        return;
      default:
        this.#onEvent(frame);
    }
  }

  #onControl(frame: ControlFrame): void {
    switch (frame.type) {
      case 'subscribed': {
        if (frame.project_id !== this.projectId) return;
        this.connection.healthy();
        this.#subscribeBackoff.reset();
        const previousEpoch = this.epoch;
        this.#subscribed = true;
        this.epoch = frame.epoch;
        this.recovered = frame.recovered;
        if (this.#subscribedOnce) this.#announceCatchUp(frame.seq, previousEpoch);
        this.#subscribedOnce = true;
        if (this.banner && this.banner.retryAt === undefined && this.#phase === 'ready') {
          this.banner = undefined;
        }
        this.changed();
        return;
      }
      case 'unsubscribed': {
        // An answer to this page's own unsubscribe (a project switch, or a resync).
        if (this.#unsubscribing.delete(frame.project_id)) return;
        if (frame.project_id !== this.projectId) return;
        // The edge ended the subscription on its own: ask again.
        this.#subscribed = false;
        if (this.#phase === 'ready') this.#resubscribeLater();
        this.changed();
        return;
      }
      case 'error': {
        if (frame.blocker_id) {
          this.state.blockerFailed(frame.blocker_id, frame.error);
        } else if (!frame.project_id || frame.project_id === this.projectId) {
          this.banner = { message: frame.error };
          if (!this.#subscribed && this.#phase === 'ready') this.#resubscribeLater();
        }
        this.changed();
        return;
      }
      case 'heartbeat':
      case 'pong':
        return;
    }
  }

  #onEvent(event: BrowserEvent): void {
    if (event.project_id !== this.projectId || this.#phase !== 'ready') return;
    if (event.seq <= this.lastSeq) {
      this.duplicates += 1;
      this.changed();
      return;
    }
    if (event.seq > this.lastSeq + 1) {
      this.gaps += 1;
      console.warn(
        `gap: expected seq ${this.lastSeq + 1}, got ${event.seq}; reloading the snapshot`,
      );
      void this.#resync();
      return;
    }
    this.state.apply(event);
    this.lastSeq = event.seq;
    this.changed();
  }

  async #resync(): Promise<void> {
    this.#phase = 'resyncing';
    this.#resynced = true;
    if (this.#subscribed && this.projectId) {
      this.#unsubscribing.add(this.projectId);
      this.#send({ type: 'unsubscribe', project_id: this.projectId });
    }
    this.#subscribed = false;
    this.changed();
    if (!(await this.#loadSnapshot())) return;
    if (this.connection.state === 'open') this.#subscribe();
  }

  #resubscribeLater(): void {
    window.clearTimeout(this.#resubscribeTimer);
    this.#resubscribeTimer = window.setTimeout(() => {
      if (this.connection.state === 'open' && !this.#subscribed && this.#phase === 'ready')
        this.#subscribe();
    }, this.#subscribeBackoff.next());
  }

  #announceCatchUp(edgeSeq: number, previousEpoch: string): void {
    const missed = Math.max(0, edgeSeq - this.#subscribedFrom);
    const restarted = previousEpoch !== '' && previousEpoch !== this.epoch;
    let text: string;
    if (this.#resynced) {
      this.#resynced = false;
      text = 'reloaded the snapshot after a gap in the stream';
    } else if (this.recovered === 'buffer') {
      text = `caught up ${plural(missed, 'event')} from the edge's buffer`;
    } else if (this.recovered === 'lead') {
      text = `caught up ${plural(missed, 'event')} replayed by the lead${restarted ? ' (edge restarted)' : ''}`;
    } else {
      text = restarted
        ? 'reconnected to a restarted edge; nothing was missed'
        : 'reconnected; nothing was missed';
    }
    this.notice = { text, until: Date.now() + NOTICE_MS };
  }

  #onClosed(code: number, reason: string, opened: boolean): void {
    this.#subscribed = false;
    this.#unsubscribing.clear();
    this.state.connectionLost();
    if (code === 4001) {
      this.unauthorized(reason || 'the edge closed the connection (4001)');
      return;
    }
    if (code === 4002 || code === 4003) {
      console.warn(`the edge closed the socket (${code} ${reason}); reconnecting`);
    }
    // A socket refused before it opened may be a rejected token: the upgrade's 401 is not
    // visible to scripts, so ask the HTTP API, which says so plainly.
    if (!opened && this.projectId && Date.now() - this.#lastProbe > PROBE_INTERVAL_MS) {
      this.#lastProbe = Date.now();
      this.api.snapshot(this.projectId).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) this.unauthorized(err.message);
      });
    }
    this.changed();
  }
}
