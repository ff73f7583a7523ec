/**
 * The dashboard under RBAC, against a real `kactus up` (a master with Node,RBAC authorization, a
 * Docker node, the real event stream) in Debian's Chromium: a Deployment in `team-a`, another in
 * `team-b`, and a ServiceAccount bound to `view` in `team-a` only signs in with its token (a
 * TokenRequest, `kubectl create token`). It is named in the menu; the namespace picker holds
 * team-a alone (no "all namespaces": it may not list pods cluster-wide, nor namespaces); the
 * overview and lists show team-a's objects and none of team-b's; the nodes section says nodes are
 * not permitted, in Kubernetes' words; the live page asks the stream for team-a only and a
 * team-a pod's statechart is drawn and moves live (a scale-up's pod from pending to running, a
 * deleted pod's actor into terminating); team-b's objects opened by URL, and team-b typed into
 * the picker, show the server's 403 message. A second account that may read pods but not their logs nor Events sees those tabs
 * disabled with the reason. Screenshots go to test-results/ui/authz-*.png.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { eventually, kubectlFor, ok, startKactusUp, uniqueName, type KactusServer, type Kubectl } from '../e2e/harness.ts';
import { removeNodeLeftovers } from '../e2e/node-containers.ts';
import { chromiumAvailable, goto, RECORD_CARD_STATES, launchBrowser, signIn, uiBuilt, type Browser } from './browser.ts';

const docker = dockerClient();
const enabled = (dockerRequired() || (await isDockerUp(docker))) && chromiumAvailable() && uiBuilt();
const nodeName = uniqueName('e2e-authz-ui-');
const DEADLINE_MS = 60_000;
const VIEWER = 'system:serviceaccount:team-a:viewer';

const deployment = (name: string, namespace: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

/** The view account, and one that may read pods in team-a but neither their logs nor Events. */
const ACCESS = `apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-b
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: viewer
  namespace: team-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: viewer-view
  namespace: team-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- kind: ServiceAccount
  name: viewer
  namespace: team-a
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: pod-reader
  namespace: team-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pods-only
  namespace: team-a
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: pod-reader
  namespace: team-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pods-only
subjects:
- kind: ServiceAccount
  name: pod-reader
  namespace: team-a
`;

