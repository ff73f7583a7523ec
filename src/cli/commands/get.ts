/**
 * `kactus get TYPE [NAME...]`: server-side Tables printed as kubectl does, object formats with
 * `-o`, and `-w` to stream changes.
 */
import { Command } from 'commander';
import { TABLE_ACCEPT } from '../client.ts';
import { qualifiedKind, resourcePath, type ApiResource } from '../discovery.ts';
import { ApiStatusError, CliError, formatError } from '../errors.ts';
import { formatObjects, parseOutput, type KubeList, type KubeObject, type ObjectFormat } from '../output.ts';
import { openSession, type GlobalOptions, type Session } from '../session.ts';
import { ColumnWriter, isTable, tableFromObjects, TableView, type Table } from '../table.ts';
import { resolveTargets, type Target } from '../targets.ts';

interface GetOptions extends GlobalOptions {
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
}

export function getCommand(): Command {
  return new Command('get')
    .description('Display one or many resources')
    .argument('<type>', 'resource type(s), e.g. pods, po,svc, pod/NAME')
    .argument('[names...]', 'object names')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. metadata.name=x')
    .option('-o, --output <format>', 'output format: wide, json, yaml, name')
    .option('-w, --watch', 'after listing, watch for changes')
    .action(async (type: string, names: string[], _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GetOptions>();
      const session = await openSession(opts);
      await runGet(session, [type, ...names], opts);
    });
}

async function runGet(session: Session, args: string[], opts: GetOptions): Promise<void> {
  const targets = await resolveTargets(session.discovery, args);
  const output = parseOutput(opts.output);
  if (opts.watch) {
    if (targets.length !== 1) throw new CliError('you may only specify a single resource type with --watch');
    await watchTarget(session, targets[0]!, output, opts);
    return;
  }
  if (output && output !== 'wide') {
    const objs = await fetchObjects(session, targets, opts);
    // As kubectl: json/yaml print an empty List rather than nothing; a missing single object prints nothing.
    const single = isSingleObject(targets);
    if (objs.length > 0 || (output !== 'name' && !single)) process.stdout.write(formatObjects(objs, output, single));
    else if (!single) noResources(session, targets, opts);
    return;
  }
  let printed = 0;
  const failures: unknown[] = [];
  for (const target of targets) {
    const tables = await fetchTables(session, target, opts, failures);
    const rows = tables.flatMap((t) => t.rows);
    if (rows.length === 0) continue;
    const view = new TableView(tables[0]!.columnDefinitions, {
      wide: output === 'wide',
      withNamespace: Boolean(opts.allNamespaces) && target.resource.namespaced,
      namePrefix: targets.length > 1 ? `${qualifiedKind(target.resource)}/` : undefined,
    });
    if (printed > 0) process.stdout.write('\n');
    process.stdout.write(new ColumnWriter().format([view.header(), ...rows.map((r) => view.cells(r))]));
    printed += rows.length;
  }
  reportFailures(failures);
  if (printed === 0 && failures.length === 0) noResources(session, targets, opts);
}

/** Tables for one target: one list, or one GET per name (missing names go to `failures`). */
async function fetchTables(session: Session, target: Target, opts: GetOptions, failures: unknown[]): Promise<Table[]> {
  const ns = namespaceFor(session, target.resource, opts);
  if (target.names.length === 0) {
    return [asTable(await session.client.json<unknown>('GET', resourcePath(target.resource, ns), listRequest(opts, TABLE_ACCEPT)))];
  }
  const tables: Table[] = [];
  for (const name of target.names) {
    try {
      tables.push(asTable(await session.client.json<unknown>('GET', resourcePath(target.resource, ns, name), { accept: TABLE_ACCEPT })));
    } catch (err) {
      if (!(err instanceof ApiStatusError)) throw err;
      failures.push(err);
    }
  }
  return tables;
}

/** Whole objects for `-o json|yaml|name`. */
async function fetchObjects(
  session: Session,
  targets: Target[],
  opts: GetOptions,
): Promise<{ resource: ApiResource; object: KubeObject }[]> {
  const out: { resource: ApiResource; object: KubeObject }[] = [];
  const failures: unknown[] = [];
  for (const { resource, names } of targets) {
    const ns = namespaceFor(session, resource, opts);
    if (names.length === 0) {
      const list = await session.client.json<KubeList>('GET', resourcePath(resource, ns), listRequest(opts));
      for (const object of list.items) out.push({ resource, object });
      continue;
    }
    for (const name of names) {
      try {
        out.push({ resource, object: await session.client.json<KubeObject>('GET', resourcePath(resource, ns, name)) });
      } catch (err) {
        if (!(err instanceof ApiStatusError)) throw err;
        failures.push(err);
      }
    }
  }
  reportFailures(failures);
  return out;
}

