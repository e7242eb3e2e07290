/**
 * For each target a run misses, the component that bounds it and the figures of the same run
 * that show it, so the JSON says why as well as whether. Pure: built from the result's figures.
 */

/** A till-cue latency run's tail and its hops. */
export interface CueFigures {
  p99: number;
  update_p99: number;
  gateway_ack_p99: number;
  relay_p99: number;
  temporal_calls_per_s: number;
}

export interface RunFigures {
  e2e: { e2e_events_per_s: number; temporal_calls_per_s: number; workflow_start_share: number };
  ceilings: {
    signal_handled_per_s: number;
    customer_first_visits_calls_per_s: number;
    customer_returning_calls_per_s: number;
  };
  evaluator: { events_per_s: number; steady_state_events_per_s: number };
  cueAt100: CueFigures;
  /** Returning customers at half their measured capacity. */
  cueAtHalf: CueFigures;
  scale: {
    e2e_events_per_s: number;
    temporal_calls_per_s: number;
    events_per_temporal_call: number;
    workflow_start_share: number;
  }[];
  /** The identification round trip at 100 look-ups/s, and the sales run beside it. */
  identification: { p99: number; aloneP99: number; salesPerSecond: number };
  /** From a sale to the segment change it causes, at half capacity; the sink's flush interval. */
  segments: { natsP99: number; clickhouseP99: number; cueP99: number; sinkFlushMs: number };
  /** Each segment's differences between live and batch members (none compared: empty). */
  segmentDifferences: { id: string; differences: number }[];
}

export type Targets = Record<
  | 'e2e_at_least_80pct_of_temporal_ceiling'
  | 'zero_lost_and_duplicated'
  | 'cue_p99_at_100_per_s_at_most_100_ms'
  | 'cue_p99_at_half_capacity_at_most_100_ms'
  | 'evaluator_at_least_1m_events_per_s'
  | 'throughput_100k_at_least_80pct_of_1k'
  | 'identification_p99_at_100_per_s_at_most_20_ms'
  | 'segment_change_p99_at_half_capacity_at_most_1_s'
  | 'segments_live_and_batch_agree',
  boolean
>;

const pct = (share: number) => `${Math.round(share * 100)} %`;
const n = (value: number) => Math.round(value).toLocaleString('en-US');

export function bottlenecks(
  targets: Targets,
  f: RunFigures,
): Partial<Record<keyof Targets, string>> {
  const out: Partial<Record<keyof Targets, string>> = {};
  if (!targets.e2e_at_least_80pct_of_temporal_ceiling) {
    out.e2e_at_least_80pct_of_temporal_ceiling =
      `Temporal: end to end made ${n(f.e2e.temporal_calls_per_s)} calls/s with ${pct(f.e2e.workflow_start_share)} workflow starts; ` +
      `the customer workflow alone makes ${n(f.ceilings.customer_first_visits_calls_per_s)} calls/s when every call starts a workflow ` +
      `and ${n(f.ceilings.customer_returning_calls_per_s)} when few do; the rest shares the same cores (see ceilings and hops_ms)`;
  }
  if (!targets.zero_lost_and_duplicated) {
    out.zero_lost_and_duplicated =
      "delivery: see each run's check (cues, clickhouse_events, ledger_balances) for which store missed or doubled events";
  }
  const cueHops = (c: CueFigures) =>
    `Temporal update round trip: p99 ${n(c.update_p99)} ms of the cue's ${n(c.p99)} ms at ${n(c.temporal_calls_per_s)} calls/s ` +
    `(till → gateway ack p99 ${n(c.gateway_ack_p99)} ms, published → cue p99 ${n(c.relay_p99)} ms)`;
  if (!targets.cue_p99_at_100_per_s_at_most_100_ms) {
    out.cue_p99_at_100_per_s_at_most_100_ms = cueHops(f.cueAt100);
  }
  if (!targets.cue_p99_at_half_capacity_at_most_100_ms) {
    out.cue_p99_at_half_capacity_at_most_100_ms = cueHops(f.cueAtHalf);
  }
  if (!targets.evaluator_at_least_1m_events_per_s) {
    out.evaluator_at_least_1m_events_per_s =
      `customer rules on one core: ${n(f.evaluator.events_per_s)} events/s on fresh accounts, ` +
      `${n(f.evaluator.steady_state_events_per_s)} on long-lived ones (a flat profile: what a sale earns, its memory for returns, its effects and the garbage they leave; bench/README.md)`;
  }
  const first = f.scale[0];
  const last = f.scale[f.scale.length - 1];
  if (!targets.throughput_100k_at_least_80pct_of_1k && first && last) {
    out.throughput_100k_at_least_80pct_of_1k =
      `Temporal workflow starts and batching: calls/s ${n(first.temporal_calls_per_s)} → ${n(last.temporal_calls_per_s)} ` +
      `(${(last.temporal_calls_per_s / first.temporal_calls_per_s).toFixed(2)}), but events per call ` +
      `${first.events_per_temporal_call} → ${last.events_per_temporal_call} and starts ${pct(first.workflow_start_share)} → ${pct(last.workflow_start_share)}`;
  }
  if (!targets.identification_p99_at_100_per_s_at_most_20_ms) {
    out.identification_p99_at_100_per_s_at_most_20_ms =
      `the identity service's round trip (NATS request, three reads in NATS KV: the card, the account number, the summary; reply): p99 ` +
      `${n(f.identification.p99)} ms beside sales at ${n(f.identification.salesPerSecond)} events/s, ` +
      `${n(f.identification.aloneP99)} ms alone: ` +
      (f.identification.aloneP99 <= 20
        ? 'the cores the sales keep busy (Temporal, the worker, the router, the sink and the tills share the machine with it)'
        : 'the service itself');
  }
  if (!targets.segment_change_p99_at_half_capacity_at_most_1_s) {
    const { natsP99, clickhouseP99, cueP99, sinkFlushMs } = f.segments;
    out.segment_change_p99_at_half_capacity_at_most_1_s =
      natsP99 > 1_000
        ? `the customer workflow's answer and the router's publish: p99 ${n(natsP99)} ms to NATS, against the cue's ${n(cueP99)} ms (the same path)`
        : `the sink: NATS p99 ${n(natsP99)} ms, ClickHouse p99 ${n(clickhouseP99)} ms (a batch waits up to ${n(sinkFlushMs)} ms, then its look-ups and inserts)`;
  }
  if (!targets.segments_live_and_batch_agree) {
    const differing = f.segmentDifferences.filter((s) => s.differences > 0);
    out.segments_live_and_batch_agree =
      f.segmentDifferences.length === 0
        ? 'no segment was compared: the analytics store was not open, or the program has none'
        : `live and batch members differ in ${differing.map((s) => `${s.id} (${n(s.differences)})`).join(', ')}: ` +
          '`clientele segments reconcile` lists them; a change still in flight when compared, or a measure the SQL computes differently';
  }
  return out;
}
