import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimAddressBlock, type AddressBlock } from '../../test/support/address-blocks.ts';
import { TEST_LABEL, dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp, removeContainersByLabel } from '../../test/support/docker.ts';
import { DockerRuntime } from '../runtime/docker.ts';
import { bridgeNames, ensurePodBridge, PodCidrChangedError, removePodBridge } from './pod-bridge.ts';

const docker = dockerClient();
const dockerUp = await isDockerUp(docker);
if (!dockerUp && dockerRequired()) throw new Error('CI=true and Docker does not answer at /var/run/docker.sock');

const run = `bridge-${process.pid}-${randomBytes(3).toString('hex')}`;

describe.runIf(dockerUp)('the node pod bridge (a Docker network on the pod CIDR)', () => {
  let block: AddressBlock;
  const scope = `bt-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    block = claimAddressBlock();
  });
  afterAll(async () => {
    await removeContainersByLabel(docker, `${TEST_LABEL}=${run}`);
    await removePodBridge(docker, scope);
    block?.release();
  });

  it('gives sandboxes addresses of the pod CIDR, with masquerade off, and is found again as it is', async () => {
    const podCIDR = `10.${block.octet}.3.0/24`;
    const bridge = await ensurePodBridge(docker, scope, podCIDR, 1450);
    expect(bridge).toMatchObject({ networkName: `kactus-${scope}`, gatewayIP: `10.${block.octet}.3.1`, mtu: 1450 });
    expect(bridge.bridgeName.length).toBeLessThanOrEqual(15);
    const info = (await docker.getNetwork(bridge.networkName).inspect()) as { Id: string; Options: Record<string, string> };
    expect(info.Options['com.docker.network.bridge.enable_ip_masquerade']).toBe('false');
    expect(info.Options['com.docker.network.bridge.name']).toBe(bridgeNames(scope).bridgeName);

    const runtime = await DockerRuntime.connect({ node: scope, docker, extraLabels: { [TEST_LABEL]: run } });
    try {
      const sandbox = await runtime.createSandbox({ uid: 'u1', namespace: 'default', name: 'p1' }, { network: bridge.networkName });
      expect(sandbox.ip).toMatch(new RegExp(`^10\\.${block.octet}\\.3\\.\\d+$`));
      expect(sandbox.ip).not.toBe(bridge.gatewayIP);

      // A daemon restarting finds the same network, with its pod still attached.
      const again = await ensurePodBridge(docker, scope, podCIDR, 1450);
      expect(again).toEqual(bridge);
      const after = (await docker.getNetwork(bridge.networkName).inspect()) as { Id: string };
      expect(after.Id).toBe(info.Id);

      // Another pod CIDR cannot take the network from under a running pod.
      await expect(ensurePodBridge(docker, scope, `10.${block.octet}.4.0/24`, 1450)).rejects.toThrow(PodCidrChangedError);
      await runtime.removeSandbox(sandbox.sandboxId);
    } finally {
      await runtime.close();
    }
    // Nothing attached: a new pod CIDR replaces the network.
    const moved = await ensurePodBridge(docker, scope, `10.${block.octet}.4.0/24`, 1450);
    expect(moved.gatewayIP).toBe(`10.${block.octet}.4.1`);
    await removePodBridge(docker, scope);
    await expect(docker.getNetwork(bridge.networkName).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