/** Lists, then streams watch events from the list's resourceVersion until the server ends it. */
async function watchTarget(session: Session, target: Target, output: ObjectFormat | 'wide' | undefined, opts: GetOptions): Promise<void> {
  const { resource, names } = target;
  if (names.length > 1) throw new CliError('watch is only supported on individual resources and resource collections, but 2 resources were found');
  const ns = namespaceFor(session, resource, opts);
  const fieldSelector = [opts.fieldSelector, names[0] && `metadata.name=${names[0]}`].filter(Boolean).join(',');
  const request = listRequest({ ...opts, fieldSelector });
  const asObjects = output !== undefined && output !== 'wide';
  const first = await session.client.json<unknown>('GET', resourcePath(resource, ns), {
    ...request,
    accept: asObjects ? 'application/json' : TABLE_ACCEPT,
  });
  const resourceVersion = (first as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
  const printer = asObjects ? objectPrinter(resource, output) : tablePrinter(resource, output === 'wide', opts);
  printer.initial(first);
  const stream = session.client.watch(
    resourcePath(resource, ns),
    { ...request, query: { ...request.query, resourceVersion, allowWatchBookmarks: 'true' }, accept: asObjects ? 'application/json' : TABLE_ACCEPT },
    (ev) => {
      if (ev.type === 'BOOKMARK') return;
      if (ev.type === 'ERROR') {
        process.stderr.write(formatError(new ApiStatusError(0, ev.object)) + '\n');
        process.exitCode = 1;
        stream.close();
        return;
      }
      printer.event(ev.object);
    },
  );
  await stream.done;
}

interface WatchPrinter {
  initial(body: unknown): void;
  event(object: unknown): void;
}

function objectPrinter(resource: ApiResource, format: ObjectFormat): WatchPrinter {
  const print = (object: KubeObject): void => {
    const text = formatObjects([{ resource, object }], format, true);
    process.stdout.write(format === 'yaml' ? `---\n${text}` : text);
  };
  return {
    initial: (body) => (body as KubeList).items.forEach(print),
    event: (object) => print(object as KubeObject),
  };
}

function tablePrinter(resource: ApiResource, wide: boolean, opts: GetOptions): WatchPrinter {
  const writer = new ColumnWriter();
  let view: TableView | undefined;
  const print = (table: Table): void => {
    if (!view) {
      view = new TableView(table.columnDefinitions, { wide, withNamespace: Boolean(opts.allNamespaces) && resource.namespaced });
      process.stdout.write(writer.format([view.header()]));
    }
    const v = view;
    process.stdout.write(writer.format(table.rows.map((r) => v.cells(r))));
  };
  return {
    initial: (body) => {
      const table = asTable(body);
      if (table.rows.length > 0) print(table);
    },
    event: (object) => print(asTable(object)),
  };
}

/** The server's Table, or NAME/AGE built from a plain list or object when it sent none. */
function asTable(body: unknown): Table {
  if (isTable(body)) return body;
  const list = body as Partial<KubeList> & KubeObject;
  return tableFromObjects(Array.isArray(list.items) ? list.items : [list]);
}

function listRequest(opts: GetOptions, accept?: string): { query: Record<string, string | undefined>; accept?: string } {
  return { query: { labelSelector: opts.selector, fieldSelector: opts.fieldSelector }, accept };
}

function namespaceFor(session: Session, r: ApiResource, opts: GetOptions): string | undefined {
  if (!r.namespaced || opts.allNamespaces) return undefined;
  return session.namespace;
}

function isSingleObject(targets: Target[]): boolean {
  return targets.length === 1 && targets[0]!.names.length === 1;
}

function reportFailures(failures: unknown[]): void {
  for (const err of failures) process.stderr.write(formatError(err) + '\n');
  if (failures.length > 0) process.exitCode = 1;
}

function noResources(session: Session, targets: Target[], opts: GetOptions): void {
  const namespaced = targets.some((t) => t.resource.namespaced);
  const where = namespaced && !opts.allNamespaces ? ` in ${session.namespace} namespace` : '';
  process.stderr.write(`No resources found${where}.\n`);
}
