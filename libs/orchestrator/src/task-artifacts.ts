import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { type BrowserCheck, BrowserCheckSchema, type Task } from '@codeframe/proto';
import { invalidArgument, notFound } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';

// Files the lead keeps for a task: the screenshots of its browser checks, sent by the worker
// as bytes on the BrowserCheck event. They live under <data dir>/artifacts/<project>/<task>/
// with names the lead makes from numbers (never from what the worker or the model sent), and
// an artifact's id is "<task id>/<file>".

export const MAX_ARTIFACT_BYTES = 2 * 1024 * 1024;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Ids the lead makes; anything else is refused before it nears the file system. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const FILE = /^(\d{1,6})-(\d{1,6})-screenshot\.png$/;

export class TaskArtifacts {
  constructor(
    private readonly dataDir: string,
    private readonly logger?: Logger,
  ) {}

  #dir(projectId: string, taskId: string): string {
    if (!SAFE_ID.test(projectId) || !SAFE_ID.test(taskId))
      throw new Error(`unsafe project or task id for an artifact: ${projectId}/${taskId}`);
    return join(this.dataDir, 'artifacts', projectId, taskId);
  }

  /**
   * The check as the log keeps it: its PNG (when it is one, within MAX_ARTIFACT_BYTES)
   * stored as `<dispatch attempt>-<check attempt>-screenshot.png`, `screenshot` set to its
   * id and the bytes cleared; without a usable PNG, no screenshot.
   */
  async keepScreenshot(
    task: Pick<Task, 'id' | 'projectId'>,
    dispatchAttempt: number,
    check: BrowserCheck,
  ): Promise<BrowserCheck> {
    const png = check.screenshotPng;
    const kept = create(BrowserCheckSchema, {
      ...check,
      screenshot: '',
      screenshotPng: new Uint8Array(),
    });
    const usable =
      png.length > 8 &&
      png.length <= MAX_ARTIFACT_BYTES &&
      Buffer.from(png.subarray(0, 8)).equals(PNG_SIGNATURE);
    if (!usable) return kept;
    const dir = this.#dir(task.projectId, task.id);
    const attempt = Math.max(0, Math.min(999_999, Math.trunc(check.attempt)));
    const file = `${dispatchAttempt}-${attempt}-screenshot.png`;
    try {
      await mkdir(dir, { recursive: true });
      // Written whole, then renamed: a reader never sees half a file.
      await writeFile(join(dir, `.${file}.tmp`), png);
      await rename(join(dir, `.${file}.tmp`), join(dir, file));
    } catch (err) {
      // A screenshot the lead cannot keep (a full disk) costs the screenshot, not the task.
      this.logger?.warn({ err, taskId: task.id }, 'could not keep a browser-check screenshot');
      return kept;
    }
    kept.screenshot = `${task.id}/${file}`;
    return kept;
  }

  /** The task's artifact ids, oldest first. */
  async list(task: Pick<Task, 'id' | 'projectId'>): Promise<string[]> {
    const names = await readdir(this.#dir(task.projectId, task.id)).catch(() => [] as string[]);
    const order = (name: string) => FILE.exec(name)!.slice(1).map(Number);
    return names
      .filter((n) => FILE.test(n))
      .sort((a, b) => {
        const [x, y] = [order(a), order(b)];
        return x[0]! - y[0]! || x[1]! - y[1]!;
      })
      .map((n) => `${task.id}/${n}`);
  }

  /** The tasks with their artifacts filled in. */
  async fill<T extends Task>(tasks: T[]): Promise<T[]> {
    for (const task of tasks) task.artifacts = await this.list(task);
    return tasks;
  }

  /** The artifact `id` of a task found by `findTask`; NOT_FOUND when there is none. */
  async read(
    id: string,
    findTask: (taskId: string) => Promise<Pick<Task, 'id' | 'projectId'> | undefined>,
  ): Promise<{ task: Pick<Task, 'id' | 'projectId'>; content: Buffer }> {
    const [taskId = '', file = '', ...rest] = id.split('/');
    if (rest.length > 0 || !SAFE_ID.test(taskId) || !FILE.test(file))
      throw invalidArgument(
        'artifact_id',
        'must be "<task id>/<n>-<n>-screenshot.png", as events name it',
      );
    const task = await findTask(taskId);
    if (!task) throw notFound('artifact', id);
    const content = await readFile(join(this.#dir(task.projectId, task.id), file)).catch(() => {
      throw notFound('artifact', id);
    });
    return { task, content };
  }
}
