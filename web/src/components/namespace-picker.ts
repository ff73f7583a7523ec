/**
 * `<kactus-namespace-picker>`: the namespace the pages show, in the menu. It offers what the
 * user may see (scope.ts): "all namespaces" only to a user who may list pods everywhere, the
 * namespaces the user may list pods in, and — for a user who may not list namespaces — a field to
 * type one (kept for the session). Fires `pick` with the namespace (`undefined`: all), `typed`
 * with a typed one, and `refresh` when opened (namespaces created since the login then appear).
 */
import { LitElement, css, html } from 'lit';
import type { Scope } from '../scope.ts';
import { shared } from './styles.ts';

export class NamespacePicker extends LitElement {
  static override properties = { scope: { attribute: false }, value: { attribute: false } };
  declare scope: Scope;
  /** The namespace shown now (`undefined`: all). */
  declare value: string | undefined;

  static override styles = [
    shared,
    css`
      :host {
        padding: 4px 18px 8px;
        font-size: 12.5px;
      }
      select,
      input {
        width: 100%;
        box-sizing: border-box;
        margin-top: 3px;
        font-size: 12.5px;
      }
      label {
        color: #8d97aa;
      }
      .hint {
        color: #8d97aa;
        font-size: 11px;
        margin: 3px 0 0;
      }
    `,
  ];

  override render() {
    const options = this.value !== undefined && !this.scope.namespaces.includes(this.value) ? [...this.scope.namespaces, this.value].sort() : this.scope.namespaces;
    return html`
      <label
        >namespace
        <select id="namespace" @focus=${() => this.dispatchEvent(new CustomEvent('refresh', { bubbles: true, composed: true }))} @change=${(ev: Event) => this.pick((ev.target as HTMLSelectElement).value)}>
          ${this.scope.allNamespaces ? html`<option value="" ?selected=${this.value === undefined}>(all namespaces)</option>` : ''}
          ${options.map((ns) => html`<option value=${ns} ?selected=${ns === this.value}>${ns}</option>`)}
        </select></label
      >
      ${this.scope.listNamespaces
        ? ''
        : html`<input id="namespace-other" placeholder="another namespace…" @keydown=${(ev: KeyboardEvent) => this.typed(ev)} />
            <p class="hint">You may not list namespaces: type one you may read.</p>`}
    `;
  }

  private typed(ev: KeyboardEvent): void {
    if (ev.key !== 'Enter') return;
    const input = ev.target as HTMLInputElement;
    const ns = input.value.trim();
    // A DNS-1123 label: anything else is no namespace name (and would make a malformed path).
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
      input.setCustomValidity('a namespace name: lowercase letters, digits and -');
      input.reportValidity();
      return;
    }
    input.setCustomValidity('');
    input.value = '';
    this.dispatchEvent(new CustomEvent('typed', { detail: ns, bubbles: true, composed: true }));
  }

  private pick(value: string): void {
    this.dispatchEvent(new CustomEvent<string | undefined>('pick', { detail: value === '' ? undefined : value, bubbles: true, composed: true }));
  }
}

customElements.define('kactus-namespace-picker', NamespacePicker);
