/** Styles every page shares: tables, cards, buttons, status colours (CSS custom properties from web/styles.css). */
import { css } from 'lit';

export const shared = css`
  :host {
    display: block;
    color: var(--fg);
    font: 14px/1.45 var(--font);
  }
  h1 {
    font-size: 20px;
    margin: 0 0 12px;
  }
  h2 {
    font-size: 16px;
    margin: 18px 0 8px;
  }
  a {
    color: var(--link);
    text-decoration: none;
  }
  a:hover {
    text-decoration: underline;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    background: var(--card);
  }
  th,
  td {
    text-align: left;
    padding: 5px 10px;
    border-bottom: 1px solid var(--line);
    vertical-align: top;
  }
  th {
    font-weight: 600;
    color: var(--muted);
    font-size: 12px;
    text-transform: uppercase;
    letter-spacing: 0.03em;
  }
  .card {
    background: var(--card);
    border: 1px solid var(--line);
    border-radius: 8px;
    padding: 12px 14px;
  }
  .muted {
    color: var(--muted);
  }
  .error {
    color: var(--bad);
    white-space: pre-wrap;
  }
  /* What the user may not see or do, said where it would have been (a 403's message, an access review's no). */
  .denied {
    border-left: 3px solid var(--warn);
    padding-left: 10px;
    overflow-wrap: anywhere;
  }
  button,
  select,
  input {
    font: inherit;
  }
  button {
    border: 1px solid var(--line);
    background: var(--card);
    border-radius: 6px;
    padding: 3px 10px;
    cursor: pointer;
  }
  button[aria-pressed='true'] {
    background: var(--accent-soft);
    border-color: var(--accent);
  }
  .chip {
    display: inline-block;
    padding: 0 8px;
    border-radius: 10px;
    background: var(--chip);
    font-size: 12px;
    white-space: nowrap;
  }
  .ok {
    color: var(--good);
  }
  .warn {
    color: var(--warn);
  }
  .bad {
    color: var(--bad);
  }
  code,
  pre {
    font-family: var(--mono);
    font-size: 12.5px;
  }
`;
