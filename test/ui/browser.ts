/**
 * Debian's Chromium driven by playwright-core, as the browser tests use it: headless, no sandbox
 * (root in CI), no GPU, no background networking, a fresh profile per launch (removed on close).
 * Every request the page makes to anything but the server under test is aborted and recorded, so
 * a test can assert the dashboard needs no external network.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../e2e/harness.ts';

export const CHROMIUM = process.env.KACTUS_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the browser tests can run here; under CI=true a missing Chromium is a failure, not a skip. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: scripts/setup-host.sh installs Debian's chromium`);
  console.warn(`skipping the browser tests: no ${CHROMIUM} (scripts/setup-host.sh installs Debian's chromium)`);
  return false;
}

/** Whether the dashboard bundle exists (scripts/build-ui.sh); under CI=true its absence fails. */
export function uiBuilt(): boolean {
  if (existsSync(join(repoRoot, 'web/dist/index.html'))) return true;
  if (process.env.CI === 'true') throw new Error('web/dist is missing: scripts/build-ui.sh builds it');
  console.warn('skipping the browser tests: web/dist is not built (run scripts/build-ui.sh)');
  return false;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** URLs the page tried to reach outside the server under test (each aborted). */
  external: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Saves a full-page screenshot as test-results/ui/<name>.png. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export const ARTIFACTS = join(repoRoot, 'test-results', 'ui');

/** Launches Chromium with a page whose requests may only go to `origin` (the API server). */
export async function launchBrowser(origin: string): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'kactus-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    // The API server's certificate is signed by the cluster's own CA, which this profile does not know.
    ignoreHTTPSErrors: true,
    viewport: { width: 1400, height: 900 },
  });
  const external: string[] = [];
  const errors: string[] = [];
  await context.route(
    (url) => url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:',
    (route) => {
      external.push(route.request().url());
      return route.abort();
    },
  );
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    context,
    page,
    external,
    errors,
    async screenshot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * `page.goto`, again when Chromium aborts it with ERR_NETWORK_CHANGED: its network change notifier
 * fires whenever an interface comes or goes, and tests running beside this one make veths and
 * network namespaces all the time (seen in CI). Any other failure is thrown at once.
 */
export async function goto(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      return;
    } catch (err) {
      if (attempt >= 5 || !String((err as Error).message).includes('net::ERR_NETWORK_CHANGED')) throw err;
    }
  }
}

/** Opens the dashboard and signs in with `token`; resolves once the shell shows its menu. */
export async function signIn(page: Page, baseUrl: string, token: string, hash = '#/'): Promise<void> {
  await goto(page, `${baseUrl}/ui/${hash}`);
  await page.locator('kactus-login input#token').fill(token);
  await page.locator('kactus-login button[type=submit]').click();
  await page.locator('kactus-app #menu').waitFor();
}

/**
 * Records, inside the page, every `data-state` each actor card of the live grid takes (a
 * MutationObserver on the grid's shadow root: nothing is missed between two polls).
 */
export const RECORD_CARD_STATES = `(() => {
  const grid = document.querySelector('kactus-app').shadowRoot.querySelector('kactus-actor-grid');
  const root = grid.shadowRoot;
  const seen = (window.__cardStates = {});
  const note = (el) => {
    if (!el.matches || !el.matches('section.actor')) return;
    const list = (seen[el.dataset.name] ??= []);
    if (list[list.length - 1] !== el.dataset.state) list.push(el.dataset.state);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') note(r.target);
      for (const n of r.addedNodes ?? []) if (n.nodeType === 1) { note(n); n.querySelectorAll?.('section.actor').forEach(note); }
    }
  }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  root.querySelectorAll('section.actor').forEach(note);
})()`;
