/**
 * The dashboard in Debian's Chromium against a real API server (in process, embedded store, the
 * real machine catalogue), with the event stream and history played by test/ui/fake-stream.ts so
 * each transition arrives exactly when the test says: login, the catalogue drawn for every kind,
 * live lists and overview, an object page (YAML, events) and the pod visualizer — current state,
 * child actors, animation of a transition, resume after a dropped stream, the timeline.
 * Screenshots go to test-results/ui/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { machineCatalogue } from '../../src/actors/catalogue.ts';
import { startTestCluster, type TestCluster } from '../apiserver/harness.ts';
import { chromiumAvailable, goto, launchBrowser, signIn, uiBuilt, type Browser } from './browser.ts';
import { FakeStream } from './fake-stream.ts';
import type { Transition } from '../../web/src/api/types.ts';

const ready = chromiumAvailable() && uiBuilt();

/** The base64url (unpadded) of a token, as the WebSocket subprotocol carries it. */
const b64url = (s: string): string => Buffer.from(s).toString('base64url');

/** Resolves when `locator`'s attribute `name` equals `value`. */
async function attributeIs(locator: Locator, name: string, value: string, timeout = 10_000): Promise<void> {
  await expect.poll(() => locator.getAttribute(name), { timeout }).toBe(value);
}

