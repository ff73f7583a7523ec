/**
 * `format=stately` names each actor's machine definition the first time the actor appears, in the
 * middle of a synchronous frame conversion (stately.ts); the definitions are the main thread's
 * (`ApiServerOptions.machineDefinition`, any function). A worker asks for a kind it has not seen
 * on a port of its own and waits for the answer (Atomics.wait on a shared flag, then
 * `receiveMessageOnPort`): once per machine kind per worker, a few microseconds of the main
 * thread's time, which never waits on a worker, so it cannot deadlock.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** How long a worker waits for a definition before going without it (the main thread is stuck). */
const WAIT_MS = 5_000;

export interface DefinitionChannel {
  port: MessagePort;
  /** 0 while a question is open, 1 once answered. */
  flag: SharedArrayBuffer;
}

/** Main side: answers a worker's questions from `definitionOf`; the channel's other end goes to the worker. */
export function answerDefinitions(definitionOf: ((kind: string) => string | undefined) | undefined): { worker: DefinitionChannel; close(): void } {
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  const cell = new Int32Array(flag);
  port1.on('message', (kind: string) => {
    let json: string | undefined;
    try {
      json = definitionOf?.(kind);
    } catch {
      json = undefined;
    }
    port1.postMessage({ kind, json: json ?? null });
    Atomics.store(cell, 0, 1);
    Atomics.notify(cell, 0);
  });
  port1.unref();
  return { worker: { port: port2, flag }, close: () => port1.close() };
}

/** Worker side: a machine kind's definition, asked once and then kept. */
export function definitionLookup(channel: DefinitionChannel): (kind: string) => string | undefined {
  const cell = new Int32Array(channel.flag);
  const known = new Map<string, string | undefined>();
  return (kind) => {
    if (known.has(kind)) return known.get(kind);
    Atomics.store(cell, 0, 0);
    channel.port.postMessage(kind);
    Atomics.wait(cell, 0, 0, WAIT_MS);
    // A late answer to an earlier question that timed out may come first.
    for (let answer = receiveMessageOnPort(channel.port); answer; answer = receiveMessageOnPort(channel.port)) {
      const { kind: about, json } = answer.message as { kind: string; json: string | null };
      known.set(about, json ?? undefined);
    }
    return known.get(kind);
  };
}
