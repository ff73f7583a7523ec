/**
 * What every page is handed: the API client, the token (for the event stream), what the user may
 * do (api/access.ts) and which namespaces it sees (scope.ts), and the machine catalogue (fetched
 * once per login: machine definitions do not change while a server runs).
 */
import { Access } from './api/access.ts';
import { Api } from './api/client.ts';
import type { MachineDescription } from './api/types.ts';
import { loadScope, type Scope } from './scope.ts';

export class AppContext {
  readonly api: Api;
  readonly access: Access;
  private catalogue: Promise<Map<string, MachineDescription>> | undefined;
  private scoped: Promise<Scope> | undefined;

  constructor(
    readonly token: string,
    onUnauthorized: () => void,
  ) {
    this.api = new Api(token, onUnauthorized);
    this.access = new Access(this.api);
  }

  /** Who is signed in and which namespaces the dashboard offers (once per login; `refresh` after a namespace is typed). */
  scope(refresh = false): Promise<Scope> {
    if (refresh) this.scoped = undefined;
    this.scoped ??= loadScope(this.api, this.access, this.token);
    return this.scoped;
  }

  /** Every machine of `GET /kactus/v1/machines`, by kind (`Pod`, `Pod/container`, …). */
  machines(): Promise<Map<string, MachineDescription>> {
    this.catalogue ??= this.api.json<{ items: MachineDescription[] }>('/kactus/v1/machines').then(
      (list) => new Map(list.items.map((m) => [m.kind, m])),
      (err: unknown) => {
        this.catalogue = undefined;
        throw err;
      },
    );
    return this.catalogue;
  }
}
