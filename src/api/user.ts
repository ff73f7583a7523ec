/** Who made a request (Kubernetes' user.Info): what authentication yields and authorization reads. */
export interface UserInfo {
  name: string;
  groups: string[];
  /** A ServiceAccount's uid (absent for the admin and node tokens). */
  uid?: string;
  /** What else the authenticator knows (a ServiceAccount token's pod and node, its credential id). */
  extra?: Record<string, string[]>;
}
