/**
 * The etcd cluster's membership as the master sees it, through its local member's client URL
 * (etcd's Cluster API via etcd3: MemberList, MemberAdd, MemberRemove). Voting members are added
 * directly (no learner step; etcd 3.4's learners must be promoted by hand): etcd's strict
 * reconfiguration check refuses an add that the started members could not reach quorum with, or
 * while a member has not been connected for 5 s ("unhealthy cluster") — the joiner retries.
 */
import { Etcd3 } from 'etcd3';

export interface Member {
  /** etcd's member id (uint64, as decimal text). */
  id: string;
  /** Empty until the member has started and published its name. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

const REQUEST_TIMEOUT_MS = 10_000;

export class EtcdMembership {
  private readonly client: Etcd3;

  constructor(endpoint: string) {
    this.client = new Etcd3({
      hosts: [endpoint],
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + REQUEST_TIMEOUT_MS }),
    });
  }

  async list(): Promise<Member[]> {
    const res = await this.client.cluster.memberList({});
    return res.members.map(toMember);
  }

  /** Adds a voting member at `peerURL`; resolves with it and the whole membership after the add. */
  async add(peerURL: string): Promise<{ member: Member; members: Member[] }> {
    const res = await this.client.cluster.memberAdd({ peerURLs: [peerURL] });
    return { member: toMember(res.member), members: res.members.map(toMember) };
  }

  async remove(id: string): Promise<void> {
    await this.client.cluster.memberRemove({ ID: id });
  }

  close(): void {
    this.client.close();
  }
}

function toMember(m: { ID: string; name: string; peerURLs: string[]; clientURLs: string[] }): Member {
  return { id: String(m.ID), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs };
}

/** `name=url,…` for a new member's `--initial-cluster`: every member, the one just added under `newName`. */
export function initialClusterOf(members: readonly Member[], newId: string, newName: string): string {
  return members.flatMap((m) => m.peerURLs.map((u) => `${m.id === newId ? newName : m.name}=${u}`)).join(',');
}
