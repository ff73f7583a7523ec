/* global process, console */
// Test server for the proxy's kernel tests (runs inside a network namespace):
// `node echo-server.mjs NAME PORT` answers every TCP connection on PORT with "NAME <client
// address it saw> <its own address the client reached>" and every UDP datagram with "NAME
// <client address>", so a test learns which backend (and which of its addresses) answered and
// whether the client's address was masqueraded. Prints "ready" once both sockets listen.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const [name, port] = process.argv.slice(2);
let listening = 0;
const ready = () => {
  if (++listening === 2) console.log('ready');
};

createServer((socket) => {
  socket.on('error', () => {});
  socket.end(`${name} ${socket.remoteAddress} ${socket.localAddress}\n`);
}).listen(Number(port), '0.0.0.0', ready);

const udp = createSocket('udp4');
udp.on('message', (_msg, rinfo) => udp.send(`${name} ${rinfo.address}\n`, rinfo.port, rinfo.address));
udp.bind(Number(port), '0.0.0.0', ready);
