/**
 * Kubernetes' audit log flags on `up` and `master`: `--audit-log-path FILE` (`-` = stdout),
 * `--audit-log-maxsize MB`, `--audit-log-maxbackup N` (src/apiserver/audit/README.md).
 */
import type { Command } from 'commander';
import type { AuditLogOptions } from '../apiserver/audit/log-writer.ts';
import { integer } from './flags.ts';

export interface AuditFlags {
  auditLogPath?: string;
  auditLogMaxsize: number;
  auditLogMaxbackup: number;
}

/** Adds the three flags to `cmd`. */
export function withAuditFlags(cmd: Command): Command {
  return cmd
    .option('--audit-log-path <file>', 'write an audit.k8s.io/v1 Event line per API request to this file (- for stdout)')
    .option('--audit-log-maxsize <MB>', 'rotate the audit log before it passes this size (0 = 100 MB)', integer, 0)
    .option('--audit-log-maxbackup <n>', 'rotated audit logs to keep (0 = all)', integer, 0);
}

/** The audit log the flags ask for, or undefined without `--audit-log-path`. */
export function auditLogOptions(flags: AuditFlags): Omit<AuditLogOptions, 'onDropped' | 'onError'> | undefined {
  if (!flags.auditLogPath) return undefined;
  return { path: flags.auditLogPath, maxSizeMB: flags.auditLogMaxsize, maxBackups: flags.auditLogMaxbackup };
}
