/**
 * `kactus rollout status TYPE/NAME [--timeout D] [--watch=false]` for Deployments, DaemonSets and
 * StatefulSets: kubectl's verdicts and messages (rollout-status.ts) with a progress bar of updated
 * and ready replicas of the desired count — redrawn in place on a terminal, a line per change
 * otherwise — ending with `deployment "NAME" successfully rolled out`, or failing (exit 1) on a
 * progress deadline exceeded, on `--timeout`, or when the object is deleted.
 *
 * It follows a watch of the one object (list with `metadata.name=NAME`, then watch from the
 * list's resourceVersion, again after the server ends a watch or answers 410), as kubectl does,
 * not the event stream: the replica counts are in the object's status, which only the watch
 * carries (the stream has the controller's state names, not the counts), and a watch needs no
 * transition log to be written.
 */
import { Command } from 'commander';
import { resourcePath, type ApiResource } from '../discovery.ts';
import { ApiStatusError, CliError } from '../errors.ts';
import { boolean, duration } from '../flags.ts';
import type { KubeList, KubeObject } from '../output.ts';
import { ProgressPrinter, ROLLOUT_KINDS, rolloutVerdict, type RolloutVerdict } from '../rollout-status.ts';
import { openSession, type GlobalOptions, type Session } from '../session.ts';
import { resolveTargets } from '../targets.ts';

interface StatusOptions extends GlobalOptions {
  watch: boolean;
  /** Milliseconds; 0 waits for ever (kubectl's default). */
  timeout: number;
}

export function rolloutCommand(): Command {
  const status = new Command('status')
    .description('Show the status of a rollout, with a progress bar, until it is done')
    .argument('<resource>', 'TYPE/NAME (deployment/web), or TYPE followed by NAME')
    .argument('[name]', 'the name, when TYPE is given alone')
    .option('-w, --watch [bool]', 'watch until the rollout is done; --watch=false prints the status once', boolean, true)
    .option('--timeout <duration>', 'give up after this long (e.g. 2m); 0 waits for ever', duration, 0)
    .action(async (resource: string, name: string | undefined, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<StatusOptions>();
      const session = await openSession(opts);
      const targets = await resolveTargets(session.discovery, name === undefined ? [resource] : [resource, name]);
      const target = targets[0];
      if (targets.length !== 1 || target?.names.length !== 1) throw new CliError('rollout status takes one object: TYPE/NAME');
      if (!(ROLLOUT_KINDS as readonly string[]).includes(target.resource.kind)) {
        throw new CliError(`no status viewer has been implemented for ${target.resource.kind}`);
      }
      await rolloutStatus(session, target.resource, target.names[0]!, opts);
    });
  return new Command('rollout').description('Manage the rollout of a Deployment, DaemonSet or StatefulSet').addCommand(status);
}

async function rolloutStatus(session: Session, resource: ApiResource, name: string, opts: StatusOptions): Promise<void> {
  const namespace = resource.namespaced ? session.namespace : undefined;
  // A GET first: a missing object is the server's NotFound, in its words.
  const initial = await session.client.json<KubeObject>('GET', resourcePath(resource, namespace, name));
  const first = verdictOf(resource, initial);
  if (!opts.watch) {
    process.stdout.write(`${first.message}\n`);
    return;
  }
  const printer = new ProgressPrinter(process.stdout);
  const deadline = opts.timeout > 0 ? Date.now() + opts.timeout : Number.POSITIVE_INFINITY;
  try {
    for (;;) {
      const list = await session.client.json<KubeList>('GET', resourcePath(resource, namespace), { query: { fieldSelector: `metadata.name=${name}` } });
      const live = list.items[0];
      if (!live) throw new CliError('object has been deleted');
      if (show(printer, verdictOf(resource, live))) return;
      if ((await watchUntilDone(session, resource, namespace, name, list.metadata?.resourceVersion, deadline, printer)) === 'done') return;
    }
  } catch (err) {
    printer.finish();
    throw err;
  }
}

function verdictOf(resource: ApiResource, o: KubeObject): RolloutVerdict {
  const v = rolloutVerdict(resource.kind, o);
  if (v.error) throw new CliError(v.error);
  return v;
}

/** Shows one verdict; true when the rollout is done (its message printed). */
function show(printer: ProgressPrinter, v: RolloutVerdict): boolean {
  if (v.done) {
    printer.finish(v.message);
    return true;
  }
  printer.update(v);
  return false;
}

/** Watches the object from `resourceVersion`: `done`, or `relist` when the server ended the watch (or it expired). */
function watchUntilDone(session: Session, resource: ApiResource, namespace: string | undefined, name: string, resourceVersion: string | undefined, deadline: number, printer: ProgressPrinter): Promise<'done' | 'relist'> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      stream.close();
      outcome();
    };
    const stream = session.client.watch(
      resourcePath(resource, namespace),
      { query: { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: 'true' }, accept: 'application/json' },
      (ev) => {
        if (ev.type === 'BOOKMARK') return;
        // 410 Gone (the version expired) and other watch errors: list again.
        if (ev.type === 'ERROR') return settle(() => resolve('relist'));
        if (ev.type === 'DELETED') return settle(() => reject(new CliError('object has been deleted')));
        try {
          if (show(printer, verdictOf(resource, ev.object as KubeObject))) settle(() => resolve('done'));
        } catch (err) {
          settle(() => reject(err));
        }
      },
    );
    if (Number.isFinite(deadline)) timer = setTimeout(() => settle(() => reject(new CliError('timed out waiting for the condition'))), Math.max(0, deadline - Date.now()));
    stream.done.then(
      () => settle(() => resolve('relist')),
      (err: unknown) => settle(() => (err instanceof ApiStatusError && err.httpStatus === 410 ? resolve('relist') : reject(err))),
    );
  });
}
