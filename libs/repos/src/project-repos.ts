import { rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Project } from '@codeframe/proto';
import { hostName, isLocalhostName } from '@codeframe/rpc';
import { type GitCredentials, splitCredentials, withCredentials } from '@codeframe/runtime';
import type { Store } from '@codeframe/store';
import { GIT_PREFIX, GIT_USER } from './git-http.js';
import { createProjectRepo, defaultRepoUrl } from './project-repo.js';
import {
  type AdmittedRepo,
  admitRepoUrl,
  DEFAULT_REPO_URL_SETTINGS,
  type RepoUrlSettings,
} from './repo-url-policy.js';

/** How git reaches a project's repository: the URL, and the credentials kept apart from it. */
export interface RepoAccess {
  url: string;
  credentials?: GitCredentials;
  /** Moves of its branches go under the project's lease (merge-repo.ts). */
  fence?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * The projects' repositories: the URL a project is given (under the policy), the one its
 * workers use (its own, else the lead's bare repository), and what clients are shown.
 */
/** The lead's git endpoint as workers reach it (git-http.ts). */
export interface GitEndpoint {
  /** The lead's base URL, e.g. http://10.0.0.4:7100 (CODEFRAME_ADVERTISED_URL). */
  baseUrl: string;
  /** The lead's token, which the endpoint requires when set. */
  token: string | undefined;
  /** Also for workers on the lead's own machine (CODEFRAME_GIT_HTTP=always). */
  always: boolean;
}

/** Whether a replica's address (host:port, or a URL) is a loopback one. */
function onThisMachine(address: string): boolean {
  const hostPort = address.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const name = hostName(hostPort);
  if (name === undefined) return false;
  const bare = name.replace(/^\[|\]$/g, '');
  return isLocalhostName(bare) || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

export class ProjectRepos {
  /** Set once the lead serves its repositories over HTTP; until then workers get file://. */
  endpoint: GitEndpoint | undefined;

  constructor(private readonly o: { dataDir: string; store: Store; settings?: RepoUrlSettings }) {}

  /** The project as clients see it: with the URL of the lead's bare repo when it has none,
   * and never with credentials (a project stored before they were kept apart may have some). */
  shown(project: Project): Project {
    project.repoUrl = project.repoUrl
      ? splitCredentials(project.repoUrl).url
      : defaultRepoUrl(this.o.dataDir, project.id);
    return project;
  }

  /** CreateProject's repo_url under the policy: what to store, or INVALID_ARGUMENT. */
  admit(raw: string): Promise<AdmittedRepo> {
    return admitRepoUrl(raw, this.o.settings ?? DEFAULT_REPO_URL_SETTINGS, {
      dataDir: this.o.dataDir,
    });
  }

  /**
   * Creates the lead's own repository of a project about to be stored (one given no URL),
   * before its row, so a disk too full for the repository leaves no project behind. The
   * function returned removes the repository again when the project is not stored after all.
   */
  async createOwn(projectId: string, name: string): Promise<() => Promise<void>> {
    const url = await createProjectRepo(this.o.dataDir, projectId, name);
    return () => rm(fileURLToPath(url), { recursive: true, force: true });
  }

  /** The repository the project's workers use: its own URL, else the lead's bare repo. */
  async url(project: Project): Promise<string> {
    return (await this.access(project)).url;
  }

  /**
   * The URL a worker is sent, credentials in it (the worker takes them out again before its
   * git sees it). A repository the lead created goes through the lead's git endpoint to a
   * worker on another host; a worker on the lead's own machine (a loopback address) gets
   * its path, the same bytes without an HTTP request and two git processes on the lead per
   * fetch or push (unless the endpoint is `always`). Any other repository as the project
   * gave it.
   */
  forWorker(project: Project, repo: RepoAccess, workerAddress: string): string {
    const endpoint = this.endpoint;
    const own = repo.url === defaultRepoUrl(this.o.dataDir, project.id);
    if (endpoint && own && (endpoint.always || !onThisMachine(workerAddress))) {
      const url = `${endpoint.baseUrl.replace(/\/+$/, '')}${GIT_PREFIX}${project.id}.git`;
      const { token } = endpoint;
      return withCredentials(url, token ? { username: GIT_USER, password: token } : undefined);
    }
    return withCredentials(repo.url, repo.credentials);
  }

  /** The URL git uses and the credentials that go with it (never shown to clients). */
  async access(project: Project): Promise<RepoAccess> {
    const fence = <T>(work: () => Promise<T>) => this.o.store.underLease(project.id, work);
    if (!project.repoUrl) {
      return { url: await createProjectRepo(this.o.dataDir, project.id, project.name), fence };
    }
    const { url, credentials } = splitCredentials(project.repoUrl);
    const kept = await this.o.store.getRepoCredentials(project.id);
    return { url, credentials: kept ?? credentials, fence };
  }
}
