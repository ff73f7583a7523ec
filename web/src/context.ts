/**
 * What every page is handed: the API client, the token (for the event stream) and the machine
 * catalogue (fetched once per login: machine definitions do not change while a server runs).
 */
import { Api } from './api/client.ts';
import type { MachineDescription } from './api/types.ts';

export class AppContext {
  readonly api: Api;
  private catalogue: Promise<Map<string, MachineDescription>> | undefined;

  constructor(
    readonly token: string,
    onUnauthorized: () => void,
  ) {
    this.api = new Api(token, onUnauthorized);
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
