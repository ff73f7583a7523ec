/**
 * Printing server-side Tables (`meta.k8s.io/v1 Table`) as kubectl does: uppercase headers,
 * columns padded to their widest cell plus 3 spaces (at least 6 wide), priority>0 columns only
 * with `-o wide`, a NAMESPACE column with `-A`. Widths are remembered across calls so `get -w`
 * rows stay aligned with the header.
 */

export interface TableColumnDefinition {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; creationTimestamp?: string } };
}

export interface Table {
  kind: 'Table';
  apiVersion?: string;
  metadata?: { resourceVersion?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** Options deciding which columns print. */
export interface TableViewOptions {
  wide: boolean;
  withNamespace: boolean;
  /** Prepended to the NAME cell (`pod/`) when several types print together. */
  namePrefix?: string;
}

/** Is this response body a Table (the server honoured `as=Table`)? */
export function isTable(body: unknown): body is Table {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Table';
}

/** Turns Table rows into printable string cells for the chosen columns. */
export class TableView {
  private readonly shown: number[];

  constructor(
    private readonly columns: TableColumnDefinition[],
    private readonly opts: TableViewOptions,
  ) {
    this.shown = columns.flatMap((c, i) => ((c.priority ?? 0) === 0 || opts.wide ? [i] : []));
  }

  header(): string[] {
    const names = this.shown.map((i) => this.columns[i]!.name.toUpperCase());
    return this.opts.withNamespace ? ['NAMESPACE', ...names] : names;
  }

  cells(row: TableRow): string[] {
    const out = this.shown.map((i) => {
      const text = formatCell(row.cells[i]);
      const isName = this.columns[i]!.format === 'name' || this.columns[i]!.name === 'Name';
      return isName && this.opts.namePrefix ? this.opts.namePrefix + text : text;
    });
    return this.opts.withNamespace ? [row.object?.metadata?.namespace ?? '', ...out] : out;
  }
}

/** kubectl's rendering of one cell: null → `<none>`, lists comma-joined, objects as JSON. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '<none>';
  if (Array.isArray(value)) return value.length === 0 ? '<none>' : value.map(formatCell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const MIN_WIDTH = 6;
const PADDING = 3;

/**
 * Aligns rows into lines like Go's tabwriter with kubectl's settings and RememberWidths: a
 * column is as wide as its widest cell so far plus padding; the last column is not padded.
 */
export class ColumnWriter {
  private widths: number[] = [];

  /** Formats rows (each a list of cells) into newline-terminated lines. */
  format(rows: string[][]): string {
    for (const row of rows) {
      row.forEach((cell, i) => {
        if (i < row.length - 1) this.widths[i] = Math.max(this.widths[i] ?? 0, cell.length + PADDING, MIN_WIDTH);
      });
    }
    return rows
      .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(this.widths[i]!) : cell)).join('') + '\n')
      .join('');
  }
}

/**
 * A Table for servers (or kinds) that answered a plain list instead: NAME and AGE, as kubectl
 * prints in that case.
 */
export function tableFromObjects(
  items: { metadata?: { name?: string; namespace?: string; creationTimestamp?: string } }[],
  now: Date = new Date(),
): Table {
  return {
    kind: 'Table',
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name' },
      { name: 'Age', type: 'string' },
    ],
    rows: items.map((item) => ({
      cells: [item.metadata?.name ?? '', age(item.metadata?.creationTimestamp, now)],
      object: { metadata: item.metadata },
    })),
  };
}

/** `creationTimestamp` → kubectl's short age (`5s`, `3m10s`, `4h`, `2d3h`), `<unknown>` if absent. */
export function age(timestamp: string | undefined, now: Date = new Date()): string {
  if (!timestamp) return '<unknown>';
  const ms = now.getTime() - Date.parse(timestamp);
  if (Number.isNaN(ms)) return '<unknown>';
  return humanDuration(Math.max(0, Math.floor(ms / 1000)));
}

/** kubectl's HumanDuration: two units while the larger is small, one unit after. */
export function humanDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const h = Math.floor(seconds / 3600);
  const d = Math.floor(seconds / 86400);
  const y = Math.floor(d / 365);
  if (seconds < 120) return `${seconds}s`;
  if (m < 10) return seconds % 60 === 0 ? `${m}m` : `${m}m${seconds % 60}s`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (y < 2) return `${d}d`;
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}
