/**
 * The layout of `kubectl describe`: `Label:  value` lines indented two spaces per level, with
 * values aligned across each run of consecutive labelled lines (as Go's tabwriter aligns a
 * block), and plain lines (section titles, tables) breaking the runs.
 */

type Line = { kind: 'field'; level: number; label: string; value: string } | { kind: 'text'; level: number; text: string };

const PADDING = 2;

export class DescribeWriter {
  private readonly lines: Line[] = [];

  /** `Label:  value`; multi-line values continue aligned under the first. */
  field(level: number, label: string, value: string): this {
    const [first = '', ...rest] = value.split('\n');
    this.lines.push({ kind: 'field', level, label: `${label}:`, value: first });
    for (const more of rest) this.lines.push({ kind: 'field', level, label: '', value: more });
    return this;
  }

  /** A line without a value (`Containers:`, a table row, a blank line). */
  text(level: number, text: string): this {
    this.lines.push({ kind: 'text', level, text });
    return this;
  }

  /** `Label:  a=b` then one line per further entry, `<none>` when empty (Labels, Annotations). */
  map(level: number, label: string, entries: Record<string, string> | undefined, sep = '='): this {
    const pairs = Object.entries(entries ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (pairs.length === 0) return this.field(level, label, '<none>');
    return this.field(level, label, pairs.map(([k, v]) => `${k}${sep}${v}`).join('\n'));
  }

  toString(): string {
    const out: string[] = [];
    let i = 0;
    while (i < this.lines.length) {
      const line = this.lines[i]!;
      if (line.kind === 'text') {
        out.push(indent(line.level) + line.text);
        i++;
        continue;
      }
      let end = i;
      while (end < this.lines.length && this.lines[end]!.kind === 'field') end++;
      const run = this.lines.slice(i, end) as Extract<Line, { kind: 'field' }>[];
      const width = Math.max(...run.map((l) => indent(l.level).length + l.label.length)) + PADDING;
      for (const l of run) out.push((indent(l.level) + l.label).padEnd(width) + l.value);
      i = end;
    }
    return out.map((l) => l.trimEnd()).join('\n') + '\n';
  }
}

function indent(level: number): string {
  return '  '.repeat(level);
}
