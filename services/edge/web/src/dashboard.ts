// The page: builds the layout, wires the views to the synced project state, and renders
// whatever changed once per animation frame.
import type { AuthToken } from './auth-token.js';
import { h } from './dom.js';
import { ApiError, artifactHref, type EdgeApi } from './edge-api.js';
import { ProjectState } from './project-state.js';
import { ProjectSync } from './project-sync.js';
import type { Project } from './protocol.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { ActivityView } from './render-activity.js';
import { AgentsView } from './render-agents.js';
import { ErrorBanner } from './render-banner.js';
import { BlockersView } from './render-blockers.js';
import { BoardView } from './render-board.js';
import { CommitsView } from './render-commits.js';
import { HeaderView } from './render-header.js';
import { defaultProject, ProjectPicker } from './render-project-picker.js';
import { RenderScheduler } from './render-scheduler.js';
import { TaskDrawer } from './render-task-drawer.js';

export class Dashboard {
  readonly state = new ProjectState();
  readonly sync: ProjectSync;
  readonly #scheduler = new RenderScheduler(() => this.#render());
  readonly #header: HeaderView;
  readonly #banner: ErrorBanner;
  readonly #board: BoardView;
  readonly #agents: AgentsView;
  readonly #commits: CommitsView;
  readonly #blockers: BlockersView;
  readonly #activity: ActivityView;
  readonly #drawer: TaskDrawer;
  readonly #picker: ProjectPicker;
  readonly #listBackoff = new ReconnectBackoff();
  #projects: Project[] | undefined;
  #pageError: string | undefined;
  #tick = true;
  #drawerDirty = false;

  constructor(
    root: HTMLElement,
    private readonly api: EdgeApi,
    token: AuthToken,
  ) {
    this.sync = new ProjectSync(api, token, this.state, () => this.#scheduler.request());
    const select = (taskId: string) => this.select(taskId);
    this.#header = new HeaderView(() => this.togglePicker());
    this.#banner = new ErrorBanner(() => this.sync.retryNow());
    this.#board = new BoardView(select);
    this.#agents = new AgentsView(select);
    this.#commits = new CommitsView(select);
    this.#blockers = new BlockersView((id, answer) => this.sync.answer(id, answer), select);
    this.#activity = new ActivityView(select);
    this.#drawer = new TaskDrawer(
      () => this.select(undefined),
      select,
      (id) => artifactHref(id, token.value),
    );
    this.#picker = new ProjectPicker(
      (id) => this.switchProject(id),
      () => void this.#loadProjects(),
    );
    root.replaceChildren(
      this.#header.el,
      this.#banner.el,
      this.#picker.el,
      h(
        'main',
        { class: 'layout' },
        this.#blockers.el,
        this.#board.el,
        this.#activity.el,
        h('aside', { class: 'side' }, this.#agents.el, this.#commits.el),
      ),
      this.#drawer.el,
    );
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      if (this.#picker.isOpen) this.#picker.close();
      else if (this.#drawer.taskId) this.select(undefined);
    });
    window.setInterval(() => {
      this.#tick = true;
      this.#scheduler.request();
    }, 1_000);
  }

  /** Opens `?project=`, or picks one when the URL names none. */
  async start(): Promise<void> {
    this.#scheduler.request();
    const projectId = new URL(window.location.href).searchParams.get('project');
    if (projectId) {
      await this.sync.open(projectId);
      if (this.sync.failed && this.sync.view !== 'unauthorized') await this.#offerPicker();
      return;
    }
    const projects = await this.#loadProjects();
    if (!projects) return;
    const chosen = defaultProject(projects);
    if (chosen?.id) this.switchProject(chosen.id);
    else this.#picker.show();
  }

  switchProject(projectId: string): void {
    this.#picker.close();
    this.select(undefined);
    const url = new URL(window.location.href);
    url.searchParams.set('project', projectId);
    window.history.replaceState(window.history.state, '', url);
    this.#pageError = undefined;
    void this.sync.open(projectId).then(() => {
      if (this.sync.failed && this.sync.view !== 'unauthorized') void this.#offerPicker();
    });
  }

  select(taskId: string | undefined): void {
    this.#drawer.open(taskId);
    this.#board.select(taskId);
    this.#drawerDirty = true;
    this.#scheduler.request();
  }

