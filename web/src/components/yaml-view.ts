/** `<kactus-yaml-view>`: an object as YAML (what `kubectl get -o yaml` shows). */
import { LitElement, css, html } from 'lit';
import { stringify } from 'yaml';
import type { KubeObject } from '../api/types.ts';
import { shared } from './styles.ts';

export class YamlView extends LitElement {
  static override properties = { object: { attribute: false } };
  declare object: KubeObject | undefined;

  static override styles = [
    shared,
    css`
      pre {
        background: var(--card);
        border: 1px solid var(--line);
        border-radius: 6px;
        padding: 12px;
        overflow: auto;
        max-height: 75vh;
        margin: 0;
      }
    `,
  ];

  override render() {
    return this.object ? html`<pre>${stringify(this.object)}</pre>` : html`<p class="muted">loading…</p>`;
  }
}

customElements.define('kactus-yaml-view', YamlView);
