/**
 * `<kactus-app>`: the shell. Without a token it shows the login; with one, a side menu and the page
 * the hash route names (router.ts). A 401 from anywhere drops the token and returns to the login.
 */
import { LitElement, css, html } from 'lit';
import { KINDS } from '../api/kinds.ts';
import { clearToken, loadToken, saveToken } from '../api/token.ts';
import { AppContext } from '../context.ts';
import { formatRoute, parseRoute, type Route } from '../router.ts';
import { shared } from './styles.ts';

export class App extends LitElement {
  static override properties = { route: { state: true }, ctx: { state: true } };
  declare route: Route;
  declare ctx: AppContext | undefined;

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
    return new AppContext(token, () => this.logout());
  }

  private logout(): void {
    clearToken();
    this.ctx = undefined;
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
    return html`
      <nav id="menu">
        <div class="brand">kactus</div>
        ${this.link({ page: 'overview' }, 'Overview')} ${this.link({ page: 'live' }, 'Live actors')} ${this.link({ page: 'machines' }, 'Machines')}
        <div class="group">Objects</div>
        ${KINDS.map((k) => this.link({ page: 'list', resource: k.resource }, k.title))}
        <button @click=${() => this.logout()}>Sign out</button>
      </nav>
      <main>${this.page(this.ctx)}</main>
    `;
  }

  private login(token: string): void {
    saveToken(token);
    this.ctx = this.contextFor(token);
  }

  private link(route: Route, title: string) {
    const current = this.route.page === route.page && (route.page !== 'list' || (this.route.page === 'list' && this.route.resource === route.resource));
    return html`<a href=${formatRoute(route)} aria-current=${current ? 'page' : 'false'}>${title}</a>`;
  }

  private page(ctx: AppContext) {
    const r = this.route;
    switch (r.page) {
      case 'overview':
        return html`<kactus-overview .ctx=${ctx}></kactus-overview>`;
      case 'list':
        return html`<kactus-object-list .ctx=${ctx} .resource=${r.resource} .namespace=${r.namespace}></kactus-object-list>`;
      case 'object':
        return html`<kactus-object-page .ctx=${ctx} .resource=${r.resource} .namespace=${r.namespace} .name=${r.name}></kactus-object-page>`;
      case 'live':
        return html`<h1>Live actors</h1>
          <kactus-actor-grid .ctx=${ctx} .filter=${{ kind: r.kind, namespace: r.namespace }}></kactus-actor-grid>`;
      case 'machines':
        return html`<kactus-catalogue .ctx=${ctx}></kactus-catalogue>`;
    }
  }
}

customElements.define('kactus-app', App);
