import { describe, expect, it } from 'vitest';
import { etcdMemberArgs, peerUrlOf, type EtcdMemberConfig } from './member-process.ts';

const config: EtcdMemberConfig = {
  name: 'a',
  dataDir: '/d/etcd',
  advertise: '10.0.0.1',
  clientPort: 2379,
  peerPort: 2380,
  initialCluster: 'a=https://10.0.0.1:2380',
  clusterState: 'new',
  clusterToken: 'kactus-1',
  tls: { caFile: '/d/ca.crt', certFile: '/d/peer.crt', keyFile: '/d/peer.key' },
  extraArgs: ['heartbeat-interval=50', '--election-timeout=500'],
};

describe('the etcd member command line', () => {
  it('serves clients on loopback only, peers over TLS on the advertise address with member certificates only; extra flags last', () => {
    const args = etcdMemberArgs(config);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag('--listen-client-urls')).toBe('http://127.0.0.1:2379');
    expect(flag('--listen-peer-urls')).toBe('https://10.0.0.1:2380');
    expect(flag('--initial-advertise-peer-urls')).toBe('https://10.0.0.1:2380');
    expect(flag('--peer-trusted-ca-file')).toBe('/d/ca.crt');
    expect(flag('--peer-cert-allowed-cn')).toBe('kactus-etcd-peer');
    expect(args).toContain('--peer-client-cert-auth');
    expect(flag('--initial-cluster-state')).toBe('new');
    expect(args.slice(-2)).toEqual(['--heartbeat-interval=50', '--election-timeout=500']);
  });

  it('brackets IPv6 peer addresses', () => {
    expect(peerUrlOf('fd00::1', 2380)).toBe('https://[fd00::1]:2380');
  });
});
