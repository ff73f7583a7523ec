/**
 * Cleanup of what a node daemon killed by a test leaves in this network namespace: its pod bridge
 * (a Docker network labelled with its runtime scope), its service proxy's nftables table and its
 * DOCKER-USER accept rules. A daemon that stops cleanly removes these itself; one killed with -9
 * (or whose containers are kept for re-adoption) does not. Names are per node scope
 * (`<node name>-<8 chars of peer id>`), so nothing of another node or cluster is touched.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';

const exec = promisify(execFile);

export async function removeNodeNetwork(docker: Docker, nodeName: string): Promise<void> {
  const prefix = `${nodeName}-`;
  const networks = (await docker.listNetworks({ filters: { label: ['io.kactus.node'] } })) as { Id: string; Labels?: Record<string, string> }[];
  for (const n of networks) {
    if (n.Labels?.['io.kactus.node']?.startsWith(prefix)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
  const tables = await exec('nft', ['list', 'tables']).then((r) => r.stdout, () => '');
  for (const line of tables.split('\n')) {
    const m = /^table (\w+) (kactus-\S+)$/.exec(line.trim());
    if (m && m[2]!.startsWith(`kactus-${prefix}`)) await exec('nft', ['delete', 'table', m[1]!, m[2]!]).catch(() => undefined);
  }
  for (const chain of ['DOCKER-USER', 'FORWARD']) {
    const rules = await exec('iptables', ['-w', '-S', chain]).then((r) => r.stdout, () => '');
    for (const line of rules.split('\n')) {
      if (!line.includes(`kactus-proxy:kactus-${prefix}`)) continue;
      const words = [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((w) => w[1] ?? w[2]!);
      await exec('iptables', ['-w', '-D', chain, ...words.slice(2)]).catch(() => undefined);
    }
  }
}
