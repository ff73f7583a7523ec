/**
 * `kactus delete TYPE NAME... | TYPE/NAME... | -f FILE`: deletes objects, printing
 * `pod "x" deleted`, and by default waits until they are gone (as kubectl's `--wait=true`).
 */
import { Command } from 'commander';
import { qualifiedKind, resourcePath, type ApiResource } from '../discovery.ts';
import { ApiStatusError, CliError, formatError } from '../errors.ts';
import { boolean, collect, duration, integer } from '../flags.ts';
import { readManifests } from '../manifests.ts';
import type { KubeList, KubeObject } from '../output.ts';
import { openSession, type GlobalOptions, type Session } from '../session.ts';
import { resolveTargets } from '../targets.ts';

interface DeleteOptions extends GlobalOptions {
  filename: string[];
  selector?: string;
  gracePeriod?: number;
  wait: boolean;
  timeout: number;
  ignoreNotFound?: boolean;
}

/** One object to delete. */
interface Victim {
  resource: ApiResource;
  namespace: string | undefined;
  name: string;
}

export function deleteCommand(): Command {
  return new Command('delete')
    .description('Delete resources by type and names, by label selector, or by file')
    .argument('[args...]', 'TYPE NAME..., TYPE/NAME..., or TYPE with -l')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [])
    .option('-l, --selector <selector>', 'delete every object of TYPE matching this label selector')
    .option('--grace-period <seconds>', 'seconds the object is given to terminate gracefully', integer)
    .option('--wait [bool]', 'wait until the objects are gone', boolean, true)
    .option('--timeout <duration>', 'how long to wait with --wait', duration, 60_000)
    .option('--ignore-not-found', 'treat "not found" as success')
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<DeleteOptions>();
      const session = await openSession(opts);
      const victims = await collectVictims(session, args, opts);
      let failed = false;
      const deleted: { victim: Victim; live: KubeObject }[] = [];
      for (const victim of victims) {
        try {
          const live = await deleteOne(session, victim, opts);
          deleted.push({ victim, live });
          process.stdout.write(`${qualifiedKind(victim.resource)} "${victim.name}" deleted\n`);
        } catch (err) {
          if (!(err instanceof ApiStatusError)) throw err;
          if (opts.ignoreNotFound && err.reason === 'NotFound') continue;
          process.stderr.write(formatError(err) + '\n');
          failed = true;
        }
      }
      if (opts.wait) {
        const deadline = Date.now() + opts.timeout;
        for (const { victim, live } of deleted) await waitGone(session, victim, live.metadata?.uid, deadline);
      }
      if (failed) process.exitCode = 1;
    });
}

async function collectVictims(session: Session, args: string[], opts: DeleteOptions): Promise<Victim[]> {
  if (opts.filename.length > 0) {
    if (args.length > 0) throw new CliError('do not give resource names together with -f');
    const out: Victim[] = [];
    for (const { object } of await readManifests(opts.filename)) {
      const resource = await session.discovery.resolveKind(object.apiVersion, object.kind);
      const namespace = resource.namespaced ? (object.metadata.namespace ?? session.namespace) : undefined;
      out.push({ resource, namespace, name: object.metadata.name });
    }
    return out;
  }
  const targets = await resolveTargets(session.discovery, args);
  const out: Victim[] = [];
  for (const { resource, names } of targets) {
    const namespace = resource.namespaced ? session.namespace : undefined;
    if (names.length > 0) {
      for (const name of names) out.push({ resource, namespace, name });
    } else if (opts.selector) {
      const list = await session.client.json<KubeList>('GET', resourcePath(resource, namespace), { query: { labelSelector: opts.selector } });
      for (const item of list.items) out.push({ resource, namespace, name: item.metadata?.name ?? '' });
    } else {
      throw new CliError('resource(s) were provided, but no name was specified');
    }
  }
  return out;
}

/** Sends the DELETE; returns what the server answered (the object, possibly still terminating). */
async function deleteOne(session: Session, { resource, namespace, name }: Victim, opts: DeleteOptions): Promise<KubeObject> {
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', gracePeriodSeconds: opts.gracePeriod };
  return session.client.json<KubeObject>('DELETE', resourcePath(resource, namespace, name), { body });
}

/**
 * Waits until the object with this uid is gone: a GET, then a watch on its name from that
 * revision until DELETED (again if the server ends the watch early). Throws CliError when the
 * deadline passes first.
 */
async function waitGone(session: Session, victim: Victim, uid: string | undefined, deadline: number): Promise<void> {
  const { resource, namespace, name } = victim;
  while (Date.now() < deadline) {
    let live: KubeObject;
    try {
      live = await session.client.json<KubeObject>('GET', resourcePath(resource, namespace, name));
    } catch (err) {
      if (err instanceof ApiStatusError && err.reason === 'NotFound') return;
      throw err;
    }
    if (uid && live.metadata?.uid !== uid) return;
    if (await watchForDelete(session, victim, live.metadata?.resourceVersion, deadline)) return;
  }
  throw new CliError(`timed out waiting for the deletion of ${qualifiedKind(resource)}/${name}`);
}

/** Watches one name from a revision; true when a DELETED event came before the deadline. */
async function watchForDelete(session: Session, { resource, namespace, name }: Victim, resourceVersion: string | undefined, deadline: number): Promise<boolean> {
  let gone = false;
  const stream = session.client.watch(
    resourcePath(resource, namespace),
    { query: { fieldSelector: `metadata.name=${name}`, resourceVersion } },
    (ev) => {
      if (ev.type === 'DELETED' && (ev.object as KubeObject).metadata?.name === name) {
        gone = true;
        stream.close();
      }
    },
  );
  const timer = setTimeout(() => stream.close(), Math.max(0, deadline - Date.now()));
  try {
    await stream.done;
  } finally {
    clearTimeout(timer);
  }
  return gone;
}
