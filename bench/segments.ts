/**
 * From an event to the segment change it causes: the grocer program's live segments are evaluated
 * in each customer's workflow, and a change an event caused names it (`cause: event`, `eventId`).
 * The watch takes every change published to SEGMENTS as a plain NATS subscriber (JetStream
 * publishes are NATS messages) and polls ClickHouse's `segment_changes`, so each change has the
 * instant it reached NATS and the instant it was first seen in ClickHouse (to the poll's
 * resolution); the till's emit time of the event gives the latency. Then the live members are
 * compared with the same conditions computed over the stored events.
 */
import { performance } from 'node:perf_hooks';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AnalyticsStore } from '../engine/analytics/store.ts';
import { segmentChange } from '../engine/domain/effects.ts';
import { loadProgramFile } from '../engine/programs/load-program.ts';
import { reconcileProgramSegments } from '../engine/segments/reconcile.ts';
import { SEGMENTS_SUBJECTS } from '../engine/streams/topology.ts';
import { roundedPercentiles } from './checker.ts';

/** How often ClickHouse is asked for new changes (the resolution of its figure). */
export const POLL_MS = 100;

export interface SegmentWatch {
  /** Events of the run that caused a change, seen on NATS so far. */
  seen(): number;
  /** Stops watching; the figures for the events emitted at `emittedAt`. */
  stop(emittedAt: ReadonlyMap<string, number>): Promise<SegmentLatency>;
}

export interface SegmentLatency {
  /** Events of the run that caused a segment change (an entry or an exit), seen on NATS. */
  events_with_changes: number;
  /** Of them, seen in ClickHouse before the watch stopped. */
  stored: number;
  nats_ms: ReturnType<typeof roundedPercentiles>;
  clickhouse_ms: ReturnType<typeof roundedPercentiles>;
  clickhouse_poll_ms: number;
  /** Changes time alone caused meanwhile (a window passing, a lapse): not latencies. */
  time_caused: number;
}

export function watchSegmentChanges(
  nc: NatsConnection,
  store: AnalyticsStore,
  runPrefix: string,
): SegmentWatch {
  /** First arrival on NATS, by `eventId`. */
  const onNats = new Map<string, number>();
  const onClickHouse = new Map<string, number>();
  let timeCaused = 0;
  const sub = nc.subscribe(SEGMENTS_SUBJECTS, {
    callback: (err, msg) => {
      if (err) return;
      const now = performance.now();
      const parsed = segmentChange.safeParse(msg.json());
      if (!parsed.success) return;
      const { eventId, cause } = parsed.data;
      if (cause === 'time') timeCaused += 1;
      if (eventId?.startsWith(runPrefix) && !onNats.has(eventId)) onNats.set(eventId, now);
    },
  });
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const rows = await store.query<{ event_id: string }>(
        `SELECT DISTINCT event_id FROM ${store.database}.segment_changes
         WHERE startsWith(event_id, {prefix:String})`,
        { prefix: runPrefix },
      );
      const now = performance.now();
      for (const r of rows) if (!onClickHouse.has(r.event_id)) onClickHouse.set(r.event_id, now);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    seen: () => onNats.size,
    async stop(emittedAt) {
      polling = false;
      await poll;
      sub.unsubscribe();
      const latency = (seen: Map<string, number>) =>
        [...seen].flatMap(([id, at]) => {
          const sent = emittedAt.get(id);
          return sent === undefined ? [] : [at - sent];
        });
      return {
        events_with_changes: onNats.size,
        stored: [...onNats.keys()].filter((id) => onClickHouse.has(id)).length,
        nats_ms: roundedPercentiles(latency(onNats)),
        clickhouse_ms: roundedPercentiles(latency(onClickHouse)),
        clickhouse_poll_ms: POLL_MS,
        time_caused: timeCaused,
      };
    },
  };
}

export interface SegmentAgreement {
  as_of: string;
  segments: { id: string; live: number; batch: number; differences: number }[];
  /** Every segment has the same members live and by the stored events. */
  agree: boolean;
  /** Comparisons made: the first, then one a second while changes were still landing. */
  comparisons: number;
  /** From the first comparison to the one reported. */
  settled_after_ms: number;
}

/**
 * The program's live segments against the same conditions over the stored events, after the
 * traffic sent through the gateways: the members each customer's workflow published, and the
 * members by the SQL compilation, as of one moment. A change stamped before that moment may
 * still be on its way (an exit whose instant passed while its customer's sale was in flight
 * fires as soon as the sale is applied, stamped at its due instant): the comparison is made
 * again, a second apart, until the two agree or `settleMs` has passed.
 */
export async function compareLiveAndBatch(
  store: AnalyticsStore,
  programFile: string,
  asOf: Date,
  settleMs = 30_000,
): Promise<SegmentAgreement> {
  const { definition } = await loadProgramFile(programFile);
  const started = performance.now();
  let comparisons = 0;
  for (;;) {
    const report = await reconcileProgramSegments(store, definition, asOf);
    comparisons += 1;
    const agree = report.length > 0 && report.every((r) => r.differences === 0);
    const elapsed = performance.now() - started;
    if (agree || elapsed >= settleMs) {
      return {
        as_of: asOf.toISOString(),
        segments: report.map((r) => ({
          id: r.segmentId,
          live: r.live,
          batch: r.batch,
          differences: r.differences,
        })),
        agree,
        comparisons,
        settled_after_ms: Math.round(elapsed),
      };
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
