/**
 * Parsing what the user named on the command line, as kubectl: `TYPE[,TYPE...] [NAME...]` or
 * `TYPE/NAME...`; a category such as `all` expands to its types.
 */
import { type ApiResource, type Discovery } from './discovery.ts';
import { CliError } from './errors.ts';

/** One resource type and the names asked for (empty = every object). */
export interface Target {
  resource: ApiResource;
  names: string[];
}

/** Resolves positional arguments to targets, in the order given; throws CliError on bad input. */
export async function resolveTargets(discovery: Discovery, args: string[]): Promise<Target[]> {
  if (args.length === 0) throw new CliError('you must specify the type of resource');
  if (args.some((a) => a.includes('/'))) return resolveSlashed(discovery, args);
  const [types, ...names] = args as [string, ...string[]];
  const targets: Target[] = [];
  for (const typed of types.split(',').filter(Boolean)) {
    const inCategory = await discovery.category(typed.toLowerCase());
    const resources = inCategory.length > 0 && names.length === 0 ? inCategory : [await discovery.resolveType(typed)];
    for (const resource of resources) targets.push({ resource, names });
  }
  return targets;
}

async function resolveSlashed(discovery: Discovery, args: string[]): Promise<Target[]> {
  const targets: Target[] = [];
  for (const arg of args) {
    const slash = arg.indexOf('/');
    if (slash <= 0 || slash === arg.length - 1) {
      throw new CliError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kactus get resource/<resource_name>' instead of 'kactus get resource resource/<resource_name>'`);
    }
    const resource = await discovery.resolveType(arg.slice(0, slash));
    const name = arg.slice(slash + 1);
    const existing = targets.find((t) => t.resource === resource);
    if (existing) existing.names.push(name);
    else targets.push({ resource, names: [name] });
  }
  return targets;
}
