/**
 * RBAC defaulting (pkg/apis/rbac/v1/defaults.go): a binding's `roleRef.apiGroup` and its
 * subjects' `apiGroup` (none for ServiceAccounts, the RBAC group for users and groups).
 */
import { childRecord, recordList, type JsonObject } from '../object.ts';
import { RBAC_GROUP } from './names.ts';

export function defaultBinding(obj: JsonObject): void {
  const roleRef = childRecord(obj, 'roleRef');
  if (!roleRef.apiGroup) roleRef.apiGroup = RBAC_GROUP;
  for (const subject of recordList(obj, 'subjects')) {
    if (subject.apiGroup) continue;
    // Go omits an empty apiGroup (`omitempty`): a ServiceAccount's stays absent, as kubectl apply expects.
    if (subject.kind === 'ServiceAccount') delete subject.apiGroup;
    else if (subject.kind === 'User' || subject.kind === 'Group') subject.apiGroup = RBAC_GROUP;
  }
}