describe.skipIf(!enabled)('the dashboard under RBAC: a ServiceAccount bound to view in one namespace (kactus up, Chromium)', () => {
  let dir: string;
  let up: KactusServer | undefined;
  let kubectl: Kubectl;
  let browser: Browser | undefined;
  let page: Page;
  let viewerToken: string;
  let readerToken: string;
  /** Every event-stream WebSocket the page opened. */
  const sockets: string[] = [];

  const podsOf = async (ns: string, app: string): Promise<string[]> =>
    ok(await kubectl(['get', 'pods', '-n', ns, '-l', `app=${app}`, '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter((n) => n !== '');
  const phasesOf = async (ns: string, app: string): Promise<string[]> =>
    ok(await kubectl(['get', 'pods', '-n', ns, '-l', `app=${app}`, '-o', 'jsonpath={.items[*].status.phase}'])).split(' ').filter((n) => n !== '');
  const ui = (hash: string): string => `${up!.url}/ui/${hash}`;

  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    dir = await mkdtemp(join(tmpdir(), 'kactus-ui-authz-'));
    up = await startKactusUp(join(dir, 'data'), { args: ['--node-name', nodeName] });
    kubectl = kubectlFor(up.kubeconfig, dir);
    ok(await kubectl(['apply', '-f', '-'], ACCESS));
    ok(await kubectl(['apply', '-f', '-'], `${deployment('alpha', 'team-a')}---\n${deployment('beta', 'team-b')}`));
    // TokenRequests, as kubectl makes them.
    viewerToken = ok(await kubectl(['create', 'token', 'viewer', '-n', 'team-a'])).trim();
    readerToken = ok(await kubectl(['create', 'token', 'pod-reader', '-n', 'team-a'])).trim();
    // The authorizer reads informers: wait until the bindings are in force.
    await eventually('view bound in team-a', async () => (await kubectl(['auth', 'can-i', 'list', 'deployments', '-n', 'team-a', '--token', viewerToken])).stdout.trim(), (v) => v === 'yes');
    await eventually('pods-only bound in team-a', async () => (await kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team-a', '--token', readerToken])).stdout.trim(), (v) => v === 'yes');
    for (const [ns, app] of [['team-a', 'alpha'], ['team-b', 'beta']] as const) {
      await eventually(`${app} running`, () => phasesOf(ns, app), (p) => p.length === 1 && p[0] === 'Running', DEADLINE_MS);
    }
    browser = await launchBrowser(up.url);
    page = browser.page;
    page.on('websocket', (ws) => {
      if (ws.url().includes('/kactus/v1/events')) sockets.push(ws.url());
    });
    // The admin token exists too: the test signs in with the ServiceAccount's only.
    const admin = (parse(await readFile(up.kubeconfig, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token;
    expect(viewerToken).not.toBe(admin);
    await signIn(page, up.url, viewerToken);
  }, 180_000);

  beforeEach(({ onTestFailed }) =>
    onTestFailed(async () => {
      console.error(`kactus up output (tail):\n${up?.proc.text.slice(-4000) ?? ''}`);
      await browser?.screenshot(`authz-failed-${Date.now()}`).catch(() => undefined);
    }),
  );

  afterAll(async () => {
    await browser?.close();
    await up?.proc.kill('SIGKILL');
    await removeNodeLeftovers(docker, nodeName);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names the user, offers only team-a, and shows team-a\'s objects and none of team-b\'s; nodes are not permitted', async () => {
    await goto(page, ui('#/'));
    await expect.poll(() => page.locator('kactus-app #username').textContent(), { timeout: DEADLINE_MS }).toBe(VIEWER);
    // The picker: team-a (the token's namespace), no "all namespaces", a field to type another.
    const picker = page.locator('kactus-namespace-picker select#namespace');
    await expect.poll(() => picker.locator('option').evaluateAll((os) => os.map((o) => o.getAttribute('value')))).toEqual(['team-a']);
    await page.locator('kactus-namespace-picker input#namespace-other').waitFor();
    // The menu lists what view may list in team-a; Nodes, PVs and Namespaces are named as not permitted.
    const menu = page.locator('kactus-app #menu');
    await expect.poll(() => menu.locator('a').allTextContents(), { timeout: DEADLINE_MS }).toContain('Deployments');
    expect(await menu.locator('a').allTextContents()).not.toContain('Nodes');
    expect(await page.locator('kactus-app #hidden-kinds').textContent()).toMatch(/Not permitted in team-a:.*Nodes/);

    // The overview: team-a's pods and workloads only; the nodes section says why it is empty.
    const nodes = page.locator('kactus-overview #nodes-forbidden');
    await expect.poll(() => nodes.textContent(), { timeout: DEADLINE_MS }).toContain(`nodes is forbidden: User "${VIEWER}" cannot list resource "nodes" in API group "" at the cluster scope`);
    expect(await page.locator('kactus-overview table#nodes').count()).toBe(0);
    await expect.poll(async () => Number(await page.locator('kactus-overview [data-phase="Running"] b').textContent()), { timeout: DEADLINE_MS }).toBe(1);
    await expect.poll(() => page.locator('kactus-overview tr[data-kind="Deployment"] td').nth(1).textContent(), { timeout: DEADLINE_MS }).toBe('1');
    await browser!.screenshot('authz-overview');

    // Lists: team-a's pods and deployments, none of team-b's.
    const [alphaPod] = await podsOf('team-a', 'alpha');
    const [betaPod] = await podsOf('team-b', 'beta');
    await goto(page, ui('#/list/pods'));
    await page.locator(`kactus-object-list tr[data-name="${alphaPod}"]`).waitFor({ timeout: DEADLINE_MS });
    // Its machine state from the stream, asked for team-a.
    await expect.poll(() => page.locator(`kactus-object-list tr[data-name="${alphaPod}"] td.state`).textContent(), { timeout: DEADLINE_MS }).toBe('running');
    expect(await page.locator(`kactus-object-list tr[data-name="${betaPod}"]`).count()).toBe(0);
    expect(await page.locator('kactus-object-list #list-namespace').textContent()).toBe('namespace team-a');
    await goto(page, ui('#/list/deployments'));
    await page.locator('kactus-object-list tr[data-name="alpha"]').waitFor({ timeout: DEADLINE_MS });
    expect(await page.locator('kactus-object-list tr[data-name="beta"]').count()).toBe(0);
    await browser!.screenshot('authz-deployments');

    // Nodes by URL: the server's 403, in place.
    await goto(page, ui('#/list/nodes'));
    await expect.poll(() => page.locator('kactus-object-list #forbidden').textContent(), { timeout: DEADLINE_MS }).toContain(`nodes is forbidden: User "${VIEWER}" cannot list resource "nodes"`);
  }, 180_000);

  it('asks the event stream for team-a only, and a team-a pod\'s statechart moves live', async () => {
    await goto(page, ui('#/live?kind=Pod'));
    await page.locator('kactus-actor-grid #stream-status').filter({ hasText: 'live' }).waitFor({ timeout: DEADLINE_MS });
    const cards = page.locator('kactus-actor-grid section.actor');
    await expect.poll(() => cards.count(), { timeout: DEADLINE_MS }).toBe(1);
    await page.evaluate(RECORD_CARD_STATES);
    const [first] = await podsOf('team-a', 'alpha');
    ok(await kubectl(['scale', 'deployment', 'alpha', '-n', 'team-a', '--replicas', '2']));
    await expect.poll(() => cards.count(), { timeout: DEADLINE_MS }).toBe(2);
    const second = (await podsOf('team-a', 'alpha')).find((n) => n !== first)!;
    const card = page.locator(`kactus-actor-grid section.actor[data-name="${second}"]`);
    await expect.poll(() => card.getAttribute('data-state'), { timeout: DEADLINE_MS }).toBe('running');
    const seen = ((await page.evaluate('window.__cardStates')) as Record<string, string[]>)[second] ?? [];
    const pending = seen.findIndex((s) => s.startsWith('pending'));
    expect(pending, `drawn pending first: ${seen.join(' → ')}`).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('running', pending), `then running: ${seen.join(' → ')}`).toBeGreaterThan(pending);
    await expect.poll(() => card.locator('kactus-statechart g.state.active.leaf').getAttribute('data-state')).toBe('pod.running');
    // Only team-a's actors reached the page (the server filters too; the UI asked for team-a).
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')).filter((n) => !n?.startsWith('alpha-')))).toEqual([]);
    expect(sockets.length).toBeGreaterThan(0);
    for (const url of sockets) expect(new URL(url).searchParams.get('namespace'), url).toBe('team-a');
    await browser!.screenshot('authz-live');

    // The pod's own page: its statechart lit at running; deleting the pod moves it on, live.
    await goto(page, ui(`#/object/pods/team-a/${first}`));
    const podActor = page.locator('kactus-actor-panel section[data-actor=""]');
    await expect.poll(() => podActor.getAttribute('data-state'), { timeout: DEADLINE_MS }).toBe('running');
    const chart = podActor.locator('kactus-statechart').first();
    await expect.poll(() => chart.locator('g.state.active.leaf').getAttribute('data-state'), { timeout: DEADLINE_MS }).toBe('pod.running');
    // view reads pods/log and Events: both tabs usable.
    expect(await page.locator('kactus-object-page #tab-logs').isDisabled()).toBe(false);
    expect(await page.locator('kactus-object-page #tab-events').isDisabled()).toBe(false);
    await browser!.screenshot('authz-pod');
    ok(await kubectl(['delete', 'pod', first!, '-n', 'team-a', '--wait=false']));
    await expect.poll(async () => (await chart.locator('g.state.active.leaf').getAttribute('data-state')) ?? '', { timeout: DEADLINE_MS }).toMatch(/^pod\.(terminating|succeeded|failed)/);
    await browser!.screenshot('authz-pod-deleted');
  }, 180_000);

  it('shows the 403 message for team-b\'s objects opened by URL', async () => {
    await goto(page, ui('#/object/deployments/team-b/beta'));
    const message = page.locator('kactus-object-page #forbidden');
    await expect.poll(() => message.textContent(), { timeout: DEADLINE_MS }).toBe(
      `deployments.apps "beta" is forbidden: User "${VIEWER}" cannot list resource "deployments" in API group "apps" in the namespace "team-b"`,
    );
    // Nothing else of the page: no tabs, no spinner; the menu stays in team-a.
    expect(await page.locator('kactus-object-page [role=tab]').count()).toBe(0);
    expect(await page.locator('kactus-namespace-picker select#namespace').inputValue()).toBe('team-a');
    await browser!.screenshot('authz-team-b-forbidden');
    const [betaPod] = await podsOf('team-b', 'beta');
    await goto(page, ui(`#/object/pods/team-b/${betaPod}`));
    await expect.poll(() => page.locator('kactus-object-page #forbidden').textContent(), { timeout: DEADLINE_MS }).toContain(`pods "${betaPod}" is forbidden: User "${VIEWER}"`);
    // team-b typed into the picker (the user may not list namespaces): the list there is the server's 403.
    await goto(page, ui('#/list/pods'));
    await page.locator('kactus-object-list #list-namespace').filter({ hasText: 'team-a' }).waitFor({ timeout: DEADLINE_MS });
    await page.locator('kactus-namespace-picker input#namespace-other').fill('team-b');
    await page.locator('kactus-namespace-picker input#namespace-other').press('Enter');
    await expect.poll(() => page.evaluate('location.hash')).toBe('#/list/pods?namespace=team-b');
    expect(await page.locator('kactus-namespace-picker select#namespace').inputValue()).toBe('team-b');
    await expect.poll(() => page.locator('kactus-object-list #forbidden').textContent(), { timeout: DEADLINE_MS }).toContain(`pods is forbidden: User "${VIEWER}" cannot list resource "pods" in API group "" in the namespace "team-b"`);
    await browser!.screenshot('authz-team-b-list-forbidden');
  }, 120_000);

  it('disables the logs and events tabs, with the reason, for an account without pods/log and events', async () => {
    await page.locator('kactus-app #menu button').click();
    await signIn(page, up!.url, readerToken, '#/list/pods');
    const [pod] = await podsOf('team-a', 'alpha');
    await goto(page, ui(`#/object/pods/team-a/${pod}`));
    const logs = page.locator('kactus-object-page #tab-logs');
    await expect.poll(() => logs.isDisabled(), { timeout: DEADLINE_MS }).toBe(true);
    expect(await logs.getAttribute('title')).toContain(`cannot get resource "pods/log" in API group "" in the namespace "team-a"`);
    expect(await page.locator('kactus-object-page #denied-logs').textContent()).toContain('pods/log');
    expect(await page.locator('kactus-object-page #tab-events').isDisabled()).toBe(true);
    expect(await page.locator('kactus-object-page #denied-events').textContent()).toContain('cannot list resource "events"');
    await browser!.screenshot('authz-pod-reader');
    expect(browser!.external, 'requests outside the server').toEqual([]);
    expect(browser!.errors.filter((e) => !/status of 4\d\d|ERR_ABORTED|ERR_NETWORK_CHANGED/.test(e)), 'console errors').toEqual([]);
  }, 120_000);
});