  togglePicker(): void {
    if (this.#picker.isOpen) {
      this.#picker.close();
      return;
    }
    this.#picker.show();
    this.#scheduler.request();
    void this.#loadProjects();
  }

  async #offerPicker(): Promise<void> {
    this.#picker.show();
    this.#scheduler.request();
    await this.#loadProjects();
  }

  /** Fetches the project list into the picker; retries while the edge or lead is away. */
  async #loadProjects(): Promise<Project[] | undefined> {
    if (!this.#projects) this.#picker.loading();
    for (;;) {
      try {
        const list = await this.api.listProjects();
        this.#projects = list.projects ?? [];
        this.#listBackoff.reset();
        this.#pageError = undefined;
        this.#picker.render(this.#projects, this.sync.projectId, Date.now());
        this.#scheduler.request();
        return this.#projects;
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError(0, String(err));
        if (error.status === 401) {
          this.sync.unauthorized(error.message);
          this.#picker.failed(error.message);
          return undefined;
        }
        this.#picker.failed(error.message);
        if (!error.transient || this.sync.projectId) {
          if (!this.sync.projectId) this.#pageError = error.message;
          this.#scheduler.request();
          return undefined;
        }
        this.#pageError = error.message;
        this.#scheduler.request();
        await new Promise((resolve) => window.setTimeout(resolve, this.#listBackoff.next()));
      }
    }
  }

  #emptyMessage(): { title: string; hint: string } {
    const { sync, state } = this;
    if (sync.view === 'unauthorized') {
      return {
        title: 'Token rejected or expired',
        hint: 'Open the dashboard again with a fresh link (…/?token=…).',
      };
    }
    if (sync.failed) {
      return {
        title: 'This project could not be loaded',
        hint: 'The message above says why; pick another project from the list.',
      };
    }
    if (!sync.projectId) {
      return this.#projects?.length === 0
        ? { title: 'No project yet', hint: 'Create one with the codeframe CLI; it shows up here.' }
        : { title: 'Looking for projects…', hint: 'Asking the edge which projects there are.' };
    }
    if (!state.project)
      return { title: 'Loading the project…', hint: 'Fetching the snapshot from the edge.' };
    if (state.status === 'PROJECT_STATUS_PLANNING') {
      return {
        title: 'The lead is planning this project…',
        hint: 'Tasks appear here as soon as the plan is ready.',
      };
    }
    return { title: 'No plan yet', hint: 'Tasks appear here as soon as the plan is ready.' };
  }

  /** Keeps the picker under the header and the banner, whichever is lower. */
  #placePicker(): void {
    const banner = this.#banner.el;
    const top = banner.hidden
      ? this.#header.el.offsetHeight
      : banner.offsetTop + banner.offsetHeight;
    this.#picker.el.style.top = `${top + 4}px`;
  }

  #render(): void {
    const now = Date.now();
    const { state, sync } = this;
    const dirty = state.dirty;
    this.#header.render(state, sync, now);
    this.#banner.render(sync, now, this.#pageError);
    if (dirty.blockers || this.#tick) this.#blockers.render(state, now);
    if (dirty.board || dirty.tasks.size > 0) this.#board.render(state, dirty.board, dirty.tasks);
    this.#board.empty(state.tasks.size === 0 ? this.#emptyMessage() : undefined);
    if (this.#picker.isOpen) this.#placePicker();
    if (dirty.agents) this.#agents.render(state, now);
    else if (this.#tick) this.#agents.tick(now);
    if (dirty.log) this.#activity.render(state);
    if (dirty.commits) this.#commits.render(state);
    const shown = this.#drawer.taskId;
    if (shown) {
      const deps = state.tasks.get(shown)?.task.depends_on ?? [];
      if (
        this.#drawerDirty ||
        dirty.board ||
        dirty.tasks.has(shown) ||
        deps.some((id) => dirty.tasks.has(id))
      ) {
        this.#drawer.render(state);
      }
    } else if (this.#drawerDirty) {
      this.#drawer.render(state);
    }
    this.#drawerDirty = false;
    this.#tick = false;
    dirty.clear();

    const data = document.body.dataset;
    data.seq = String(sync.lastSeq);
    data.gaps = String(sync.gaps);
    data.duplicates = String(sync.duplicates);
    data.connection = sync.view;
    data.epoch = sync.epoch;
    data.recovered = sync.recovered;
  }
}
