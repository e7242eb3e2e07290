import { describe, expect, it } from 'vitest';
import { bottlenecks, type RunFigures, type Targets } from '../../bench/bottlenecks.ts';

const figures: RunFigures = {
  e2e: { e2e_events_per_s: 500, temporal_calls_per_s: 80, workflow_start_share: 0.78 },
  ceilings: {
    signal_handled_per_s: 436,
    customer_first_visits_calls_per_s: 105,
    customer_returning_calls_per_s: 210,
  },
  evaluator: { events_per_s: 900_000, steady_state_events_per_s: 320_000 },
  cueAt100: {
    p99: 397,
    update_p99: 387,
    gateway_ack_p99: 35,
    relay_p99: 15,
    temporal_calls_per_s: 84,
  },
  cueAtHalf: {
    p99: 212,
    update_p99: 190,
    gateway_ack_p99: 20,
    relay_p99: 9,
    temporal_calls_per_s: 55,
  },
  scale: [
    {
      e2e_events_per_s: 239,
      temporal_calls_per_s: 79,
      events_per_temporal_call: 2.6,
      workflow_start_share: 0.82,
    },
    {
      e2e_events_per_s: 93,
      temporal_calls_per_s: 72,
      events_per_temporal_call: 1.1,
      workflow_start_share: 0.99,
    },
  ],
  identification: { p99: 34, aloneP99: 6, salesPerSecond: 76 },
  segments: { natsP99: 180, clickhouseP99: 1_450, cueP99: 212, sinkFlushMs: 250 },
  segmentDifferences: [
    { id: 'regulars', differences: 0 },
    { id: 'big-baskets', differences: 3 },
  ],
};

const allMet: Targets = {
  e2e_at_least_80pct_of_temporal_ceiling: true,
  zero_lost_and_duplicated: true,
  cue_p99_at_100_per_s_at_most_100_ms: true,
  cue_p99_at_half_capacity_at_most_100_ms: true,
  evaluator_at_least_1m_events_per_s: true,
  throughput_100k_at_least_80pct_of_1k: true,
  identification_p99_at_100_per_s_at_most_20_ms: true,
  segment_change_p99_at_half_capacity_at_most_1_s: true,
  segments_live_and_batch_agree: true,
};

describe('bottlenecks', () => {
  it('says nothing when every target is met', () => {
    expect(bottlenecks(allMet, figures)).toEqual({});
  });

  it('names the component and the figures for each target missed', () => {
    const missed = bottlenecks(
      {
        ...allMet,
        cue_p99_at_100_per_s_at_most_100_ms: false,
        cue_p99_at_half_capacity_at_most_100_ms: false,
        throughput_100k_at_least_80pct_of_1k: false,
        evaluator_at_least_1m_events_per_s: false,
        identification_p99_at_100_per_s_at_most_20_ms: false,
        segment_change_p99_at_half_capacity_at_most_1_s: false,
        segments_live_and_batch_agree: false,
      },
      figures,
    );
    expect(Object.keys(missed).sort()).toEqual([
      'cue_p99_at_100_per_s_at_most_100_ms',
      'cue_p99_at_half_capacity_at_most_100_ms',
      'evaluator_at_least_1m_events_per_s',
      'identification_p99_at_100_per_s_at_most_20_ms',
      'segment_change_p99_at_half_capacity_at_most_1_s',
      'segments_live_and_batch_agree',
      'throughput_100k_at_least_80pct_of_1k',
    ]);
    expect(missed.segment_change_p99_at_half_capacity_at_most_1_s).toBe(
      'the sink: NATS p99 180 ms, ClickHouse p99 1,450 ms (a batch waits up to 250 ms, then its look-ups and inserts)',
    );
    expect(missed.segments_live_and_batch_agree).toMatch(
      /^live and batch members differ in big-baskets \(3\): /,
    );
    expect(
      bottlenecks(
        { ...allMet, segments_live_and_batch_agree: false },
        {
          ...figures,
          segmentDifferences: [],
        },
      ).segments_live_and_batch_agree,
    ).toMatch(/^no segment was compared/);
    expect(missed.identification_p99_at_100_per_s_at_most_20_ms).toMatch(
      /p99 34 ms beside sales at 76 events\/s, 6 ms alone: the cores the sales keep busy/,
    );
    expect(missed.cue_p99_at_100_per_s_at_most_100_ms).toMatch(
      /^Temporal update round trip: p99 387 ms of the cue's 397 ms/,
    );
    expect(missed.cue_p99_at_half_capacity_at_most_100_ms).toMatch(
      /^Temporal update round trip: p99 190 ms of the cue's 212 ms at 55 calls\/s/,
    );
    expect(missed.throughput_100k_at_least_80pct_of_1k).toContain('calls/s 79 → 72 (0.91)');
    expect(missed.evaluator_at_least_1m_events_per_s).toContain(
      '900,000 events/s on fresh accounts',
    );
  });
});
