/**
 * `kactus describe TYPE NAME...`: a readable description of objects with their events
 * (core/v1 events of the namespace whose involvedObject is the object).
 */
import { Command } from 'commander';
import { resourcePath } from '../discovery.ts';
import { describeObject, type KubeEvent, type Related } from '../describers/index.ts';
import { ApiStatusError, formatError } from '../errors.ts';
import { withTypeMeta, type KubeList, type KubeObject } from '../output.ts';
import { openSession, type GlobalOptions, type Session } from '../session.ts';
import { resolveTargets } from '../targets.ts';

interface DescribeOptions extends GlobalOptions {
  selector?: string;
}

export function describeCommand(): Command {
  return new Command('describe')
    .description('Show details of a resource or group of resources')
    .argument('<type>', 'resource type, or TYPE/NAME')
    .argument('[names...]', 'object names (all objects of the type when none)')
    .option('-l, --selector <selector>', 'label selector')
    .action(async (type: string, names: string[], _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<DescribeOptions>();
      const session = await openSession(opts);
      const texts: string[] = [];
      let failed = false;
      for (const { resource, names: wanted } of await resolveTargets(session.discovery, [type, ...names])) {
        const ns = resource.namespaced ? session.namespace : undefined;
        const objects: KubeObject[] = [];
        if (wanted.length === 0) {
          const list = await session.client.json<KubeList>('GET', resourcePath(resource, ns), { query: { labelSelector: opts.selector } });
          objects.push(...list.items.map((o) => withTypeMeta(o, resource)));
        }
        for (const name of wanted) {
          try {
            objects.push(withTypeMeta(await session.client.json<KubeObject>('GET', resourcePath(resource, ns, name)), resource));
          } catch (err) {
            if (!(err instanceof ApiStatusError)) throw err;
            process.stderr.write(formatError(err) + '\n');
            failed = true;
          }
        }
        for (const obj of objects) texts.push(describeObject(obj, await eventsOf(session, obj), new Date(), await relatedOf(session, obj)));
      }
      process.stdout.write(texts.join('\n\n\n'));
      if (failed) process.exitCode = 1;
    });
}

/** What a describer shows besides the object: a Service's EndpointSlices, a claim's pods (as kubectl reads them). */
async function relatedOf(session: Session, obj: KubeObject): Promise<Related> {
  if (obj.kind === 'PersistentVolumeClaim' && obj.apiVersion === 'v1') {
    try {
      const path = `/api/v1/namespaces/${encodeURIComponent(obj.metadata?.namespace ?? '')}/pods`;
      return { pods: (await session.client.json<{ items: KubeObject[] }>('GET', path)).items };
    } catch (err) {
      if (err instanceof ApiStatusError) return {};
      throw err;
    }
  }
  if (obj.kind !== 'Service' || obj.apiVersion !== 'v1') return {};
  const ns = encodeURIComponent(obj.metadata?.namespace ?? '');
  try {
    const path = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
    const list = await session.client.json<{ items: KubeObject[] }>('GET', path, { query: { labelSelector: `kubernetes.io/service-name=${obj.metadata?.name ?? ''}` } });
    return { endpointSlices: list.items };
  } catch (err) {
    if (err instanceof ApiStatusError) return {};
    throw err;
  }
}

/** The core/v1 events of the object's namespace (all namespaces for cluster-scoped objects). */
async function eventsOf(session: Session, obj: KubeObject): Promise<KubeEvent[]> {
  const ns = obj.metadata?.namespace;
  const path = ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events` : '/api/v1/events';
  try {
    return (await session.client.json<{ items: KubeEvent[] }>('GET', path)).items;
  } catch (err) {
    // A server without events still describes the object, as kubectl does.
    if (err instanceof ApiStatusError) return [];
    throw err;
  }
}
