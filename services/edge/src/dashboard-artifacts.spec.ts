// A browser check's screenshots from the dashboard's task drawer: the worker-frontend opens
// the page in Chromium (in its sandbox), the lead keeps the screenshots, the edge serves
// them at /api/artifacts to a token that grants the project, and the drawer links them.
import { existsSync } from 'node:fs';
import { signEdgeToken } from '@codeframe/events';
import { brokenPageBrain } from '@codeframe/fake-anthropic';
import {
  type Cluster,
  freePort,
  type ServiceProcess,
  startCluster,
  watchUntil,
} from '@codeframe/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge } from './edge-cluster.test-support.js';

const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'artifacts-test-secret-0123456789';
let cluster: Cluster;
let edge: ServiceProcess;
let edgePort: number;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
  cluster = await startCluster(brokenPageBrain);
  edgePort = await freePort();
  edge = await startEdge(cluster.leadUrl, {
    PORT: String(edgePort),
    CODEFRAME_EDGE_JWT_SECRET: SECRET,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await edge?.stop();
  await cluster?.stop();
});

describe("the task drawer's screenshots", () => {
  it('links both checks of the page, served only to a token that grants the project', async () => {
    const { project } = await cluster.client.createProject({ prd: '# Greeting\nA page.' });
    const projectId = project!.id;
    const token = await signEdgeToken(SECRET, {
      subject: 't',
      projects: [projectId],
      expiresIn: '1h',
    });
    await cluster.client.startProject({ projectId });
    await watchUntil(
      cluster,
      projectId,
      0n,
      (e) => e.payload.case === 'projectStatus' && [6, 7].includes(e.payload.value.status),
    );
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${edgePort}/?project=${projectId}&token=${token}`);
    await page.locator('[data-testid="task"]').first().click();
    const links = page.locator('[data-testid="task-drawer"] [data-testid="artifact-link"]');
    await links.nth(1).waitFor({ timeout: 30_000 });
    const drawer = await page.locator('[data-testid="task-drawer"]').textContent();
    expect(drawer).toMatch(/Browser checks/);
    expect(drawer).toMatch(/uncaught TypeError/);
    expect(drawer).toMatch(/missing #greeting/);
    const hrefs = await links.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toHaveLength(2);
    for (const href of hrefs) {
      const response = await fetch(href);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    }
    await page.close();
    const path = new URL(hrefs[0]!).pathname;
    const other = await signEdgeToken(SECRET, {
      subject: 't',
      projects: ['another'],
      expiresIn: '1h',
    });
    expect((await fetch(`http://127.0.0.1:${edgePort}${path}?token=${other}`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${edgePort}${path}`)).status).toBe(401);
  }, 180_000);
});
