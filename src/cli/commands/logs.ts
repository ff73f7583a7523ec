/**
 * `kactus logs POD [-c C] [-f] [--tail N] [--timestamps] [--since D] [-p] [--limit-bytes N]`: a
 * container's log from `GET pods/{name}/log`, copied to stdout as it arrives (with `-f` until the
 * container exits or the command is interrupted). Like kubectl, a pod with several containers and
 * no `-c` gets its default container (the `kubectl.kubernetes.io/default-container` annotation,
 * else the first) and a `Defaulted container` note on stderr.
 */
import { once } from 'node:events';
import { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { CliError } from '../errors.ts';
import { duration, integer } from '../flags.ts';
import { openSession, type GlobalOptions } from '../session.ts';

interface LogsOptions extends GlobalOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tail: number;
  timestamps?: boolean;
  since?: number;
  limitBytes?: number;
}

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export function logsCommand(): Command {
  return new Command('logs')
    .description('Print the logs for a container in a pod')
    .argument('<pod>', 'pod name, or pod/NAME')
    .option('-c, --container <name>', 'print the logs of this container')
    .option('-f, --follow', 'keep printing as the container writes')
    .option('-p, --previous', 'print the logs of the previous instance of the container')
    .option('--tail <lines>', 'lines of recent log to show; -1 shows all', integer, -1)
    .option('--timestamps', 'prefix each line with its RFC 3339 time')
    .option('--since <duration>', 'only logs newer than this (5s, 2m, 3h)', duration)
    .option('--limit-bytes <bytes>', 'stop after this many bytes', integer)
    .action(async (podArg: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<LogsOptions>();
      const session = await openSession(opts);
      const podPath = `/api/v1/namespaces/${encodeURIComponent(session.namespace)}/pods/${encodeURIComponent(podName(podArg))}`;
      const container = opts.container ?? defaultContainer(await session.client.json<Pod>('GET', podPath));
      const res = await session.client.stream(`${podPath}/log`, {
        accept: '*/*',
        query: {
          container,
          follow: opts.follow,
          previous: opts.previous,
          timestamps: opts.timestamps,
          tailLines: opts.tail >= 0 ? opts.tail : undefined,
          sinceSeconds: opts.since !== undefined ? Math.max(1, Math.ceil(opts.since / 1000)) : undefined,
          limitBytes: opts.limitBytes,
        },
      });
      for await (const chunk of res) {
        if (!process.stdout.write(chunk as Buffer)) await once(process.stdout, 'drain');
      }
    });
}

/** `NAME` or `pod/NAME` (also `pods/`, `po/`); other types are not served by this verb. */
function podName(arg: string): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const type = arg.slice(0, slash);
  if (!['pod', 'pods', 'po'].includes(type)) throw new CliError(`logs supports pods only, not ${JSON.stringify(type)}`);
  return arg.slice(slash + 1);
}

/**
 * kubectl's default container: the annotated one, else the first; a pod with one container and
 * no others gets undefined (the server picks it). Choosing the first among several is announced
 * on stderr with every container's name, as kubectl does.
 */
function defaultContainer(pod: Pod): string | undefined {
  const spec = pod.spec;
  const containers = spec?.containers ?? [];
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated) {
    if (containers.some((c) => c.name === annotated)) return annotated;
    process.stderr.write(`error: default container name ${JSON.stringify(annotated)} not found in pod ${pod.metadata?.name ?? ''}\n`);
  }
  const first = containers[0];
  if (!first || (containers.length === 1 && !spec?.initContainers?.length && !spec?.ephemeralContainers?.length)) return undefined;
  const names = [
    ...containers.map((c) => c.name),
    ...(spec?.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
    ...(spec?.initContainers ?? []).map((c) => `${c.name} (init)`),
  ];
  process.stderr.write(`Defaulted container ${JSON.stringify(first.name)} out of: ${names.join(', ')}\n`);
  return first.name;
}
