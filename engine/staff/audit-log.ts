/**
 * Writes the audit log: each entry published to `audit.<action>` on the AUDIT stream (the sink
 * stores it in `audit_log`), with its id as the message id, so a retry is one entry. A read the
 * log cannot record is refused: the caller awaits `record` before answering.
 */
import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { ClienteleError } from '../domain/error-codes.ts';
import { type AuditEntry, type AuditInput, auditEntry } from '../domain/staff/audit.ts';
import { auditSubject } from '../streams/topology.ts';

export interface AuditLog {
  /** Stored, or `unavailable` (and nothing should be shown). */
  record(entry: Omit<AuditInput, 'auditId' | 'at'>): Promise<AuditEntry>;
}

export function auditLog(js: JetStreamClient, now: () => Date = () => new Date()): AuditLog {
  return {
    async record(input) {
      const entry = auditEntry.parse({
        ...input,
        auditId: randomUUID(),
        at: now().toISOString(),
      });
      try {
        await js.publish(auditSubject(entry.action), JSON.stringify(entry), {
          msgID: entry.auditId,
        });
      } catch (err) {
        throw new ClienteleError(
          'unavailable',
          [],
          `the audit log did not take the entry (${(err as Error).message}): nothing was shown`,
        );
      }
      return entry;
    },
  };
}