describe.skipIf(!ready)('dashboard (Chromium, fake stream)', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let stream: FakeStream;
  let base: string;
  let token: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ server: { machines: machineCatalogue } });
    base = cluster.server.url;
    token = cluster.server.adminToken;
    browser = await launchBrowser(base);
    page = browser.page;
    stream = new FakeStream();
    await stream.attach(page);
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('refuses a wrong token, then signs in with the admin token', async () => {
    await goto(page, `${base}/ui/`);
    await page.locator('kactus-login input#token').fill('not-the-token');
    await page.locator('kactus-login button[type=submit]').click();
    await expect.poll(() => page.locator('kactus-login [role=alert]').textContent()).toContain('does not accept this token');
    await signIn(page, base, token);
    expect(await page.evaluate('sessionStorage.getItem("kactus.token")')).toBe(token);
  });

  it('draws every kind of the catalogue as a statechart, guards and actions named', async () => {
    await goto(page, `${base}/ui/#/machines`);
    const machines = machineCatalogue();
    const sections = page.locator('kactus-catalogue section.machine');
    await expect.poll(() => sections.count()).toBe(machines.length);
    for (const m of machines) {
      const section = page.locator(`kactus-catalogue section.machine[data-kind="${m.kind}"]`);
      let states = 0;
      const count = (s: { states: unknown[] }): void => {
        states++;
        (s.states as { states: unknown[] }[]).forEach(count);
      };
      count(m.root);
      await expect.poll(() => section.locator('g.state').count(), { timeout: 20_000 }).toBe(states);
      expect(await section.locator('g.edge').count()).toBeGreaterThan(0);
      for (const guard of m.guards) expect(await section.locator('dd.guards').textContent()).toContain(guard);
      for (const action of m.actions) expect(await section.locator('dd.actions').textContent()).toContain(action);
    }
    await browser.screenshot('catalogue');
  });

  it('keeps lists and the overview live from watches', async () => {
    await cluster.client.post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } });
    await goto(page, `${base}/ui/#/`);
    await expect.poll(() => page.locator('kactus-overview tr[data-node="node-a"]').textContent()).toContain('Ready');
    const pending = page.locator('kactus-overview [data-phase="Pending"] b');
    const before = Number(await pending.textContent());
    await cluster.client.post('/api/v1/namespaces/default/pods', pod('listed', { app: 'listed' }));
    await expect.poll(async () => Number(await pending.textContent())).toBe(before + 1);
    await browser.screenshot('overview');

    await goto(page, `${base}/ui/#/list/pods?namespace=default`);
    await page.locator('kactus-object-list tr[data-name="listed"]').waitFor();
    await cluster.client.post('/api/v1/namespaces/default/pods', pod('arrives', { app: 'arrives' }));
    await page.locator('kactus-object-list tr[data-name="arrives"]').waitFor();
    await cluster.client.delete('/api/v1/namespaces/default/pods/arrives');
    await page.locator('kactus-object-list tr[data-name="arrives"]').waitFor({ state: 'detached' });
  });

  it('shows a pod\'s YAML, events, and its actors live with child actors, a transition animating, resumed streams and a timeline', async () => {
    const created = await cluster.client.post<{ metadata: { uid: string } }>('/api/v1/namespaces/default/pods', pod('web', { app: 'web' }));
    const uid = created.body.metadata.uid;
    const at = { kind: 'Pod', namespace: 'default', name: 'web', uid, labels: { app: 'web' } };
    const history: Transition[] = [
      stream.push({ ...at, actor: '', from: '', to: 'pending.scheduling', event: 'xstate.init' }),
      stream.push({ ...at, actor: '', from: 'pending.scheduling', to: 'pending.creatingSandbox', event: 'pod.scheduled' }),
      stream.push({ ...at, actor: '', from: 'pending.creatingSandbox', to: 'pending.startingContainers', event: 'sandbox.created' }),
      stream.push({ ...at, actor: 'container:web', from: '', to: 'waiting', event: 'xstate.init' }),
      stream.push({ ...at, actor: 'container:web', from: 'waiting', to: 'starting', event: 'container.start' }),
      stream.push({ ...at, actor: 'container:web', from: 'starting', to: 'running.health.live.unprobed|running.readiness.ready', event: 'container.started' }),
      stream.push({ ...at, actor: '', from: 'pending.startingContainers', to: 'running', event: 'container.running' }),
    ];
    await cluster.client.post('/api/v1/namespaces/default/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid },
      reason: 'Scheduled',
      message: 'Successfully assigned default/web to node-a',
      type: 'Normal',
      count: 1,
    });

    await goto(page, `${base}/ui/#/object/pods/default/web`);
    const podActor = page.locator('kactus-actor-panel section[data-actor=""]');
    const container = page.locator('kactus-actor-panel section[data-actor="container:web"]');
    await attributeIs(podActor, 'data-state', 'running');
    await attributeIs(container, 'data-state', 'running.health.live.unprobed|running.readiness.ready');
    // The pod's chart lights its state; the container's chart (inside the pod's frame) both parallel leaves.
    const podChart = podActor.locator('kactus-statechart').first();
    await expect.poll(() => podChart.locator('g.state.active.leaf').getAttribute('data-state')).toBe('pod.running');
    const containerChart = container.locator('kactus-statechart').first();
    await expect.poll(() => containerChart.locator('g.state.active.leaf').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-state')).sort())).toEqual([
      'container.running.health.live.unprobed',
      'container.running.readiness.ready',
    ]);
    // The stream was asked for this object, authenticated by subprotocol (never by URL).
    const conn = stream.connections.find((c) => c.url.searchParams.get('name') === 'web')!;
    expect(conn.url.searchParams.get('kind')).toBe('Pod');
    expect(conn.url.searchParams.get('namespace')).toBe('default');
    expect(conn.url.searchParams.has('access_token')).toBe(false);
    expect(conn.protocols).toEqual(['kactus.events.v1', `base64url.bearer.authorization.k8s.io.${b64url(token)}`]);
    await browser.screenshot('pod-running');

    // A container exits: its actor moves to restarting, the edge it took is marked and animates.
    const exited = stream.push({ ...at, actor: 'container:web', from: 'running.health.live.unprobed|running.readiness.ready', to: 'restarting', event: 'container.exited' });
    history.push(exited);
    await attributeIs(container, 'data-state', 'restarting');
    await containerChart.locator('g.edge.taken[data-edge="container.running->container.restarting"]').waitFor();
    expect(await containerChart.locator('g.fired path').count()).toBeGreaterThan(0);
    expect(await container.locator('ol.transitions li').last().textContent()).toContain('restarting');

    // The stream drops (a master going away); what happens meanwhile arrives on the resumed stream.
    stream.closeAll(1001, 'going away');
    history.push(stream.push({ ...at, actor: 'container:web', from: 'restarting', to: 'backOff', event: 'container.exited' }));
    await attributeIs(container, 'data-state', 'backOff');
    const resumed = stream.connections.find((c) => c.url.searchParams.get('name') === 'web')!;
    expect(resumed.url.searchParams.get('index')).toBe(String(exited.index));

    // Expired: a new snapshot, no index.
    stream.closeAll(4410, 'expired, relist');
    await expect.poll(() => stream.connections.find((c) => c.url.searchParams.get('name') === 'web')?.url.searchParams.has('index')).toBe(false);
    await attributeIs(container, 'data-state', 'backOff');

    // The timeline replays from creation: at 0 only the pod exists, in its first state.
    const slider = page.locator('kactus-timeline #slider');
    await expect.poll(() => slider.getAttribute('max')).toBe(String(history.length - 1));
    await slider.fill('0');
    await attributeIs(podActor, 'data-state', 'pending.scheduling');
    expect(await container.count()).toBe(0);
    await browser.screenshot('pod-timeline-start');
    await slider.fill('4');
    await attributeIs(podActor, 'data-state', 'pending.startingContainers');
    await attributeIs(container, 'data-state', 'starting');
    // While replaying, live transitions extend the timeline but do not move the view.
    history.push(stream.push({ ...at, actor: 'container:web', from: 'backOff', to: 'starting', event: 'xstate.after.backOff' }));
    await expect.poll(() => slider.getAttribute('max')).toBe(String(history.length - 1));
    await attributeIs(container, 'data-state', 'starting');
    expect(await page.locator('kactus-timeline .at').textContent()).toContain('waiting → starting');
    await page.locator('kactus-timeline #live').click();
    await attributeIs(container, 'data-state', 'starting');
    await attributeIs(podActor, 'data-state', 'running');
    // "replay" steps through the whole history and ends at the last transition.
    await page.locator('kactus-timeline #play').click();
    await attributeIs(podActor, 'data-state', 'pending.scheduling', 3000);
    await expect.poll(() => page.locator('kactus-timeline .at').textContent(), { timeout: 20_000 }).toContain('backOff → starting');

    await page.locator('kactus-object-page #tab-yaml').click();
    await expect.poll(() => page.locator('kactus-yaml-view pre').textContent()).toContain(`uid: ${uid}`);
    await page.locator('kactus-object-page #tab-events').click();
    await page.locator('kactus-events-table tr[data-reason="Scheduled"]').waitFor();
    expect(await page.locator('kactus-events-table tr[data-reason="Scheduled"]').textContent()).toContain('Successfully assigned default/web');
  });

  it('shows a workload\'s pods as live actors', async () => {
    await cluster.client.post('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'shop' } }, template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const shopPod = await cluster.client.post<{ metadata: { uid: string } }>('/api/v1/namespaces/default/pods', pod('shop-1', { app: 'shop' }));
    const at = { kind: 'Pod', namespace: 'default', name: 'shop-1', uid: shopPod.body.metadata.uid, labels: { app: 'shop' } };
    await goto(page, `${base}/ui/#/object/deployments/default/shop`);
    const card = page.locator('kactus-actor-grid section.actor[data-name="shop-1"]');
    stream.push({ ...at, actor: '', from: '', to: 'pending.scheduling', event: 'xstate.init' });
    await attributeIs(card, 'data-state', 'pending.scheduling');
    stream.push({ ...at, actor: 'container:c', from: '', to: 'waiting', event: 'xstate.init' });
    stream.push({ ...at, actor: '', from: 'pending.scheduling', to: 'running', event: 'container.running' });
    await attributeIs(card, 'data-state', 'running');
    await attributeIs(card.locator('.chip[data-actor="container:c"]'), 'data-state', 'waiting');
    // Pods of other workloads stay out (the stream is asked with the Deployment's selector).
    expect(await page.locator('kactus-actor-grid section.actor[data-name="web"]').count()).toBe(0);
    await browser.screenshot('deployment-pods');
    expect(browser.external, 'requests outside the server').toEqual([]);
    expect(browser.errors.filter((e) => !/status of 4\d\d|ERR_ABORTED|ERR_NETWORK_CHANGED/.test(e)), 'console errors').toEqual([]);
  });
});

function pod(name: string, labels: Record<string, string>): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: name === 'shop-1' ? 'c' : 'web', image: 'busybox' }] } };
}
