/**
 * `channel-preference`: customers by their main channel (most sales), and each channel's share
 * of spend, from the daily aggregate `customer_days`.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import type { Answer } from '../question.ts';
import { onDays, windowOf, windowParams } from '../window.ts';
import { col, days, num, ratio } from './common.ts';

export const windowOnly = z.object({ days: days(365) });

/**
 * Each customer's main channel over the window (the one with most sales; a tie goes to the
 * channel first in alphabetical order), how many customers each channel is main for, and each
 * channel's share of members' net spend.
 */
export async function channelPreference(
  store: AnalyticsStore,
  params: z.output<typeof windowOnly>,
  asOf: Date,
): Promise<Answer> {
  const bound = windowParams(windowOf(asOf, params.days));
  const table = qualified(store.database, 'customer_days');
  const spend = await store.query<{ channel: string; net: string }>(
    `SELECT toString(channel) AS channel, sum(net_minor) AS net FROM ${table}
     WHERE ${onDays()} GROUP BY channel ORDER BY channel`,
    bound,
  );
  // Each customer's sales by channel place (the window's channels, sorted) in one array, in one
  // grouping by customer; the first place with the most sales is the main channel, so a tie
  // goes to the channel first in alphabetical order. No channel in the window, no customer.
  const inWindow = spend.map((s) => s.channel);
  const mains =
    inWindow.length === 0
      ? []
      : await store.query<{ channel: string; customers: string }>(
          `SELECT {chans:Array(String)}[indexOf(by_channel, arrayMax(by_channel))] AS channel,
         count() AS customers
       FROM (
         SELECT sumResample(0, length({chans:Array(String)}), 1)(sales,
           transform(channel, {chans:Array(String)}, range(length({chans:Array(String)})), 0)) AS by_channel
         FROM ${table}
         WHERE ${onDays()}
         GROUP BY customer_id
       )
       WHERE arrayMax(by_channel) > 0
       GROUP BY channel`,
          { ...bound, chans: inWindow },
        );
  const channels = [...new Set([...mains.map((m) => m.channel), ...spend.map((s) => s.channel)])];
  channels.sort();
  const customers = new Map(mains.map((m) => [m.channel, num(m.customers)]));
  const nets = new Map(spend.map((s) => [s.channel, num(s.net)]));
  const totalCustomers = [...customers.values()].reduce((a, b) => a + b, 0);
  const totalNet = [...nets.values()].reduce((a, b) => a + b, 0);
  return {
    columns: [
      col('channel', 'text'),
      col('customers', 'count'),
      col('customer_share', 'ratio'),
      col('spend', 'money'),
      col('spend_share', 'ratio'),
    ],
    rows: channels.map((channel) => ({
      channel,
      customers: customers.get(channel) ?? 0,
      customer_share: ratio(customers.get(channel) ?? 0, totalCustomers),
      spend: nets.get(channel) ?? 0,
      spend_share: ratio(nets.get(channel) ?? 0, totalNet),
    })),
  };
}
