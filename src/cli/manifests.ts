/**
 * Reading manifests for `apply -f` / `delete -f`: files, directories (their .yaml/.yml/.json
 * files, sorted, not recursive, as kubectl) or `-` for stdin; multi-document YAML; `List` kinds
 * expanded into their items.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CliError } from './errors.ts';

/** A Kubernetes object as read from a manifest: apiVersion, kind and metadata.name are checked. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** A manifest and the file it came from (kubectl names the file in errors). */
export interface SourcedManifest {
  file: string;
  object: Manifest;
}

/** Reads every object from the given `-f` sources, in order. */
export async function readManifests(sources: string[], stdin: () => Promise<string> = readStdin): Promise<SourcedManifest[]> {
  const out: SourcedManifest[] = [];
  for (const source of sources) {
    for (const { name, text } of await readSource(source, stdin)) {
      for (const object of parseManifests(text, name)) out.push({ file: name, object });
    }
  }
  return out;
}

/** Parses one file's text (YAML or JSON, several documents) into objects; throws CliError naming the file. */
export function parseManifests(text: string, fileName: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new CliError(`error parsing ${fileName}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    expand(value, fileName, out);
  }
  return out;
}

function expand(value: unknown, fileName: string, out: Manifest[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`error validating ${fileName}: a document is not an object`);
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    for (const item of obj.items) expand(item, fileName, out);
    return;
  }
  if (typeof obj.apiVersion !== 'string' || !obj.apiVersion) throw new CliError(`error validating ${fileName}: apiVersion not set`);
  if (typeof obj.kind !== 'string' || !obj.kind) throw new CliError(`error validating ${fileName}: kind not set`);
  const meta = obj.metadata;
  if (typeof meta !== 'object' || meta === null || typeof (meta as { name?: unknown }).name !== 'string') {
    throw new CliError(`error validating ${fileName}: ${obj.kind} has no metadata.name`);
  }
  out.push(obj as Manifest);
}

async function readSource(source: string, stdin: () => Promise<string>): Promise<{ name: string; text: string }[]> {
  if (source === '-') return [{ name: 'STDIN', text: await stdin() }];
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch {
    throw new CliError(`the path "${source}" does not exist`);
  }
  if (!isDir) return [{ name: source, text: await readFile(source, 'utf8') }];
  const files = (await readdir(source)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  return Promise.all(files.map(async (f) => ({ name: join(source, f), text: await readFile(join(source, f), 'utf8') })));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
