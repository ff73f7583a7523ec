/**
 * What every client verb needs: the connection from the kubeconfig, a REST client, discovery,
 * and the namespace to act in (`-n`, else the context's, else `default`).
 */
import { KubeClient } from './client.ts';
import { Discovery } from './discovery.ts';
import { kubeconfigPath, readKubeconfig, resolveConnection } from './kubeconfig.ts';

/** The global flags main.ts defines on the root command. */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface Session {
  client: KubeClient;
  discovery: Discovery;
  /** The namespace verbs act in. */
  namespace: string;
  /** True when `-n` was given (apply refuses manifests naming another namespace then). */
  namespaceFromFlag: boolean;
}

/** Reads the kubeconfig the flags point at and opens a session on its context. */
export async function openSession(opts: GlobalOptions): Promise<Session> {
  const cfg = await readKubeconfig(kubeconfigPath(opts.kubeconfig));
  const conn = await resolveConnection(cfg, opts.context);
  const client = new KubeClient(conn);
  return {
    client,
    discovery: new Discovery(client),
    namespace: opts.namespace || conn.namespace,
    namespaceFromFlag: Boolean(opts.namespace),
  };
}
