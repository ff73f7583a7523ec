/**
 * `kactus apply -f FILE|DIR|-`: create what is missing, merge-patch what changed, as kubectl's
 * client-side apply, printing `configmap/x created|configured|unchanged`.
 */
import { Command } from 'commander';
import { resourcePath } from '../discovery.ts';
import { ApiStatusError, CliError, formatError } from '../errors.ts';
import { lastAppliedOf, threeWayMergePatch, withLastApplied } from '../apply-patch.ts';
import { collect } from '../flags.ts';
import { readManifests, type SourcedManifest } from '../manifests.ts';
import { objectName, type KubeObject } from '../output.ts';
import { openSession, type GlobalOptions, type Session } from '../session.ts';

interface ApplyOptions extends GlobalOptions {
  filename: string[];
}

export function applyCommand(): Command {
  return new Command('apply')
    .description('Apply a configuration to resources by file name or stdin')
    .requiredOption('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [])
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<ApplyOptions>();
      const session = await openSession(opts);
      const manifests = await readManifests(opts.filename);
      if (manifests.length === 0) throw new CliError('no objects passed to apply');
      let failed = false;
      for (const manifest of manifests) {
        try {
          process.stdout.write(`${await applyOne(session, manifest)}\n`);
        } catch (err) {
          if (!(err instanceof ApiStatusError || err instanceof CliError)) throw err;
          process.stderr.write(formatError(err) + '\n');
          failed = true;
        }
      }
      if (failed) process.exitCode = 1;
    });
}

/** Applies one object; returns the line to print. */
async function applyOne(session: Session, { file, object }: SourcedManifest): Promise<string> {
  const resource = await session.discovery.resolveKind(object.apiVersion, object.kind);
  const name = object.metadata.name;
  let namespace: string | undefined;
  if (resource.namespaced) {
    namespace = object.metadata.namespace ?? session.namespace;
    if (session.namespaceFromFlag && namespace !== session.namespace) {
      throw new CliError(
        `the namespace from the provided object "${namespace}" does not match the namespace "${session.namespace}". You must pass '--namespace=${namespace}' to perform this operation.`,
      );
    }
  }
  const manifest = structuredClone(object);
  if (namespace !== undefined) manifest.metadata.namespace = namespace;
  const modified = withLastApplied(manifest);
  const label = objectName(resource, name);

  let live: KubeObject | undefined;
  try {
    live = await session.client.json<KubeObject>('GET', resourcePath(resource, namespace, name));
  } catch (err) {
    if (!(err instanceof ApiStatusError && err.reason === 'NotFound')) throw err;
  }
  if (!live) {
    await withContext('creating', file, () =>
      session.client.json('POST', resourcePath(resource, namespace), { body: modified, query: { fieldManager: 'kubectl-client-side-apply' } }),
    );
    return `${label} created`;
  }
  const patch = threeWayMergePatch(lastAppliedOf(live), modified, live);
  if (!patch) return `${label} unchanged`;
  await withContext('patching', file, () =>
    session.client.json('PATCH', resourcePath(resource, namespace, name), {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'kubectl-client-side-apply' },
    }),
  );
  return `${label} configured`;
}

/** kubectl says which step failed: `error when creating "pod.yaml": Pod "x" is invalid: ...`. */
async function withContext<T>(step: string, file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ApiStatusError)) throw err;
    throw new ApiStatusError(err.httpStatus, { ...err.status, message: `error when ${step} "${file}": ${err.message}` });
  }
}
