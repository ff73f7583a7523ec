/**
 * HTTP load for bench/services.ts, run as its own process so it can be started inside a pod's
 * network namespace (`nsenter -t PID -n`): GET / on a new TCP connection per request, round-robin
 * over the targets, closed loop at the given concurrency; prints one JSON Measurement.
 *
 * `node --import tsx bench/http-load.ts HOST:PORT[,HOST:PORT…] CONCURRENCY REQUESTS`
 */
import { Agent, request } from 'node:http';
import { measure } from './lib.ts';

const [targetList, concurrencyText, requestsText] = process.argv.slice(2);
const targets = (targetList ?? '').split(',').map((t) => {
  const [host, port] = t.split(':');
  return { host: host!, port: Number(port) };
});
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

function get(target: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path: '/', agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${target.host}:${target.port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

// Warm-up: ARP, conntrack, the servers' first forks.
for (let i = 0; i < 20; i++) await get(targets[i % targets.length]!);
const result = await measure(Number(concurrencyText), Number(requestsText), (i) => get(targets[i % targets.length]!));
process.stdout.write(JSON.stringify(result) + '\n');
