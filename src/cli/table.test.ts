import { describe, expect, it } from 'vitest';
import { ColumnWriter, formatCell, humanDuration, tableFromObjects, TableView, type Table } from './table.ts';

const podTable: Table = {
  kind: 'Table',
  columnDefinitions: [
    { name: 'Name', type: 'string', format: 'name' },
    { name: 'Ready', type: 'string' },
    { name: 'Status', type: 'string' },
    { name: 'Restarts', type: 'string' },
    { name: 'Age', type: 'string' },
    { name: 'IP', type: 'string', priority: 1 },
  ],
  rows: [
    { cells: ['nginx', '1/1', 'Running', 0, '5s', '10.0.0.4'], object: { metadata: { name: 'nginx', namespace: 'default' } } },
    { cells: ['a-much-longer-name', '0/1', 'Pending', 0, '12m', null], object: { metadata: { name: 'x', namespace: 'team' } } },
  ],
};

function render(table: Table, opts: { wide: boolean; withNamespace: boolean; namePrefix?: string }): string {
  const view = new TableView(table.columnDefinitions, opts);
  return new ColumnWriter().format([view.header(), ...table.rows.map((r) => view.cells(r))]);
}

describe('table printing', () => {
  it('aligns like kubectl: widest cell + 3 spaces, at least 6, last column unpadded, wide columns hidden', () => {
    expect(render(podTable, { wide: false, withNamespace: false })).toBe(
      'NAME                 READY   STATUS    RESTARTS   AGE\n' +
        'nginx                1/1     Running   0          5s\n' +
        'a-much-longer-name   0/1     Pending   0          12m\n',
    );
  });

  it('-o wide adds priority-1 columns; -A a NAMESPACE column; null cells print <none>', () => {
    const out = render(podTable, { wide: true, withNamespace: true });
    expect(out.split('\n')[0]).toBe('NAMESPACE   NAME                 READY   STATUS    RESTARTS   AGE   IP');
    expect(out.split('\n')[2]).toBe('team        a-much-longer-name   0/1     Pending   0          12m   <none>');
  });

  it('prefixes names when several types print together', () => {
    expect(render(podTable, { wide: false, withNamespace: false, namePrefix: 'pod/' })).toContain('\npod/nginx ');
  });

  it('remembers widths across calls (watch rows stay under the header) and grows for longer cells', () => {
    const w = new ColumnWriter();
    expect(w.format([['NAME', 'STATUS', 'AGE']])).toBe('NAME   STATUS   AGE\n');
    expect(w.format([['a', 'Running', '1s']])).toBe('a      Running   1s\n');
  });

  it('formats cells as kubectl does', () => {
    expect(formatCell(undefined)).toBe('<none>');
    expect(formatCell([])).toBe('<none>');
    expect(formatCell(['a', 'b'])).toBe('a,b');
    expect(formatCell(3)).toBe('3');
  });

  it('builds NAME/AGE rows from a plain list', () => {
    const t = tableFromObjects([{ metadata: { name: 'x', creationTimestamp: '2024-01-01T00:00:00Z' } }], new Date('2024-01-01T00:01:05Z'));
    expect(render(t, { wide: false, withNamespace: false })).toBe('NAME   AGE\nx      65s\n');
  });

  it('humanDuration follows kubectl', () => {
    expect([59, 119, 125, 600, 3 * 3600 + 60, 5 * 3600 + 120, 30 * 3600, 3 * 86400 + 3600, 40 * 86400, 800 * 86400].map(humanDuration)).toEqual([
      '59s', '119s', '2m5s', '10m', '3h1m', '5h2m', '30h', '3d1h', '40d', '2y70d',
    ]);
  });
});
