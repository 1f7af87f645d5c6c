// The edge's HTTP API: the project list and a project's snapshot. Errors carry the edge's
// own sentence (`{"error": "…"}`) and the HTTP status.
import type { AuthToken } from './auth-token.js';
import type { BrowserSnapshot, ProjectList } from './protocol.js';

export class ApiError extends Error {
  /** The HTTP status, or 0 when the edge could not be reached at all. */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }

  /** Worth retrying: the edge or the lead behind it may come back. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status >= 504;
  }
}

/** Where the edge serves an artifact (a screenshot) for a link; the token rides along as
 * `?token=`, since a link cannot send a header. */
export function artifactHref(artifactId: string, token: string | undefined): string {
  const [task = '', file = ''] = artifactId.split('/');
  const path = `/api/artifacts/${encodeURIComponent(task)}/${encodeURIComponent(file)}`;
  return token ? `${path}?token=${encodeURIComponent(token)}` : path;
}

export class EdgeApi {
  constructor(private readonly token: AuthToken) {}

  listProjects(): Promise<ProjectList> {
    return this.#get<ProjectList>('/api/projects');
  }

  snapshot(projectId: string): Promise<BrowserSnapshot> {
    return this.#get<BrowserSnapshot>(`/api/projects/${encodeURIComponent(projectId)}/snapshot`);
  }

  async #get<T>(path: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token.value;
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(path, { headers, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, `cannot reach the edge (${(err as Error).message})`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const sentence =
        body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
          ? (body as { error: string }).error
          : `the edge answered ${response.status} ${response.statusText}`.trim();
      throw new ApiError(response.status, sentence);
    }
    if (body === undefined)
      throw new ApiError(response.status, `the edge sent no JSON for ${path}`);
    return body as T;
  }
}
