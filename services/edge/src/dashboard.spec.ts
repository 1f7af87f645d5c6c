// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core,
// against the real edge in front of a real cluster.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signEdgeToken } from '@codeframe/events';
import {
  type Cluster,
  freePort,
  type ServiceProcess,
  startCluster,
  WORKSPACE_ROOT,
  watchUntil,
} from '@codeframe/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_REVIEW_COMMENT,
  demoBrain,
  demoPrd,
  Gate,
  startEdge,
} from './edge-cluster.test-support.js';

const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'dashboard-test-secret-0123456789';
const ARTIFACTS = join(WORKSPACE_ROOT, 'services/edge/test-output');

let cluster: Cluster;
let edge: ServiceProcess;
let edgePort: number;
let browser: Browser;
let page: Page;

const startEdgeOn = (port: number) =>
  startEdge(cluster.leadUrl, { PORT: String(port), CODEFRAME_EDGE_JWT_SECRET: SECRET });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
  }
  cluster = await startCluster(demoBrain(new Gate(), 150));
  edgePort = await freePort();
  edge = await startEdgeOn(edgePort);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);
afterEach(async () => {
  await page?.close();
});
afterAll(async () => {
  await browser?.close();
  await edge?.stop();
  await cluster?.stop();
});

async function openRun(
  name: string,
  options: Parameters<typeof demoPrd>[1],
  budgetUsd = 0,
  review?: boolean,
) {
  const { project } = await cluster.client.createProject({
    prd: demoPrd(name, options),
    budgetUsd,
    review,
  });
  const projectId = project!.id;
  const token = await signEdgeToken(SECRET, {
    subject: 'tester',
    projects: [projectId],
    expiresIn: '1h',
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`http://127.0.0.1:${edgePort}/?project=${projectId}&token=${token}`);
  await page.waitForSelector('body[data-connection="live"]');
  return { projectId, problems };
}

/** The seq of the lead's last event once the project has ended. */
async function finalSeq(projectId: string): Promise<number> {
  const events = await watchUntil(
    cluster,
    projectId,
    0n,
    (e) => e.payload.case === 'projectStatus' && [6, 7].includes(e.payload.value.status),
  );
  return Number(events.at(-1)!.seq);
}

const bodyData = () => page.evaluate(() => ({ ...document.body.dataset }));

const statusCount = (status: string) =>
  page.locator(`[data-testid="task"][data-status="${status}"]`).count();

describe('the dashboard', () => {
  it('shows a run live and resolves a blocker through its answer box', async () => {
    const { projectId, problems } = await openRun('live-run', { steps: 4, ask: true });
    await cluster.client.startProject({ projectId });
    await page.waitForSelector('[data-testid="task"][data-status="TASK_STATUS_IN_PROGRESS"]');
    expect(await page.locator('[data-testid="task"]').count()).toBe(3);

    const blocker = page.locator('[data-testid="blocker"][data-status="BLOCKER_STATUS_OPEN"]');
    await blocker.waitFor({ timeout: 30_000 });
    await expect(blocker.innerText()).resolves.toContain('Which colour should the page use?');
    await blocker.locator('[data-testid="blocker-answer"]').fill('teal');
    await blocker.locator('[data-testid="blocker-submit"]').click();
    await page.waitForSelector('[data-testid="blocker"][data-status="BLOCKER_STATUS_RESOLVED"]', {
      timeout: 30_000,
    });

    await page.waitForSelector(
      '[data-testid="project-status"][data-status="PROJECT_STATUS_COMPLETED"]',
      {
        timeout: 60_000,
      },
    );
    expect(await statusCount('TASK_STATUS_COMPLETED')).toBe(3);
    const last = await finalSeq(projectId);
    await page.waitForFunction((seq) => document.body.dataset.seq === String(seq), last);
    expect(await bodyData()).toMatchObject({ gaps: '0', duplicates: '0' });
    const progress = page.locator('[data-testid="progress"]');
    expect(await progress.getAttribute('data-completed')).toBe('3');
    expect(await progress.getAttribute('data-total')).toBe('3');
    const { blockers } = await cluster.client.listBlockers({ projectId, includeResolved: true });
    expect(blockers.map((b) => b.answer)).toEqual(['teal']);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 120_000);

  it("shows a reviewed task's verdicts in its drawer: changes requested, then approved", async () => {
    const { projectId, problems } = await openRun('reviewed', { steps: 1 }, 0, true);
    await cluster.client.startProject({ projectId });
    await page.waitForSelector(
      '[data-testid="project-status"][data-status="PROJECT_STATUS_COMPLETED"]',
      { timeout: 90_000 },
    );
    await page.locator('[data-testid="task"]', { hasText: 'Build the api' }).click();
    const reviews = page.locator(
      '[data-testid="task-drawer"] [data-testid="task-reviews"] .review',
    );
    await reviews.nth(1).waitFor();
    expect(await reviews.count()).toBe(2);
    expect(await reviews.nth(0).getAttribute('data-verdict')).toBe('changes-requested');
    const asked = await reviews.nth(0).textContent();
    expect(asked).toContain('attempt 1: changes requested (1 comment)');
    expect(asked).toContain('The api does not say it was reviewed.');
    expect(asked).toContain(`api.txt:1 ${DEMO_REVIEW_COMMENT}`);
    expect(await reviews.nth(1).getAttribute('data-verdict')).toBe('approved');
    expect(await reviews.nth(1).textContent()).toContain('attempt 2 approved');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-review.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 120_000);

  it('shows a project waiting on its spent budget with the command that raises it, then going on', async () => {
    // Planning alone spends this budget: the project waits before any task starts.
    const { projectId, problems } = await openRun('budget', { steps: 2 }, 0.000001);
    await cluster.client.startProject({ projectId });
    const open = page.locator('[data-testid="blocker"][data-status="BLOCKER_STATUS_OPEN"]');
    await open.waitFor({ timeout: 30_000 });
    const text = (await open.textContent()) ?? '';
    expect(text).toMatch(/project/);
    expect(text).toMatch(/budget spent: raise it to continue/);
    expect(text).toContain(`codeframe budget ${projectId} <usd>`);
    expect(await open.locator('[data-testid="blocker-answer"]').count()).toBe(0);
    await expect(page.locator('.blockers h2').textContent()).resolves.toBe(
      'The project waits on its budget',
    );
    await cluster.client.setProjectBudget({ projectId, budgetUsd: 100 });
    await page.waitForSelector(
      '[data-testid="project-status"][data-status="PROJECT_STATUS_COMPLETED"]',
      { timeout: 60_000 },
    );
    const log = (await page.locator('[data-testid="activity-log"]').textContent()) ?? '';
    expect(log).toMatch(/project waits: budget spent/);
    expect(log).toMatch(/project goes on: the budget was set to \$100\.00/);
    expect(problems).toEqual([]);
  }, 120_000);

  it('replays the history of a project opened after its run', async () => {
    const { project } = await cluster.client.createProject({
      prd: demoPrd('history', { steps: 2 }),
    });
    const projectId = project!.id;
    await cluster.client.startProject({ projectId });
    const last = await finalSeq(projectId);
    const token = await signEdgeToken(SECRET, { subject: 'late', projects: [projectId] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`http://127.0.0.1:${edgePort}/?project=${projectId}&token=${token}`);
    await page.waitForFunction((seq) => document.body.dataset.seq === String(seq), last);
    expect(await statusCount('TASK_STATUS_COMPLETED')).toBe(3);
    const log = await page.locator('[data-testid="activity-log"]').innerText();
    expect(log).toMatch(/plan ready/);
    expect(log).toMatch(/project completed|completed/i);
    expect(log).toMatch(/skipped-tests passed/);
    expect(await bodyData()).toMatchObject({ gaps: '0', duplicates: '0' });
    // A task's drawer shows its quality gates (the worker's skipped-tests check here).
    await page.locator('[data-testid="task"]').first().click();
    const gate = page.locator('[data-testid="task-drawer"] [data-testid="quality-gate"]');
    await gate.first().waitFor();
    expect(await gate.first().innerText()).toMatch(/✓\s*skipped-tests passed/);
  }, 120_000);

  it('catches up with no missing event after the edge restarts', async () => {
    const { projectId, problems } = await openRun('edge-restart', { steps: 8 });
    const before = await bodyData();
    await cluster.client.startProject({ projectId });
    await page.waitForFunction(() => Number(document.body.dataset.seq) >= 10);
    await edge.stop();
    await page.waitForFunction(() => document.body.dataset.connection !== 'live');
    // The run goes on while the edge is down; the page must get those events afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    edge = await startEdgeOn(edgePort);
    await page.waitForSelector(
      '[data-testid="project-status"][data-status="PROJECT_STATUS_COMPLETED"]',
      {
        timeout: 60_000,
      },
    );
    const last = await finalSeq(projectId);
    await page.waitForFunction((seq) => document.body.dataset.seq === String(seq), last);
    const after = await bodyData();
    expect(after).toMatchObject({
      gaps: '0',
      duplicates: '0',
      connection: 'live',
      recovered: 'lead',
    });
    expect(after.epoch).not.toBe(before.epoch);
    expect(await statusCount('TASK_STATUS_COMPLETED')).toBe(3);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-after-edge-restart.png') });
    expect(problems).toEqual([]);
  }, 120_000);
});
