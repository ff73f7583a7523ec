/**
 * `<kactus-app>`: the shell. Without a token it shows the login; with one, a side menu and the page
 * the hash route names (router.ts). A 401 from anywhere drops the token and returns to the login.
 *
 * After login it asks who the user is and what it may see (context.ts `scope`, api/access.ts): the
 * menu names the user and lists only the kinds it may list in the namespace shown; the namespace
 * picker offers only namespaces it may read; a page whose route names no namespace shows all of
 * them to a user who may list pods everywhere, else the namespace picked (first: the
 * ServiceAccount's own).
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { kindQuestion, type Answer } from '../api/access.ts';
import { KINDS } from '../api/kinds.ts';
import { clearToken, loadToken, saveToken } from '../api/token.ts';
import { AppContext } from '../context.ts';
import { formatRoute, parseRoute, withNamespace, type Route } from '../router.ts';
import { addTypedNamespace, forgetNamespaces, pickNamespace, pickedNamespace, type Scope } from '../scope.ts';
import { shared } from './styles.ts';

/**
 * The namespace a page of namespaces shows (overview, lists, live); an object's page names its
 * object's namespace, which is not the one the menu and picker show.
 */
function shownNamespace(route: Route): string | undefined {
  return route.page === 'overview' || route.page === 'list' || route.page === 'live' ? route.namespace : undefined;
}

/** The key of the live page's answer in `allowed` (the others are resources). */
const LIVE = '#live';

export class App extends LitElement {
  static override properties = { route: { state: true }, ctx: { state: true }, scope: { state: true }, allowed: { state: true } };
  declare route: Route;
  declare ctx: AppContext | undefined;
  declare scope: Scope | undefined;
  /** What the menu may offer in the namespace shown: resource (or LIVE) → answer; undefined while asked. */
  declare allowed: Map<string, Answer> | undefined;
  /** The namespace the menu's answers are for (`*` for all). */
  private allowedFor: string | undefined;

  private readonly onHash = (): void => {
    this.route = parseRoute(location.hash);
  };

  constructor() {
    super();
    this.route = parseRoute(location.hash);
    const token = loadToken();
    if (token) this.ctx = this.contextFor(token);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
  }

