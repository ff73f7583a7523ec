/**
 * A stand-in for the event stream and the history endpoint inside the browser (playwright's
 * WebSocket and request routing), speaking the contract of src/apiserver/events/README.md:
 * snapshot + `snapshot-end` at connect, everything after `index=N` on resume, live transitions
 * to every connection whose filter matches. For the dashboard tests that need transitions a real
 * cluster cannot be made to produce on cue; test/ui/cluster.test.ts runs against the real stream.
 */
import type { Page, WebSocketRoute } from 'playwright-core';
import type { Transition } from '../../web/src/api/types.ts';

interface Connection {
  route: WebSocketRoute;
  url: URL;
  protocols: string[];
}

export class FakeStream {
  readonly log: Transition[] = [];
  readonly connections: Connection[] = [];
  private index = 100;

  /** Routes `/kactus/v1/events` and `/kactus/v1/history/...` of `page` here. */
  async attach(page: Page): Promise<void> {
    await page.routeWebSocket(/\/kactus\/v1\/events/, (route) => this.accept(route));
    await page.route(/\/kactus\/v1\/history\//, async (route) => {
      const [kind, namespace, name] = new URL(route.request().url()).pathname.split('/').slice(4).map(decodeURIComponent);
      const items = this.log.filter((t) => t.kind === kind && (t.namespace || '_') === namespace && t.name === name);
      await route.fulfill({ json: { kind: 'TransitionHistory', apiVersion: 'kactus.io/v1', index: this.index, items } });
    });
  }

  /** Appends a transition (a fresh index) and sends it to every matching connection. */
  push(t: Omit<Transition, 'index' | 'time'> & { time?: string }): Transition {
    const full: Transition = { ...t, index: ++this.index, time: t.time ?? new Date().toISOString() };
    this.log.push(full);
    for (const c of this.connections) if (matches(c.url, full)) c.route.send(JSON.stringify({ type: 'transition', ...full }));
    return full;
  }

  /** Closes every connection with a code (4410 expired, 4429 slow, 1001 going away). */
  closeAll(code: number, reason: string): void {
    for (const c of this.connections.splice(0)) c.route.close({ code, reason });
  }

  private accept(route: WebSocketRoute): void {
    const url = new URL(route.url());
    const conn: Connection = { route, url, protocols: route.protocols() };
    this.connections.push(conn);
    route.onClose(() => {
      const i = this.connections.indexOf(conn);
      if (i >= 0) this.connections.splice(i, 1);
    });
    const after = url.searchParams.get('index');
    if (after !== null) {
      for (const t of this.log) if (t.index > Number(after) && matches(url, t)) route.send(JSON.stringify({ type: 'transition', ...t }));
      return;
    }
    const latest = new Map<string, Transition>();
    for (const t of this.log) if (matches(url, t)) latest.set(`${t.uid}/${t.actor}`, t);
    for (const t of [...latest.values()].sort((a, b) => a.index - b.index)) route.send(JSON.stringify({ type: 'snapshot', ...t }));
    route.send(JSON.stringify({ type: 'snapshot-end', index: this.index }));
  }
}

/** The stream's filters: each given parameter must match (comma lists are alternatives); equality selectors only. */
function matches(url: URL, t: Transition): boolean {
  const q = url.searchParams;
  const oneOf = (param: string, value: string): boolean => {
    const given = q.getAll(param).flatMap((v) => v.split(','));
    return given.length === 0 || given.includes(value);
  };
  if (!oneOf('kind', t.kind) || !oneOf('namespace', t.namespace ?? '') || !oneOf('name', t.name)) return false;
  const selector = q.get('labelSelector');
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return t.labels?.[k!] === v;
  });
}
