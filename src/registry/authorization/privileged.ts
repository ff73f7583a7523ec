/**
 * `system:masters`: the group allowed everything without consulting any authorizer (Kubernetes'
 * privileged-group authorizer that kube-apiserver puts first), the admin token's group.
 */
import type { UserInfo } from '../../api/user.ts';

export const SYSTEM_MASTERS = 'system:masters';

export function isPrivileged(user: UserInfo): boolean {
  return user.groups.includes(SYSTEM_MASTERS);
}