  override disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.onHash);
    super.disconnectedCallback();
  }

  private contextFor(token: string): AppContext {
    const ctx = new AppContext(token, () => this.logout());
    void ctx.scope().then((scope) => {
      if (this.ctx === ctx) this.scope = scope;
    });
    return ctx;
  }

  private logout(): void {
    clearToken();
    forgetNamespaces();
    this.ctx = undefined;
    this.scope = undefined;
    this.allowed = undefined;
    this.allowedFor = undefined;
  }

  /**
   * The namespace a page shows: the route's; without one, all namespaces for a user who may list
   * pods everywhere, else the one picked (or the user's home namespace).
   */
  private namespaceOf(route: Route, scope: Scope): string | undefined {
    const named = shownNamespace(route);
    if (named !== undefined) return named;
    if (scope.allNamespaces) return undefined;
    const picked = pickedNamespace();
    return picked !== undefined && scope.namespaces.includes(picked) ? picked : scope.home;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('route') && !changed.has('scope') && !changed.has('ctx')) return;
    const { ctx, scope } = this;
    if (!ctx || !scope) return;
    const ns = this.namespaceOf(this.route, scope);
    if (this.allowedFor === (ns ?? '*')) return;
    this.allowedFor = ns ?? '*';
    this.allowed = undefined;
    void this.askMenu(ctx, ns);
  }

  /** One access review per menu entry, for the namespace shown. */
  private async askMenu(ctx: AppContext, ns: string | undefined): Promise<void> {
    const entries = await Promise.all([
      ...KINDS.map(async (k) => [k.resource, await ctx.access.can(kindQuestion(k, 'list', ns))] as const),
      (async () => [LIVE, await ctx.access.can({ verb: 'get', path: '/kactus/v1/events' })] as const)(),
    ]);
    if (this.ctx === ctx && this.allowedFor === (ns ?? '*')) this.allowed = new Map(entries);
  }

  static override styles = [
    shared,
    css`
      :host {
        display: grid;
        grid-template-columns: 190px 1fr;
        min-height: 100vh;
      }
      nav {
        background: var(--nav);
        color: #dfe4ee;
        padding: 14px 0;
        font-size: 13.5px;
      }
      nav a {
        display: block;
        color: inherit;
        padding: 4px 18px;
      }
      nav a[aria-current='page'] {
        background: rgba(255, 255, 255, 0.12);
        color: #fff;
      }
      nav .brand {
        font-weight: 700;
        font-size: 17px;
        padding: 0 18px 10px;
        color: #fff;
      }
      nav .group {
        padding: 12px 18px 4px;
        font-size: 11px;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: #8d97aa;
      }
      nav .who {
        padding: 0 18px 8px;
        font-size: 12px;
        color: #b7c0d0;
        overflow-wrap: anywhere;
      }
      nav .who b {
        color: #fff;
        font-weight: 600;
      }
      nav .hidden {
        padding: 10px 18px 0;
        font-size: 11.5px;
        color: #8d97aa;
      }
      nav button {
        margin: 16px 18px;
        background: transparent;
        color: #dfe4ee;
        border-color: #56607a;
      }
      main {
        padding: 18px 24px;
        min-width: 0;
      }
      :host(.login) {
        display: block;
      }
    `,
  ];

  override render() {
    if (!this.ctx) {
      this.classList.add('login');
      return html`<kactus-login @login=${(ev: CustomEvent<string>) => this.login(ev.detail)}></kactus-login>`;
    }
    this.classList.remove('login');
    const scope = this.scope;
    if (!scope) {
      return html`<nav id="menu"><div class="brand">kactus</div><button @click=${() => this.logout()}>Sign out</button></nav>
        <main><p class="muted">Asking the server what you may see…</p></main>`;
    }
    const ns = this.namespaceOf(this.route, scope);
    const allowed = this.allowed;
    const may = (key: string): boolean => allowed?.get(key)?.allowed === true;
    const hidden = allowed ? KINDS.filter((k) => !may(k.resource)) : [];
    const user = scope.user;
    return html`
      <nav id="menu">
        <div class="brand">kactus</div>
        ${user
          ? html`<div class="who" id="whoami" title=${`groups: ${user.groups.join(', ')}`}>signed in as <b id="username">${user.username}</b></div>`
          : ''}
        <kactus-namespace-picker
          .scope=${scope}
          .value=${ns}
          @pick=${(ev: CustomEvent<string | undefined>) => this.pick(ev.detail)}
          @typed=${(ev: CustomEvent<string>) => void this.typed(ev.detail)}
          @refresh=${() => void this.refreshScope()}
        ></kactus-namespace-picker>
        ${this.link({ page: 'overview' }, 'Overview')} ${may(LIVE) ? this.link({ page: 'live' }, 'Live actors') : ''} ${this.link({ page: 'machines' }, 'Machines')}
        <div class="group">Objects</div>
        ${allowed ? KINDS.filter((k) => may(k.resource)).map((k) => this.link({ page: 'list', resource: k.resource }, k.title)) : html`<div class="hidden">asking…</div>`}
        ${hidden.length
          ? html`<div class="hidden" id="hidden-kinds" title=${hidden.map((k) => allowed!.get(k.resource)?.message ?? '').join('\n')}>
              Not permitted${ns !== undefined ? ` in ${ns}` : ''}: ${hidden.map((k) => k.title).join(', ')}
            </div>`
          : ''}
        <button @click=${() => this.logout()}>Sign out</button>
      </nav>
      <main>${this.page(this.ctx, ns)}</main>
    `;
  }

  /** The picker's choice: remembered, and the page moves to it (a page of one object goes to the overview). */
  private pick(ns: string | undefined): void {
    pickNamespace(ns);
    const next = this.route.page === 'object' || this.route.page === 'machines' ? { page: 'overview' as const } : this.route;
    location.hash = formatRoute(withNamespace(next, ns));
  }

  private async typed(ns: string): Promise<void> {
    addTypedNamespace(ns);
    if (await this.refreshScope()) this.pick(ns);
  }

  /** The scope asked again (namespaces made or typed since); false when the user signed out meanwhile. */
  private async refreshScope(): Promise<boolean> {
    const ctx = this.ctx;
    if (!ctx) return false;
    const scope = await ctx.scope(true);
    if (this.ctx !== ctx) return false;
    this.scope = scope;
    return true;
  }

  private login(token: string): void {
    saveToken(token);
    this.ctx = this.contextFor(token);
  }

  private link(route: Route, title: string) {
    const current = this.route.page === route.page && (route.page !== 'list' || (this.route.page === 'list' && this.route.resource === route.resource));
    // Links keep the namespace the route names (a user who picked one stays in it).
    const ns = shownNamespace(this.route);
    return html`<a href=${formatRoute(ns !== undefined ? withNamespace(route, ns) : route)} aria-current=${current ? 'page' : 'false'}>${title}</a>`;
  }

  private page(ctx: AppContext, ns: string | undefined) {
    const r = this.route;
    switch (r.page) {
      case 'overview':
        return html`<kactus-overview .ctx=${ctx} .namespace=${ns}></kactus-overview>`;
      case 'list':
        return html`<kactus-object-list .ctx=${ctx} .resource=${r.resource} .namespace=${ns}></kactus-object-list>`;
      case 'object':
        return html`<kactus-object-page .ctx=${ctx} .resource=${r.resource} .namespace=${r.namespace} .name=${r.name}></kactus-object-page>`;
      case 'live': {
        const denied = this.allowed?.get(LIVE);
        return html`<h1>Live actors</h1>
          ${denied && !denied.allowed
            ? html`<p class="error" role="alert" id="forbidden">${denied.message}</p>`
            : html`<kactus-actor-grid .ctx=${ctx} .filter=${{ kind: r.kind, namespace: ns }}></kactus-actor-grid>`}`;
      }
      case 'machines':
        return html`<kactus-catalogue .ctx=${ctx}></kactus-catalogue>`;
    }
  }
}

customElements.define('kactus-app', App);
