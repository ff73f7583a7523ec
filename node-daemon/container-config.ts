/**
 * A container's runtime configuration, built each time it is (re)started as the kubelet's
 * `generateContainerConfig` builds it: the environment (env/container-env.ts, with the pod's
 * service variables), `$(VAR)` in command and args, and the mounts, with `subPath` /
 * `subPathExpr` resolved inside their volume at this moment:
 *
 * - a subPath that does not exist is made as a directory (with the volume's mode);
 * - one that leaves its volume, through `..` or a symlink, is refused;
 * - a file in a content volume (ConfigMap, Secret…) is bound as the version it is now, through a
 *   hard link under `DIR/pods/<uid>/volume-subpaths/<volume>/<container>/<n>`: it gets no
 *   updates, as in Kubernetes, and keeps working after the AtomicWriter removed that version.
 *
 * Anything that cannot be built throws ContainerConfigError (the container waits in
 * CreateContainerConfigError and is retried).
 */
import { link, mkdir, realpath, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { optionalRecord, recordList, type JsonObject } from '../src/api/object.ts';
import { ContainerConfigError } from '../src/actors/pod/config-errors.ts';
import type { ContainerSpec, HostVolume, VolumeMount } from '../src/runtime/types.ts';
import type { ClusterObjects } from './cluster-objects.ts';
import { expandCommand, expandSubPathExpr, resolveContainerEnv, type EnvWarning } from './env/container-env.ts';
import type { NodeAllocatable, PodRuntimeFields } from './env/downward-api.ts';
import { serviceEnvFor } from './env/service-env.ts';
import { podDir, type MountedVolume } from './volumes/volume-manager.ts';

export interface ContainerConfigInput {
  /** The pod as last assigned (labels and annotations as they are now). */
  pod: JsonObject;
  /** The spec as read from the pod (pod-spec.ts), plus mounts the node adds (resolv.conf). */
  base: ContainerSpec;
  /** Mounts and volumes the node adds to every container (not the pod's `volumeMounts`). */
  extra: { mounts: VolumeMount[]; volumes: HostVolume[] };
  volumes: readonly MountedVolume[];
  objects: ClusterObjects | undefined;
  runtime: PodRuntimeFields;
  allocatable: NodeAllocatable;
  dataDir: string;
  /** False on a hollow node: subPaths are not made or linked on disk. */
  writeFiles: boolean;
}

export interface ContainerConfig {
  spec: ContainerSpec;
  volumes: HostVolume[];
  warnings: EnvWarning[];
}

function containerOf(pod: JsonObject, name: string): JsonObject {
  const spec = optionalRecord(pod, 'spec');
  const found = [...recordList(spec, 'initContainers'), ...recordList(spec, 'containers')].find((c) => c.name === name);
  if (!found) throw new ContainerConfigError(`container "${name}" not found in the pod's spec`);
  return found;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The host path a subPath mount binds (see the module comment). */
async function subPathHost(volume: MountedVolume, subPath: string, linkPath: string, writeFiles: boolean): Promise<string> {
  if (isAbsolute(subPath)) throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split(/[\\/]/).includes('..')) throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const wanted = join(volume.hostPath, subPath);
  if (!writeFiles) return wanted;
  try {
    const root = await realpath(volume.hostPath);
    const existing = await stat(wanted).catch(() => undefined);
    if (!existing) await mkdir(wanted, { recursive: true, mode: (await stat(root)).mode & 0o7777 });
    const resolved = await realpath(wanted);
    if (!isInside(root, resolved)) throw new ContainerConfigError(`subpath "${resolved}" not within volume path "${root}"`);
    if (!volume.content || !(await stat(resolved)).isFile()) return resolved;
    await mkdir(dirname(linkPath), { recursive: true });
    await rm(linkPath, { force: true });
    await link(resolved, linkPath);
    return linkPath;
  } catch (err) {
    if (err instanceof ContainerConfigError) throw err;
    throw new ContainerConfigError(`failed to prepare subPath for volumeMount of volume "${volume.name}": ${(err as Error).message}`);
  }
}

/** The container's spec and volumes for the runtime now; throws ContainerConfigError. */
export async function buildContainerConfig(input: ContainerConfigInput): Promise<ContainerConfig> {
  const { pod, base } = input;
  const container = containerOf(pod, base.name);
  const meta = optionalRecord(pod, 'metadata') ?? {};
  const uid = String(meta.uid ?? '');
  const namespace = String(meta.namespace ?? 'default');
  const serviceLinks = optionalRecord(pod, 'spec')?.enableServiceLinks !== false;
  const serviceEnv = serviceEnvFor(input.objects, namespace, serviceLinks);
  const { env, warnings } = resolveContainerEnv(pod, container, { objects: input.objects, serviceEnv, runtime: input.runtime, allocatable: input.allocatable });

  const byName = new Map(input.volumes.map((v) => [v.name, v]));
  const mounts: VolumeMount[] = [];
  const volumes = new Map<string, HostVolume>();
  for (const [i, m] of recordList(container, 'volumeMounts').entries()) {
    const name = String(m.name ?? '');
    const mountPath = String(m.mountPath ?? '');
    const volume = byName.get(name);
    if (!volume) throw new ContainerConfigError(`cannot find volume "${name}" to mount into container "${base.name}"`);
    const readOnly = m.readOnly === true || volume.readOnly;
    const subPath = typeof m.subPathExpr === 'string' && m.subPathExpr !== '' ? expandSubPathExpr(m.subPathExpr, env) : typeof m.subPath === 'string' ? m.subPath : '';
    if (subPath === '') {
      volumes.set(name, { name, hostPath: volume.hostPath });
      mounts.push({ name, mountPath, ...(readOnly ? { readOnly } : {}) });
      continue;
    }
    // A name no pod volume can have (volume names are DNS labels).
    const subName = `kactus:subpath:${name}:${i}`;
    const linkPath = join(podDir(input.dataDir, uid), 'volume-subpaths', name, base.name, String(i));
    volumes.set(subName, { name: subName, hostPath: await subPathHost(volume, subPath, linkPath, input.writeFiles) });
    mounts.push({ name: subName, mountPath, ...(readOnly ? { readOnly } : {}) });
  }
  for (const v of input.extra.volumes) volumes.set(v.name, v);

  const spec: ContainerSpec = { ...base, volumeMounts: [...mounts, ...input.extra.mounts] };
  if (spec.volumeMounts!.length === 0) delete spec.volumeMounts;
  if (Object.keys(env).length > 0) spec.env = env;
  else delete spec.env;
  const command = expandCommand(base.command, env);
  const args = expandCommand(base.args, env);
  if (command) spec.command = command;
  if (args) spec.args = args;
  return { spec, volumes: [...volumes.values()], warnings };
}
