/**
 * `<kactus-login>`: asks for a bearer token (the admin token of the kubeconfig `kactus up`
 * writes, or any token the API accepts), checks it against the API, and fires `login` with it.
 */
import { LitElement, css, html } from 'lit';
import { Api, ApiError } from '../api/client.ts';
import { shared } from './styles.ts';

export class Login extends LitElement {
  static override properties = { failure: { state: true }, checking: { state: true } };
  declare failure: string | undefined;
  declare checking: boolean;

  constructor() {
    super();
    this.checking = false;
  }

  static override styles = [
    shared,
    css`
      form {
        max-width: 460px;
        margin: 12vh auto;
        display: grid;
        gap: 10px;
      }
      input {
        padding: 6px 8px;
        border: 1px solid var(--line);
        border-radius: 6px;
      }
      button {
        justify-self: start;
        padding: 5px 16px;
      }
    `,
  ];

  override render() {
    return html`
      <form class="card" @submit=${this.submit}>
        <h1>kactus</h1>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" required placeholder="the token of your kubeconfig (users[].user.token)" />
        <button type="submit" ?disabled=${this.checking}>Sign in</button>
        <p class="muted">The token stays in this tab (sessionStorage) and goes only to this server.</p>
        ${this.failure ? html`<p class="error" role="alert">${this.failure}</p>` : ''}
      </form>
    `;
  }

  private async submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#token')!;
    const token = input.value.trim();
    if (token === '') return;
    this.checking = true;
    this.failure = undefined;
    try {
      await new Api(token).json('/api');
      this.dispatchEvent(new CustomEvent('login', { detail: token, bubbles: true, composed: true }));
    } catch (err) {
      this.failure = err instanceof ApiError && err.code === 401 ? 'The server does not accept this token.' : `Cannot reach the API: ${(err as Error).message}`;
    } finally {
      this.checking = false;
    }
  }
}

customElements.define('kactus-login', Login);
