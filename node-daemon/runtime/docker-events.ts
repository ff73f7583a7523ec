/**
 * The Docker events stream for one node's containers, turned into RuntimeEvents.
 *
 * The engine sends newline-separated JSON whose objects may be split across chunks (and several
 * may share one chunk), so bytes are buffered and split on newlines. If the stream ends while the
 * runtime is open (engine restart), it reconnects with `since` = the last event's second, so
 * nothing is lost across the gap; replayed events already delivered are recognised and dropped.
 */
import type Docker from 'dockerode';
import { LABELS } from './docker-spec.ts';
import type { RuntimeEvent } from '../../src/runtime/types.ts';

const RECONNECT_DELAY_MS = 500;
/** Events remembered to drop the ones a reconnect replays (it asks from the last second seen). */
const RECENT_KEYS = 4096;

/** The subset of a Docker event message this reads. */
interface DockerEventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
}

/** Map one Docker event to a RuntimeEvent, or undefined for events the runtime does not report. */
export function toRuntimeEvent(message: DockerEventMessage): RuntimeEvent | undefined {
  if (message.Type !== 'container') return undefined;
  const type = message.Action === 'start' ? 'started' : message.Action === 'die' ? 'exited' : message.Action === 'oom' ? 'oom' : undefined;
  const attributes = message.Actor?.Attributes ?? {};
  const containerId = message.Actor?.ID;
  const podUid = attributes[LABELS.podUid];
  if (type === undefined || containerId === undefined || podUid === undefined) return undefined;
  const event: RuntimeEvent = {
    type,
    role: attributes[LABELS.role] === 'sandbox' ? 'sandbox' : 'container',
    containerId,
    podUid,
    time: new Date(Math.floor((message.timeNano ?? 0) / 1e6)),
  };
  const containerName = attributes[LABELS.containerName];
  if (containerName !== undefined) event.containerName = containerName;
  if (type === 'exited' && attributes.exitCode !== undefined) event.exitCode = Number(attributes.exitCode);
  return event;
}

/** Splits a byte stream into lines, holding a partial last line until its newline arrives. */
export class LineSplitter {
  private pending = '';
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array): string[] {
    this.pending += this.decoder.decode(chunk, { stream: true });
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '');
  }
}

export class DockerEventStream {
  private stream: NodeJS.ReadableStream | undefined;
  /** Where a reconnect resumes: the last event seen, or the moment the stream was first asked for. */
  private lastTimeNano = Date.now() * 1e6;
  private readonly recentKeys = new Set<string>();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly docker: Docker,
    private readonly node: string,
    private readonly emit: (event: RuntimeEvent) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Open the stream; resolves once the engine has accepted it, so later container actions are seen. */
  static async open(docker: Docker, node: string, emit: (event: RuntimeEvent) => void, onError: (err: unknown) => void): Promise<DockerEventStream> {
    const events = new DockerEventStream(docker, node, emit, onError);
    await events.connect(undefined);
    return events;
  }

  private async connect(sinceSeconds: number | undefined): Promise<void> {
    const stream = await this.docker.getEvents({
      ...(sinceSeconds !== undefined ? { since: sinceSeconds } : {}),
      filters: { type: ['container'], event: ['start', 'die', 'oom'], label: [`${LABELS.node}=${this.node}`] },
    });
    if (this.closed) {
      destroy(stream);
      return;
    }
    this.stream = stream;
    const lines = new LineSplitter();
    stream.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) this.handleLine(line);
    });
    stream.on('error', (err: unknown) => this.onError(err));
    const onGone = () => {
      // 'end' and 'close' both fire for one stream: reconnect once, and only for the live one.
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.scheduleReconnect();
    };
    stream.on('end', onGone);
    stream.on('close', onGone);
  }

  private handleLine(line: string): void {
    let message: DockerEventMessage;
    try {
      message = JSON.parse(line) as DockerEventMessage;
    } catch (err) {
      this.onError(err);
      return;
    }
    // timeNano exceeds 2^53, so it is not exact enough to order events: dedupe by identity.
    const key = `${message.Actor?.ID}:${message.Action}:${message.timeNano}`;
    if (this.recentKeys.has(key)) return;
    this.recentKeys.add(key);
    if (this.recentKeys.size > RECENT_KEYS) this.recentKeys.delete(this.recentKeys.values().next().value ?? '');
    this.lastTimeNano = Math.max(this.lastTimeNano, message.timeNano ?? 0);
    const event = toRuntimeEvent(message);
    if (event !== undefined) this.emit(event);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect(Math.floor(this.lastTimeNano / 1e9)).catch((err: unknown) => {
        this.onError(err);
        this.scheduleReconnect();
      });
    }, RECONNECT_DELAY_MS);
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    if (this.stream !== undefined) destroy(this.stream);
    this.stream = undefined;
  }
}

function destroy(stream: NodeJS.ReadableStream): void {
  if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
}
