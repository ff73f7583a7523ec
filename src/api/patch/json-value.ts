/** JSON value helpers shared by the patch implementations. */

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy of a JSON value; patches never mutate their inputs. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}
