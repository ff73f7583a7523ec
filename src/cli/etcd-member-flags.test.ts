import { describe, expect, it } from 'vitest';
import { storeChoice, type EtcdMemberFlags } from './etcd-member-flags.ts';

const base: EtcdMemberFlags = { advertiseAddress: '127.0.0.1', etcdClientPort: 2379, etcdPeerPort: 2380, etcdArg: [] };
const TOKEN = `K10${'a'.repeat(64)}::abcdef.0123456789abcdef`;

describe('kactus master: --store, --cluster-init or --server', () => {
  it('picks the store', () => {
    expect(storeChoice({ ...base, store: 'etcd://h:2379' })).toEqual({ kind: 'uri', uri: 'etcd://h:2379' });
    expect(storeChoice({ ...base, clusterInit: true })).toEqual({ kind: 'member' });
    expect(storeChoice({ ...base, server: 'https://10.0.0.1:6443/', token: TOKEN })).toEqual({
      kind: 'member',
      join: { server: 'https://10.0.0.1:6443', token: { caHash: 'a'.repeat(64), credentials: 'abcdef.0123456789abcdef' } },
    });
  });

  it.each([
    [{}, /give --store URI/],
    [{ store: 'etcd://h:2379', clusterInit: true }, /--store and --cluster-init exclude each other/],
    [{ clusterInit: true, server: 'https://h:6443' }, /--cluster-init and --server exclude each other/],
    [{ clusterInit: true, token: TOKEN }, /--token goes with --server/],
    [{ server: 'https://h:6443' }, /--server needs --token/],
    [{ server: 'http://h:6443', token: TOKEN }, /not an https:\/\/ URL/],
    [{ server: 'https://h:6443', token: 'abcdef.0123456789abcdef' }, /a node join token cannot join a master/],
    [{ clusterInit: true, advertiseAddress: 'myhost' }, /--advertise-address: "myhost" is not an IP address/],
    [{ clusterInit: true, etcdPeerPort: 0 }, /--etcd-peer-port: 0 is not a port number/],
    [{ clusterInit: true, etcdArg: ['heartbeat-interval'] }, /--etcd-arg: "heartbeat-interval" is not KEY=VALUE/],
  ] as const)('refuses %j', (flags, message) => {
    expect(() => storeChoice({ ...base, ...flags })).toThrow(message);
  });
});
