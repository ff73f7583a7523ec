/**
 * RBAC defaulting (pkg/apis/rbac/v1/defaults.go): a binding's `roleRef.apiGroup` and its
 * subjects' `apiGroup` (`""` for ServiceAccounts, the RBAC group for users and groups).
 */
import { childRecord, recordList, setDefault, type JsonObject } from '../object.ts';
import { RBAC_GROUP } from './names.ts';

export function defaultBinding(obj: JsonObject): void {
  const roleRef = childRecord(obj, 'roleRef');
  if (!roleRef.apiGroup) roleRef.apiGroup = RBAC_GROUP;
  for (const subject of recordList(obj, 'subjects')) {
    if (subject.apiGroup) continue;
    if (subject.kind === 'ServiceAccount') setDefault(subject, 'apiGroup', '');
    else if (subject.kind === 'User' || subject.kind === 'Group') subject.apiGroup = RBAC_GROUP;
  }
}
