/**
 * The marks a member of staff puts on the console's charts ("price campaign starts", "store
 * refit"): each theirs, kept in the NATS KV bucket `STAFF` under `marks.<userId>`, shown on every
 * chart with that name whatever period is chosen.
 */
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { ClienteleError } from '../domain/error-codes.ts';
import { instant } from '../domain/events.ts';
import { isWrongLastSequence, liveEntry } from '../streams/kv.ts';
import { openStaffBucket } from './staff-directory.ts';

/** The charts of the console a mark can go on. */
export const chartName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a chart name');

export const newMark = z.strictObject({
  chart: chartName,
  /** The day on the chart's axis (YYYY-MM-DD). */
  day: z.iso.date('must be a day, YYYY-MM-DD'),
  label: z.string().trim().min(1, 'must say something').max(80),
});

export const chartMark = newMark.extend({ markId: z.string(), createdAt: instant });
export type ChartMark = z.infer<typeof chartMark>;

/** At most this many marks per member: the charts stay readable. */
export const MAX_MARKS = 200;

export interface ChartMarks {
  of(userId: string, chart?: string): Promise<ChartMark[]>;
  add(userId: string, mark: z.infer<typeof newMark>, now: Date): Promise<ChartMark>;
  /** False if the member had no such mark. */
  remove(userId: string, markId: string): Promise<boolean>;
}

const marksList = z.array(chartMark);
const MAX_ATTEMPTS = 20;

export async function openChartMarks(
  nc: NatsConnection,
  options: { replicas?: number } = {},
): Promise<ChartMarks> {
  const kv = await openStaffBucket(nc, options.replicas);
  const key = (userId: string) => `marks.${userId}`;

  async function read(userId: string) {
    const entry = await liveEntry(kv, key(userId));
    return { marks: entry ? marksList.parse(entry.json()) : [], revision: entry?.revision ?? 0 };
  }

  /** Writes the member's marks as `change` makes them from the latest, retrying a lost race. */
  async function change<T>(userId: string, apply: (marks: ChartMark[]) => [ChartMark[], T]) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await read(userId);
      const [next, result] = apply(current.marks);
      try {
        if (current.revision === 0) await kv.create(key(userId), JSON.stringify(next));
        else await kv.update(key(userId), JSON.stringify(next), current.revision);
        return result;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }
    throw new ClienteleError('busy', [], 'the marks changed too often at once: ask again');
  }

  return {
    async of(userId, chart) {
      const { marks } = await read(userId);
      return marks.filter((m) => chart === undefined || m.chart === chart);
    },
    add(userId, mark, now) {
      return change(userId, (marks) => {
        if (marks.length >= MAX_MARKS) {
          throw new ClienteleError('invalid_request', [
            { field: 'chart', message: `${MAX_MARKS} marks at most: remove one first` },
          ]);
        }
        const added = chartMark.parse({
          ...mark,
          markId: randomUUID(),
          createdAt: now.toISOString(),
        });
        return [[...marks, added], added];
      });
    },
    remove(userId, markId) {
      return change(userId, (marks) => {
        const kept = marks.filter((m) => m.markId !== markId);
        return [kept, kept.length < marks.length];
      });
    },
  };
}
