/**
 * How the process runtime turns a container spec into a host command line. Pure, so the rules
 * are tested without spawning anything.
 *
 * There is no image filesystem: every image is treated as busybox is built here (no ENTRYPOINT,
 * CMD ["sh"]), and the command runs with the host's binaries from PATH. There are no mount
 * namespaces either, so a volume's mountPath is rewritten to its host directory wherever it
 * appears as a path in command, args, env values and workingDir: `cat /data/f` with `/data`
 * mounted from `/var/lib/x` runs `cat /var/lib/x/f`. An exec'd command is rewritten the same way
 * and runs with the container's environment and working directory.
 */
import type { ResolvedMount } from './container-spec.ts';
import type { ContainerSpec } from '../../src/runtime/types.ts';

/** The CMD every image is assumed to have. */
const IMAGE_CMD = ['sh'];

/** A fixed environment: the daemon's own (tokens, paths) must not leak into containers. */
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Launch {
  argv: string[];
  env: Record<string, string>;
  /** Absent: run in the sandbox directory. */
  cwd?: string;
}

/** Kubernetes command/args over an image with no ENTRYPOINT and CMD ["sh"]. */
export function commandLine(spec: ContainerSpec): string[] {
  if (spec.command !== undefined && spec.command.length > 0) return [...spec.command, ...(spec.args ?? [])];
  return spec.args !== undefined && spec.args.length > 0 ? [...spec.args] : [...IMAGE_CMD];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replace each mountPath, where it stands as a path (not inside a longer name), by its host directory. */
export function rewriteMountPaths(text: string, mounts: ResolvedMount[]): string {
  const ordered = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  let result = text;
  for (const mount of ordered) {
    const mountPath = mount.mountPath.replace(/\/+$/, '');
    const pattern = new RegExp(`(?<![\\w.\\-/])${escapeRegExp(mountPath)}(?=$|[/\\s"'\`;:|&)<>])`, 'g');
    result = result.replace(pattern, mount.hostPath);
  }
  return result;
}

/** A command line as it runs on the host: mountPaths rewritten in every word (a container's command, or an exec's). */
export function hostArgv(argv: string[], mounts: ResolvedMount[]): string[] {
  return argv.map((word) => rewriteMountPaths(word, mounts));
}

export function launchFor(spec: ContainerSpec, mounts: ResolvedMount[], hostname: string): Launch {
  const rewrite = (s: string) => rewriteMountPaths(s, mounts);
  const env: Record<string, string> = { PATH: BASE_PATH, HOME: '/root', HOSTNAME: hostname };
  for (const [key, value] of Object.entries(spec.env ?? {})) env[key] = rewrite(value);
  const launch: Launch = { argv: hostArgv(commandLine(spec), mounts), env };
  if (spec.workingDir !== undefined) launch.cwd = rewrite(spec.workingDir);
  return launch;
}
