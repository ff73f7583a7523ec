import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import dnsPacket, { type Answer } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterDnsServer, type ClusterDnsServer } from './server.ts';
import { endpointSlice, headlessService, testCluster } from './test-cluster.ts';
import { dataOf, DnsTcpClient, DnsUdpClient, question, rcodeOf, startFakeUpstream, type FakeUpstream } from './test-client.ts';

const SVC = 'svc.cluster.local';

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const UPSTREAM_ZONE: Record<string, Answer[]> = {
  'example.com A': [{ name: 'example.com', type: 'A', ttl: 300, data: '192.0.2.1' }],
  'www.example.com A': [{ name: 'www.example.com', type: 'A', ttl: 300, data: '192.0.2.53' }],
  // Larger than 512 bytes, to see the upstream's own truncation relayed over UDP and TCP used for the retry.
  'big.example.com TXT': Array.from({ length: 8 }, (_, i): Answer => ({ name: 'big.example.com', type: 'TXT', ttl: 60, data: `${i}${'x'.repeat(100)}` })),
};

/** A headless Service with `n` ready endpoints: its A answer outgrows 512 bytes. */
function bigHeadless(n: number) {
  const endpoints = Array.from({ length: n }, (_, i) => ({ ip: `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
  return { service: headlessService('default', 'many', [{ name: 'http', port: 80 }]), slice: endpointSlice('default', 'many-1', 'many', endpoints, [{ name: 'http', port: 80 }]) };
}

describe('cluster DNS server on loopback', () => {
  let upstream: FakeUpstream;
  let server: ClusterDnsServer;
  let udp: DnsUdpClient;
  const logs: string[] = [];

  beforeAll(async () => {
    upstream = await startFakeUpstream(UPSTREAM_ZONE);
    server = await startClusterDnsServer({
      address: '127.0.0.1',
      port: 0,
      upstreams: [`127.0.0.1:${upstream.port}`],
      upstreamTimeoutMs: 1000,
      log: (line) => logs.push(line),
    });
    const { services, slices } = testCluster();
    const many = bigHeadless(60);
    server.update([...services, many.service], [...slices, many.slice]);
    udp = new DnsUdpClient(server.port);
  });

  afterAll(async () => {
    udp?.close();
    await server?.close();
    await upstream?.close();
  });

  it('answers a ClusterIP A over UDP: same id, AA, RA, RD echoed, TTL 5', async () => {
    const reply = await udp.query(question(`web.default.${SVC}`, 'A'));
    expect(rcodeOf(reply)).toBe('NOERROR');
    expect([reply.flag_qr, reply.flag_aa, reply.flag_ra, reply.flag_rd, reply.flag_tc]).toEqual([true, true, true, true, false]);
    expect(reply.questions).toEqual([{ name: `web.default.${SVC}`, type: 'A', class: 'IN' }]);
    expect(reply.answers).toEqual([{ name: `web.default.${SVC}`, type: 'A', ttl: 5, class: 'IN', flush: false, data: '10.96.0.10' }]);
  });

  it('answers over TCP, several queries pipelined on one connection', async () => {
    const tcp = new DnsTcpClient(server.port);
    try {
      const [a, srv, nx] = await Promise.all([
        tcp.query({ ...question(`db-0.db.default.${SVC}`, 'A'), id: 11 }),
        tcp.query({ ...question(`_pg._tcp.db.default.${SVC}`, 'SRV'), id: 12 }),
        tcp.query({ ...question(`nope.default.${SVC}`, 'A'), id: 13 }),
      ]);
      expect(a.answers?.map(dataOf)).toEqual(['10.244.1.10']);
      expect(srv.answers).toHaveLength(3);
      expect(srv.additionals).toHaveLength(3);
      expect(rcodeOf(nx)).toBe('NXDOMAIN');
    } finally {
      tcp.close();
    }
  });

  it('answers NODATA for AAAA and NXDOMAIN with the SOA, and never asks upstream for zone names', async () => {
    const before = upstream.asked.length;
    const nodata = await udp.query(question(`web.default.${SVC}`, 'AAAA'));
    expect([rcodeOf(nodata), nodata.answers, nodata.authorities?.map((record) => record.type)]).toEqual(['NOERROR', [], ['SOA']]);
    const nx = await udp.query(question(`google.com.default.${SVC}`, 'A'));
    expect([rcodeOf(nx), nx.answers, nx.authorities?.map((record) => record.type)]).toEqual(['NXDOMAIN', [], ['SOA']]);
    expect(upstream.asked.length).toBe(before);
  });

  it('forwards names outside the zone over the client\'s transport and relays the answer with the client\'s id', async () => {
    const viaUdp = await udp.query(question('example.com', 'A'));
    expect([rcodeOf(viaUdp), viaUdp.flag_aa, viaUdp.answers?.map(dataOf)]).toEqual(['NOERROR', false, ['192.0.2.1']]);
    const tcp = new DnsTcpClient(server.port);
    try {
      const viaTcp = await tcp.query({ ...question('example.com', 'A'), id: 4242 });
      expect([viaTcp.id, viaTcp.answers?.map(dataOf)]).toEqual([4242, ['192.0.2.1']]);
    } finally {
      tcp.close();
    }
    expect(upstream.asked).toEqual(expect.arrayContaining(['example.com A udp', 'example.com A tcp']));
    const nx = await udp.query(question('nowhere.example', 'A'));
    expect(rcodeOf(nx)).toBe('NXDOMAIN');
  });

  it('relays an upstream\'s truncated UDP answer, and the client\'s TCP retry is forwarded over TCP', async () => {
    const viaUdp = await udp.query(question('big.example.com', 'TXT'));
    expect([viaUdp.flag_tc, viaUdp.answers]).toEqual([true, []]);
    const tcp = new DnsTcpClient(server.port);
    try {
      const viaTcp = await tcp.query({ ...question('big.example.com', 'TXT'), id: 77 });
      expect([viaTcp.flag_tc, viaTcp.answers?.length]).toEqual([false, 8]);
    } finally {
      tcp.close();
    }
    expect(upstream.asked).toEqual(expect.arrayContaining(['big.example.com TXT udp', 'big.example.com TXT tcp']));
  });

  it('completes an ExternalName CNAME that leaves the zone from upstream', async () => {
    const reply = await udp.query(question(`ext.default.${SVC}`, 'A'));
    expect(reply.answers?.map((answer) => `${answer.name} ${answer.type} ${String(dataOf(answer))}`)).toEqual([
      `ext.default.${SVC} CNAME www.example.com`,
      'www.example.com A 192.0.2.53',
    ]);
    expect(upstream.asked).toContain('www.example.com A udp');
  });

  it('truncates a UDP answer over 512 bytes (TC, whole records that fit), fits the EDNS size, and is whole over TCP', async () => {
    const plain = await udp.raw(question(`many.default.${SVC}`, 'A'));
    const decoded = dnsPacket.decode(plain);
    expect(plain.length).toBeLessThanOrEqual(512);
    expect(decoded.flag_tc).toBe(true);
    expect(decoded.answers!.length).toBeGreaterThan(0);
    expect(decoded.answers!.length).toBeLessThan(60);

    const edns = await udp.raw(question(`many.default.${SVC}`, 'A', { edns: 4096 }));
    const ednsDecoded = dnsPacket.decode(edns);
    expect([ednsDecoded.flag_tc, ednsDecoded.answers?.length]).toEqual([false, 60]);
    expect(ednsDecoded.additionals?.find((record) => record.type === 'OPT')).toMatchObject({ udpPayloadSize: 1232 });

    const tcp = new DnsTcpClient(server.port);
    try {
      const whole = await tcp.query({ ...question(`many.default.${SVC}`, 'A'), id: 9 });
      expect([whole.flag_tc, whole.answers?.length]).toEqual([false, 60]);
    } finally {
      tcp.close();
    }
  });

  it('drops malformed packets and responses without dying, and answers the next query', async () => {
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([1, 2, 3]),
      Buffer.from('ffff0100000100000000000003777777c00c00000100', 'hex'), // a compression pointer looping forward
      Buffer.concat([dnsPacket.encode(question('example.com', 'A')).subarray(0, 20)]), // cut mid-question
      dnsPacket.encode({ type: 'response', id: 5, questions: [{ name: 'example.com', type: 'A' }] }),
      Buffer.alloc(600, 0xff),
    ];
    for (const bytes of garbage) await udp.sendOnly(bytes);
    // And queries with random bytes changed (deterministic), some of which still decode.
    let seed = 7;
    const random = (below: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % below;
    };
    const valid = dnsPacket.encode(question(`_pg._tcp.db.default.${SVC}`, 'SRV', { edns: 1232 }));
    for (let n = 0; n < 500; n++) {
      const bytes = Buffer.from(valid);
      for (let flips = 1 + random(4); flips > 0; flips--) bytes[random(bytes.length)] = random(256);
      await udp.sendOnly(bytes);
    }
    const tcp = new DnsTcpClient(server.port);
    try {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(3);
      await tcp.write(Buffer.concat([prefix, Buffer.from([9, 9, 9])]));
      const after = await tcp.query({ ...question(`web.default.${SVC}`, 'A'), id: 21 });
      expect(after.answers?.map(dataOf)).toEqual(['10.96.0.10']);
    } finally {
      tcp.close();
    }
    const reply = await udp.query(question(`web.default.${SVC}`, 'A'));
    expect(reply.answers?.map(dataOf)).toEqual(['10.96.0.10']);
    expect(logs.filter((line) => line.includes('failed'))).toEqual([]);
  });

  it('answers FORMERR for two questions, NOTIMP for other opcodes, BADVERS for EDNS version 1', async () => {
    const two = await udp.query({ type: 'query', flags: 0, questions: [{ name: 'a.example', type: 'A' }, { name: 'b.example', type: 'A' }] });
    expect(rcodeOf(two)).toBe('FORMERR');
    const status = await udp.query({ type: 'query', flags: 2 << 11, questions: [{ name: 'a.example', type: 'A' }] });
    expect(rcodeOf(status)).toBe('NOTIMP');
    const v1 = await udp.query({
      ...question(`web.default.${SVC}`, 'A'),
      additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] }],
    });
    expect(v1.answers).toEqual([]);
    expect(v1.additionals?.find((record) => record.type === 'OPT')).toMatchObject({ extendedRcode: 1 });
  });

  it('serves what update() last gave it', async () => {
    const { services, slices } = testCluster();
    const many = bigHeadless(60);
    const withoutWeb = services.filter((service) => !(service.metadata?.name === 'web' && service.metadata.namespace === 'default'));
    expect(server.update([...withoutWeb, many.service], [...slices, many.slice])).toEqual({ rebuilt: 0, removed: 1 });
    expect(rcodeOf(await udp.query(question(`web.default.${SVC}`, 'A')))).toBe('NXDOMAIN');
    server.update([...services, many.service], [...slices, many.slice]);
    expect((await udp.query(question(`web.default.${SVC}`, 'A'))).answers?.map(dataOf)).toEqual(['10.96.0.10']);
  });

  it('is queried by busybox nslookup (server given as address:port)', async () => {
    if (!existsSync('/bin/busybox')) return;
    const run = promisify(execFile);
    const { stdout } = await run('/bin/busybox', ['nslookup', `db-1.db.default.${SVC}`, `127.0.0.1:${server.port}`], { timeout: 10_000 });
    expect(stdout).toContain('Address: 10.244.2.11');
    const srv = await run('/bin/busybox', ['nslookup', '-type=srv', `_http._tcp.web.default.${SVC}`, `127.0.0.1:${server.port}`], { timeout: 10_000 });
    expect(srv.stdout).toContain(`service = 0 100 80 web.default.${SVC}`);
    const nx = await run('/bin/busybox', ['nslookup', `nope.default.${SVC}`, `127.0.0.1:${server.port}`], { timeout: 10_000 }).catch((error: { stdout: string }) => error);
    expect(nx.stdout).toContain('NXDOMAIN');
  });
});

describe('cluster DNS server without working upstreams', () => {
  it('answers SERVFAIL when the upstream never replies (after its timeout) or refuses (at once), and keeps serving the zone', async () => {
    const silent = await startFakeUpstream({}, { silent: true });
    // A port nothing listens on: the kernel answers ICMP port unreachable.
    const gone = await startFakeUpstream({});
    const gonePort = gone.port;
    await gone.close();
    const logs: string[] = [];
    const servers = await Promise.all([
      startClusterDnsServer({ address: '127.0.0.1', port: 0, upstreams: [`127.0.0.1:${silent.port}`], upstreamTimeoutMs: 300, log: (line) => logs.push(line) }),
      startClusterDnsServer({ address: '127.0.0.1', port: 0, upstreams: [`127.0.0.1:${gonePort}`], upstreamTimeoutMs: 5000, log: (line) => logs.push(line) }),
      startClusterDnsServer({ address: '127.0.0.1', port: 0, upstreams: [] }),
    ]);
    const clients = servers.map((server) => new DnsUdpClient(server.port));
    try {
      const { services, slices } = testCluster();
      for (const server of servers) server.update(services, slices);
      const [timedOut, refused, none] = clients as [DnsUdpClient, DnsUdpClient, DnsUdpClient];

      const started = performance.now();
      expect(rcodeOf(await timedOut.query(question('example.com', 'A')))).toBe('SERVFAIL');
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(silent.asked).toEqual(['example.com A udp']);

      const startedRefused = performance.now();
      expect(rcodeOf(await refused.query(question('example.com', 'A')))).toBe('SERVFAIL');
      expect(performance.now() - startedRefused).toBeLessThan(4000);

      expect(rcodeOf(await none.query(question('example.com', 'A')))).toBe('SERVFAIL');
      // An ExternalName out of the zone cannot be completed either.
      expect(rcodeOf(await timedOut.query(question(`ext.default.${SVC}`, 'A')))).toBe('SERVFAIL');

      for (const client of clients) expect((await client.query(question(`web.default.${SVC}`, 'A'))).answers?.map(dataOf)).toEqual(['10.96.0.10']);
      expect(logs.some((line) => line.includes('example.com') && line.includes('did not answer'))).toBe(true);
    } finally {
      for (const client of clients) client.close();
      await Promise.all(servers.map((server) => server.close()));
      await silent.close();
    }
  });

  it('closes with forwards in flight: they are abandoned without an answer and nothing throws', async () => {
    const silent = await startFakeUpstream({}, { silent: true });
    const server = await startClusterDnsServer({ address: '127.0.0.1', port: 0, upstreams: [`127.0.0.1:${silent.port}`], upstreamTimeoutMs: 10_000 });
    const udp = new DnsUdpClient(server.port);
    const tcp = new DnsTcpClient(server.port);
    try {
      const pending = [udp.query(question('example.com', 'A'), 1000), tcp.query({ ...question('example.com', 'A'), id: 3 }, 1000)];
      await waitFor(() => silent.asked.length === 2);
      await server.close();
      const outcomes = await Promise.allSettled(pending);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    } finally {
      udp.close();
      tcp.close();
      await silent.close();
    }
  });

  it('takes its upstreams from resolv.conf by default, leaving itself out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kactus-dns-'));
    try {
      const path = join(dir, 'resolv.conf');
      await writeFile(path, 'nameserver 127.0.0.1\nnameserver ::1\nnameserver not-an-address\n');
      const server = await startClusterDnsServer({ address: '127.0.0.1', port: 0, resolvConfPath: path });
      try {
        expect(server.upstreams).toEqual([
          { host: '127.0.0.1', port: 53 },
          { host: '::1', port: 53 },
        ]);
      } finally {
        await server.close();
      }
      // A server named among its own upstreams leaves itself out (a host resolv.conf naming it would loop).
      const probe = await startClusterDnsServer({ address: '127.0.0.1', port: 0, upstreams: [] });
      const port = probe.port;
      await probe.close();
      const self = await startClusterDnsServer({ address: '127.0.0.1', port, upstreams: [`127.0.0.1:${port}`, '[::1]:5353', '127.0.0.1'] });
      try {
        expect(self.upstreams).toEqual([
          { host: '::1', port: 5353 },
          { host: '127.0.0.1', port: 53 },
        ]);
      } finally {
        await self.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects upstreams that are not addresses and a listen address that is not one', async () => {
    await expect(startClusterDnsServer({ address: '127.0.0.1', port: 0, upstreams: ['dns.example'] })).rejects.toThrow(/not an IP address/);
    await expect(startClusterDnsServer({ address: 'localhost', port: 0 })).rejects.toThrow(/not an IP address/);
  });
});
