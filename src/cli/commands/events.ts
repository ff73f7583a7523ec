/**
 * `kactus events [-w] [--kind K] [-n NS | -A] [--name N] [-l SEL] [--index N] [-o json]`: the
 * cluster's actor transitions and Kubernetes Events from `/kactus/v1/events`. Without `-w` it
 * prints every matching actor's current state (the stream's snapshot) and exits; with `-w` it
 * then follows the stream, reconnecting from the last index it printed. A line per message:
 *
 *   12:01:02.345  Pod/default/web          container:app  waiting → starting  (container.start)
 *   12:01:02.350  Pod/default/web          Event Normal Started: Started container app
 *
 * Like kubectl, the namespace is the context's (or `-n`), unless `-A`, or every `--kind` is
 * cluster-scoped (Node).
 */
import { Command } from 'commander';
import { allResources } from '../../api/kinds.ts';
import { CliError } from '../errors.ts';
import { collect, integer } from '../flags.ts';
import { followEvents, type EventStreamQuery, type StreamMessage } from '../event-stream.ts';
import { openSession, type GlobalOptions } from '../session.ts';

interface EventsOptions extends GlobalOptions {
  watch?: boolean;
  kind: string[];
  name: string[];
  allNamespaces?: boolean;
  selector?: string;
  index?: number;
  output?: string;
}

export function eventsCommand(): Command {
  return new Command('events')
    .description('Show actor transitions and Events: the current state of each actor, then (-w) every change')
    .option('-w, --watch', 'after the current states, follow the stream')
    .option('--kind <kind>', 'only objects of this kind (Pod, Node, Deployment, ...); repeatable, or comma-separated', collect, [])
    .option('--name <name>', 'only objects with this name; repeatable, or comma-separated', collect, [])
    .option('-A, --all-namespaces', 'every namespace (and cluster-scoped objects)')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web')
    .option('--index <n>', 'with -w: resume after this index (no current states)', integer)
    .option('-o, --output <format>', 'json: one stream message per line')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<EventsOptions>();
      if (opts.output !== undefined && opts.output !== 'json') throw new CliError(`unable to match a printer suitable for the output format "${opts.output}", allowed formats are: json`);
      if (opts.index !== undefined && !opts.watch) throw new CliError('--index resumes a followed stream: add -w');
      const session = await openSession(opts);
      const kinds = opts.kind.flatMap((k) => k.split(',')).filter(Boolean);
      const query: EventStreamQuery = {
        kinds,
        names: opts.name.flatMap((n) => n.split(',')).filter(Boolean),
        namespaces: namespaceFilter(opts, kinds, session.namespace),
        ...(opts.selector ? { labelSelector: opts.selector } : {}),
        ...(opts.index !== undefined ? { index: opts.index } : {}),
      };
      const json = opts.output === 'json';
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // A reader that went away (`kactus events -w | head`) ends the stream, as Ctrl-C does.
      process.stdout.on('error', stop);
      try {
        await followEvents(session.client.conn, query, {
          follow: opts.watch === true,
          signal: controller.signal,
          onNote: (text) => process.stderr.write(`${text}\n`),
          onMessage: (msg) => {
            const line = json ? JSON.stringify(msg) : formatStreamLine(msg);
            if (line !== undefined) process.stdout.write(`${line}\n`);
          },
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.stdout.off('error', stop);
      }
    });
}

/**
 * The namespaces to ask for: none for `-A` or when every `--kind` is cluster-scoped (as kubectl
 * ignores `-n` for Nodes), else `-n`, else the context's.
 */
export function namespaceFilter(opts: Pick<EventsOptions, 'namespace' | 'allNamespaces'>, kinds: string[], contextNamespace: string): string[] {
  if (opts.allNamespaces) return [];
  const clusterScoped = new Set(allResources().filter((r) => !r.namespaced).map((r) => r.kind));
  if (kinds.length > 0 && kinds.every((k) => clusterScoped.has(k))) return [];
  return [opts.namespace || contextNamespace];
}

/** `HH:MM:SS.mmm` of an RFC 3339 time (local clock), or the text as it is. */
function clock(time: unknown): string {
  const t = typeof time === 'string' ? new Date(time) : undefined;
  if (!t || Number.isNaN(t.getTime())) return String(time ?? '');
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One message as a line; undefined for those that print nothing (markers, heartbeats). */
export function formatStreamLine(msg: StreamMessage): string | undefined {
  if (msg.type === 'transition' || msg.type === 'snapshot') {
    const object = `${str(msg.kind)}/${str(msg.namespace) ? `${str(msg.namespace)}/` : ''}${str(msg.name)}`;
    const actor = str(msg.actor) || '-';
    const change = msg.type === 'snapshot' ? `= ${str(msg.to)}` : `${str(msg.from) || '∅'} → ${str(msg.to)}`;
    return `${clock(msg.time)}  ${object.padEnd(32)} ${actor.padEnd(14)} ${change}  (${str(msg.event)})`;
  }
  if (msg.type === 'event') {
    const ev = (msg.event ?? {}) as { type?: string; reason?: string; message?: string; count?: number; involvedObject?: { kind?: string; namespace?: string; name?: string; fieldPath?: string } };
    const o = ev.involvedObject ?? {};
    const object = `${o.kind ?? ''}/${o.namespace ? `${o.namespace}/` : ''}${o.name ?? ''}`;
    const count = ev.count && ev.count > 1 ? ` (x${ev.count})` : '';
    return `${clock(msg.time)}  ${object.padEnd(32)} Event ${ev.type ?? ''} ${ev.reason ?? ''}: ${ev.message ?? ''}${count}`;
  }
  return undefined;
}
