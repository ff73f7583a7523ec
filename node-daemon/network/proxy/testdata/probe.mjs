/* global process, console, setTimeout, clearTimeout, performance */
// Test client for the proxy's kernel tests (runs inside a network namespace):
// `node probe.mjs tcp|udp HOST PORT COUNT TIMEOUT_MS` makes COUNT connections (TCP) or sends
// COUNT datagrams from fresh sockets (UDP), one after another, and prints a JSON array of
// {answer} or {error} (Node's error code, or ETIMEDOUT), each with the time it took in ms.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

const [proto, host, portText, countText, timeoutText] = process.argv.slice(2);
const port = Number(portText);
const timeoutMs = Number(timeoutText);

function tcpOnce() {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ error: 'ETIMEDOUT' });
    }, timeoutMs);
    socket.on('data', (b) => (data += b));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve({ answer: data.trim() });
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve({ error: err.code ?? err.message });
    });
  });
}

function udpOnce() {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (result) => {
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => done({ error: 'ETIMEDOUT' }), timeoutMs);
    socket.on('message', (msg) => done({ answer: msg.toString().trim() }));
    // A connected UDP socket reports ICMP port unreachable as ECONNREFUSED.
    socket.on('error', (err) => done({ error: err.code ?? err.message }));
    socket.connect(port, host, () => socket.send('?'));
  });
}

const results = [];
for (let i = 0; i < Number(countText); i++) {
  const started = performance.now();
  const result = await (proto === 'udp' ? udpOnce() : tcpOnce());
  results.push({ ...result, ms: Math.round(performance.now() - started) });
}
console.log(JSON.stringify(results));
