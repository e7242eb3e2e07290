/**
 * Program versions end to end: the engine follows the program file named in the settings
 * (published as the first version on a fresh install), a new version published to the NATS KV
 * program store while events flow applies to the events after it only, and every ledger line
 * names the version that produced it. Real nats-server, real Temporal, the real router.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { LedgerEntry } from '../../engine/domain/effects.ts';
import type { RetailEventInput } from '../../engine/domain/events.ts';
import { openProgramStore } from '../../engine/programs/program-store.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { eventSubject, LEDGER_STREAM } from '../../engine/streams/topology.ts';
import { saleInput } from '../support/events.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'clientele-programs-'));
const programFile = (pointsPerEuro: number) => `id: itkv
name: Versions under test
currency: EUR
pointValue: { points: 100, minor: 100 }
earn:
  base:
    rate: { points: ${pointsPerEuro}, perMinor: 100 }
`;
const v1File = join(dir, 'itkv.yaml');
writeFileSync(v1File, programFile(1));

let stack: Stack;
const customerId = `c-kv-${Date.now().toString(36)}`;

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router'],
    testSettings({ CLIENTELE_LOYALTY_PROGRAM_FILE: v1File }),
  );
});

afterAll(async () => {
  await stack?.stop();
});

async function send(n: number, occurredAt: string) {
  const event = saleInput({
    customerId,
    eventId: `${customerId}-ev-${n}`,
    transactionId: `${customerId}-tx-${n}`,
    occurredAt,
  }) as RetailEventInput;
  await stack.js.publish(eventSubject('S001'), JSON.stringify(event), { msgID: event.eventId });
}

/** This customer's earn lines on the LEDGER stream, by transaction. */
async function earnLines(count: number): Promise<Map<string, LedgerEntry>> {
  return eventually(
    async () => {
      const lines = new Map<string, LedgerEntry>();
      const consumer = await stack.js.consumers.get(LEDGER_STREAM, {
        filter_subjects: 'ledger.S001',
      });
      const info = await stack.jsm.streams.info(LEDGER_STREAM);
      const batch = await consumer.fetch({ max_messages: info.state.messages || 1, expires: 1000 });
      for await (const msg of batch) {
        const entry = msg.json<LedgerEntry>();
        if (entry.customerId === customerId && entry.kind === 'earn') {
          lines.set(entry.transactionId, entry);
        }
        if (msg.info.pending === 0) break;
      }
      return lines.size >= count ? lines : undefined;
    },
    20_000,
    `${count} earn lines`,
  );
}

describe('program versions in the program store', () => {
  it('follows the settings’ program file, published as the first version', async () => {
    const store = await openProgramStore(stack.nc);
    const versions = await store.versions('itkv');
    expect(versions.map((v) => v.version)).toEqual(['itkv@1']);
    expect(stack.programs?.at(new Date().toISOString())?.version).toBe('itkv@1');
  });

  it('applies a version published mid-stream to the later events only', {
    timeout: 60_000,
  }, async () => {
    // After itkv@1 came into force (at the stack's start), before itkv@2 will.
    const v1 = (await openProgramStore(stack.nc).then((store) => store.versions('itkv')))[0];
    const before = new Date(Date.parse(v1?.effectiveFrom as string) + 1).toISOString();
    await send(1, new Date().toISOString());
    const first = await earnLines(1);
    expect(first.get(`${customerId}-tx-1`)).toMatchObject({ points: 39, programVersion: 'itkv@1' });

    // Triple points from now on, published as `clientele program publish` does.
    const store = await openProgramStore(stack.nc);
    const v2 = await store.publish(parseYaml(programFile(3)), new Date(), 'itkv.yaml');
    expect(v2.version).toBe('itkv@2');
    await eventually(
      () => (stack.programs?.at(new Date().toISOString())?.version === 'itkv@2' ? true : undefined),
      10_000,
      'the router to see itkv@2',
    );

    await send(2, new Date(Date.parse(v2.effectiveFrom) + 1).toISOString());
    // A till that was offline sends a sale from before the new version.
    await send(3, before);
    const lines = await earnLines(3);
    expect(
      [2, 3].map((n) => {
        const line = lines.get(`${customerId}-tx-${n}`);
        return [n, line?.points, line?.programVersion];
      }),
    ).toEqual([
      // 39.98 EUR: 39 points at 1 per euro, 119 at 3 (rounded once, on the receipt).
      [2, 119, 'itkv@2'],
      [3, 39, 'itkv@1'],
    ]);
  });
});
