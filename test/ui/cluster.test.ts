/**
 * The visualizer against a real `kactus up` (Docker node, the real event stream and history) in
 * Debian's Chromium: a Deployment applied with kubectl shows its pods appear and move from a
 * Pending state to Running; a container killed with `docker kill` shows its container actor
 * restart; the timeline replays the pod's history from creation; the catalogue draws every kind;
 * the overview lists the node with its capacity and usage. Screenshots go to test-results/ui/.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { eventually, kubectlFor, ok, startKactusUp, uniqueName, type KactusServer, type Kubectl } from '../e2e/harness.ts';
import { nodeContainers, removeNodeLeftovers } from '../e2e/node-containers.ts';
import { chromiumAvailable, goto, RECORD_CARD_STATES, launchBrowser, signIn, uiBuilt, type Browser } from './browser.ts';

const docker = dockerClient();
const enabled = (dockerRequired() || (await isDockerUp(docker))) && chromiumAvailable() && uiBuilt();
const nodeName = uniqueName('e2e-ui-');
const DEADLINE_MS = 45_000;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

async function attributeIs(locator: Locator, name: string, accept: (v: string | null) => boolean, what: string, timeout = DEADLINE_MS): Promise<string | null> {
  let last: string | null = null;
  await expect
    .poll(
      async () => {
        last = await locator.getAttribute(name, { timeout: 1000 }).catch(() => null);
        return accept(last);
      },
      { timeout, message: `${what} (last: ${last})` },
    )
    .toBe(true);
  return last;
}

describe.skipIf(!enabled)('the visualizer against kactus up (Docker, Chromium)', () => {
  let dir: string;
  let up: KactusServer | undefined;
  let kubectl: Kubectl;
  let browser: Browser | undefined;
  let page: Page;
  let token: string;

  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-ui-e2e-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
    token = (parse(await readFile(up.kubeconfig, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token;
    browser = await launchBrowser(up.url);
    page = browser.page;
    await signIn(page, up.url, token);
  }, 90_000);

  beforeEach(({ onTestFailed }) =>
    onTestFailed(async () => {
      console.error(`kactus up output (tail):\n${up?.proc.text.slice(-4000) ?? ''}`);
      await browser?.screenshot(`failed-${Date.now()}`).catch(() => undefined);
    }),
  );

  afterAll(async () => {
    await browser?.close();
    await up?.proc.kill('SIGKILL');
    // Daemons leave containers running when killed: remove this run's, whatever happened.
    await removeNodeLeftovers(docker, nodeName);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a Deployment\'s pods appear and move from Pending to Running', async () => {
    await goto(page, `${up!.url}/ui/#/live?namespace=default&kind=Pod`);
    await page.locator('kactus-actor-grid #stream-status').filter({ hasText: 'live' }).waitFor({ timeout: DEADLINE_MS });
    await page.evaluate(RECORD_CARD_STATES);
    ok(await kubectl(['apply', '-f', '-'], DEPLOYMENT));

    const cards = page.locator('kactus-actor-grid section.actor');
    await expect.poll(() => cards.count(), { timeout: DEADLINE_MS }).toBe(2);
    const names = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-name') ?? ''));
    for (const name of names) {
      await attributeIs(page.locator(`kactus-actor-grid section.actor[data-name="${name}"]`), 'data-state', (s) => s === 'running', `${name} running`);
    }
    const seen = (await page.evaluate('window.__cardStates')) as Record<string, string[]>;
    for (const name of names) {
      const states = seen[name] ?? [];
      const firstPending = states.findIndex((s) => s.startsWith('pending'));
      expect(firstPending, `${name} was drawn in a pending state: ${states.join(' → ')}`).toBeGreaterThanOrEqual(0);
      expect(states.indexOf('running', firstPending), `${name} moved on to running: ${states.join(' → ')}`).toBeGreaterThan(firstPending);
    }
    // The pods are Running for Kubernetes too, and every card lights its machine's running state.
    const phases = ok(await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.phase}'])).split(' ');
    expect(phases).toEqual(['Running', 'Running']);
    for (const name of names) {
      const leaf = page.locator(`kactus-actor-grid section.actor[data-name="${name}"] kactus-statechart g.state.active.leaf`);
      await expect.poll(() => leaf.getAttribute('data-state')).toBe('pod.running');
    }
    await browser!.screenshot('cluster-live-pods');

    // The Deployment's own page: its machine, and its pods as live actors.
    await goto(page, `${up!.url}/ui/#/object/deployments/default/web`);
    await expect.poll(() => page.locator('kactus-object-page kactus-actor-grid section.actor[data-state="running"]').count(), { timeout: DEADLINE_MS }).toBe(2);
    await page.locator('kactus-actor-panel section[data-actor=""]').waitFor({ timeout: DEADLINE_MS });
    await browser!.screenshot('cluster-deployment');
  }, 120_000);

  it('shows a container actor restart after docker kill, and replays the pod\'s history', async () => {
    const pod = ok(await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    await goto(page, `${up!.url}/ui/#/object/pods/default/${pod}`);
    const podActor = page.locator('kactus-actor-panel section[data-actor=""]');
    const container = page.locator('kactus-actor-panel section[data-actor="container:c"]');
    await attributeIs(podActor, 'data-state', (s) => s === 'running', 'pod running');
    await attributeIs(container, 'data-state', (s) => s?.startsWith('running') ?? false, 'container running');

    const [target] = (await nodeContainers(docker, nodeName, pod)).filter((c) => c.role === 'container' && c.state === 'running');
    expect(target, 'the running container of the pod').toBeDefined();
    await docker.getContainer(target!.id).kill();

    // The container actor leaves running (restarting; the kubelet restarts the first time at once) and comes back.
    const transitions = container.locator('ol.transitions li');
    await expect.poll(async () => (await transitions.allTextContents()).some((t) => t.includes('→ restarting')), { timeout: DEADLINE_MS }).toBe(true);
    await attributeIs(container, 'data-state', (s) => s?.startsWith('running') ?? false, 'container running again');
    const restarts = await eventually(
      'restartCount 1',
      async () => ok(await kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).trim(),
      (v) => v === '1',
    );
    expect(restarts).toBe('1');
    // The pod itself stayed Running through it.
    await attributeIs(podActor, 'data-state', (s) => s === 'running', 'pod still running');
    await browser!.screenshot('cluster-container-restarted');

    // The timeline: from the pod's first state (creation) to now.
    const slider = page.locator('kactus-timeline #slider');
    const max = Number(await slider.getAttribute('max'));
    expect(max, 'transitions in the history').toBeGreaterThanOrEqual(5);
    await slider.fill('0');
    await attributeIs(podActor, 'data-state', (s) => s?.startsWith('pending') ?? false, 'pod back at creation');
    expect(await page.locator('kactus-timeline .at').textContent()).toContain('∅ →');
    await browser!.screenshot('cluster-timeline-start');
    // Step by step to the end, the pod goes through Running and the container through restarting.
    const podStates: string[] = [];
    const containerStates: string[] = [];
    for (let i = 1; i <= max; i++) {
      await slider.fill(String(i));
      await expect.poll(() => page.locator('kactus-timeline #count').textContent()).toMatch(new RegExp(`^${i + 1} /`));
      podStates.push((await podActor.getAttribute('data-state')) ?? '');
      if ((await container.count()) > 0) containerStates.push((await container.getAttribute('data-state')) ?? '');
    }
    expect(podStates).toContain('running');
    expect(containerStates).toContain('restarting');
    await page.locator('kactus-timeline #live').click();
    await attributeIs(container, 'data-state', (s) => s?.startsWith('running') ?? false, 'live again');
  }, 180_000);

  it('draws every kind of the catalogue and shows the node with its capacity', async () => {
    const machines = JSON.parse(ok(await kubectl(['get', '--raw', '/kactus/v1/machines']))) as { items: { kind: string }[] };
    await goto(page, `${up!.url}/ui/#/machines`);
    await expect.poll(() => page.locator('kactus-catalogue section.machine').count(), { timeout: DEADLINE_MS }).toBe(machines.items.length);
    for (const m of machines.items) {
      await expect.poll(() => page.locator(`kactus-catalogue section.machine[data-kind="${m.kind}"] g.state`).count(), { timeout: DEADLINE_MS }).toBeGreaterThan(1);
    }
    await browser!.screenshot('cluster-catalogue');

    await goto(page, `${up!.url}/ui/#/`);
    const row = page.locator(`kactus-overview tr[data-node="${nodeName}"]`);
    await expect.poll(() => row.textContent(), { timeout: DEADLINE_MS }).toContain('Ready');
    const running = ok(await kubectl(['get', 'pods', '-A', '--field-selector=status.phase=Running', '-o', 'name'])).split('\n').filter((l) => l !== '').length;
    await expect.poll(async () => Number(await page.locator('kactus-overview [data-phase="Running"] b').textContent()), { timeout: DEADLINE_MS }).toBe(running);
    // Usage from metrics.k8s.io: node daemons sample every 15 s.
    await row.locator('meter').first().waitFor({ timeout: DEADLINE_MS });
    await browser!.screenshot('cluster-overview');
    expect(browser!.external, 'requests outside the server').toEqual([]);
  }, 120_000);
});
