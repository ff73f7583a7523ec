/**
 * A stream worker's routing decision: only what the API server itself would hand to the event
 * stream's upgrade is kept in the worker; everything else (and anything unparsable) is relayed.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isEventStreamUpgrade, parseRequestHead, readRequestHead } from './request-head.ts';

const upgrade = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n${extra}`;
const decide = (head: string): boolean => {
  const parsed = parseRequestHead(head);
  return parsed !== undefined && isEventStreamUpgrade(parsed);
};

describe('request head', () => {
  it('parses the request line and headers as Node would present them', () => {
    const head = parseRequestHead('GET /kactus/v1/events?kind=Pod HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer a\r\nauthorization: Bearer b\r\nSec-WebSocket-Protocol: one\r\nsec-websocket-protocol:  two \r\n');
    expect(head).toEqual({ method: 'GET', url: '/kactus/v1/events?kind=Pod', headers: { host: 'h', authorization: 'Bearer a', 'sec-websocket-protocol': 'one, two' } });
    expect(parseRequestHead('GET / HTTP/2\r\n')).toBeUndefined();
    expect(parseRequestHead('GET /x HTTP/1.1\r\nfolded: a\r\n b\r\n')).toBeUndefined();
    expect(parseRequestHead('GET /x HTTP/1.1\r\nno colon\r\n')).toBeUndefined();
  });

  it('is the stream only for an upgrade of the stream path, decoded as the router decodes it', () => {
    expect(decide(upgrade('/kactus/v1/events'))).toBe(true);
    expect(decide(upgrade('/kactus/v1/events?index=5&format=msgpack'))).toBe(true);
    expect(decide(upgrade('//kactus//v1/events/'))).toBe(true);
    expect(decide(upgrade('/kactus/v1/%65vents'))).toBe(true);
    expect(decide(upgrade('https://elsewhere/kactus/v1/events'))).toBe(true);
    // Dot segments resolved as the server's own URL parsing resolves them.
    expect(decide(upgrade('/kactus/v1/x/../events'))).toBe(true);
    expect(decide(upgrade('/kactus/v1/events/x'))).toBe(false);
    expect(decide(upgrade('/kactus/v1/machines'))).toBe(false);
    expect(decide(upgrade('/api/v1/namespaces/default/pods/web/exec'))).toBe(false);
    expect(decide(upgrade('/kactus/v1/%zz'))).toBe(false);
    // Not an upgrade for Node's parser: a plain GET (the main thread answers 400 "Upgrade request required").
    expect(decide('GET /kactus/v1/events HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n')).toBe(false);
    expect(decide('GET /kactus/v1/events HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n')).toBe(false);
    expect(decide(upgrade('/kactus/v1/events').replace('GET', 'CONNECT'))).toBe(false);
  });

  it('reads until the blank line, across chunks, and keeps what came after it', async () => {
    const s = new PassThrough();
    const read = readRequestHead(s, 1024, 5_000);
    s.write('GET / HTTP/1.1\r\nHost: h\r');
    s.write('\n\r');
    s.write('\nafter');
    const got = await read;
    expect(got!.bytes.toString()).toBe('GET / HTTP/1.1\r\nHost: h\r\n\r\nafter');
    expect(got!.bytes.subarray(got!.headEnd).toString()).toBe('after');
    expect(s.isPaused()).toBe(true);
  });

  it('gives up at the limit (relayed: the main thread answers 431), and on an early end', async () => {
    const big = new PassThrough();
    const tooLong = readRequestHead(big, 16, 5_000);
    big.write('GET /aaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n');
    expect(await tooLong).toMatchObject({ headEnd: -1 });
    const ended = new PassThrough();
    const none = readRequestHead(ended, 1024, 5_000);
    ended.end('GET / HTTP/1.1\r\n');
    ended.resume();
    expect(await none).toBeUndefined();
  });
});
