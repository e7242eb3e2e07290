/**
 * Saved groups (engine/segments/groups.ts) in chDB: saving measures the group at the end of each
 * day before and keeps who is in it; the sizes equal counts the test makes itself from the sales
 * it stored; members when saved stay as they were after customers move; a refresh adds a point;
 * a bad condition, a taken id and an unknown group are refused naming the field; replacing makes
 * a new version whose figures never mix with the old one's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askQuestion } from '../../engine/analytics/questions/registry.ts';
import { eventRows } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import {
  dayEndsBefore,
  groupMembersWhenSaved,
  groupSizes,
  listGroups,
  refreshGroups,
  removeGroup,
  saveGroup,
} from '../../engine/segments/groups.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';
import { registrationInput, saleInput } from './analytics-fixtures.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-06-30T12:00:00.000Z');
let opened: TestStore | undefined;
let store: AnalyticsStore;
/** Each customer's sale times, as stored. */
const salesOf = new Map<string, number[]>();
let seq = 0;

function parsed(input: unknown): RetailEvent {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}

async function store_(events: RetailEvent[]) {
  for (const event of events) {
    const rows = eventRows(event, { streamSeq: ++seq, receivedAt: event.occurredAt });
    for (const [table, list] of Object.entries(rows)) {
      if (list && list.length > 0) await store.insert(table as never, list as never);
    }
    if (event.type === 'sale' && event.customerId) {
      const times = salesOf.get(event.customerId) ?? [];
      times.push(Date.parse(event.occurredAt));
      salesOf.set(event.customerId, times);
    }
  }
}

function sale(customerId: string, at: number, n: number): RetailEvent {
  return parsed(
    saleInput({
      customerId,
      eventId: `g-${customerId}-${n}`,
      transactionId: `gt-${customerId}-${n}`,
      occurredAt: new Date(at).toISOString(),
    }),
  );
}

/** Customers with at least two sales in (at − 30 days, at], counted here from what was stored. */
function expectedSize(at: Date): number {
  let n = 0;
  for (const times of salesOf.values()) {
    const inWindow = times.filter((t) => t > at.getTime() - 30 * DAY && t <= at.getTime());
    if (inWindow.length >= 2) n++;
  }
  return n;
}

const refused = async (work: Promise<unknown>): Promise<ClienteleError> => {
  try {
    await work;
  } catch (err) {
    if (err instanceof ClienteleError) return err;
    throw err;
  }
  throw new Error('was not refused');
};

beforeAll(async () => {
  opened = await openTestStore('groups');
  store = opened.store;
  let seed = 11;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const events: RetailEvent[] = [];
  for (let c = 0; c < 30; c++) {
    const customerId = `c-grp-${String(c).padStart(2, '0')}`;
    events.push(
      parsed({
        ...registrationInput(customerId),
        occurredAt: new Date(NOW.getTime() - 120 * DAY).toISOString(),
      }),
    );
    const visits = Math.floor(random() * 6);
    for (let v = 0; v < visits; v++) {
      events.push(sale(customerId, NOW.getTime() - Math.floor(random() * 60 * DAY) - 1000, v));
    }
  }
  await store_(events);
}, 120_000);

afterAll(async () => {
  await opened?.remove();
});

describe('saved groups', () => {
  it('measures the days before and now, and keeps who was in it', async () => {
    const saved = await saveGroup(
      store,
      { id: 'twice-a-month', name: 'Twice a month', when: 'visits(30) >= 2', savedBy: 'mkt-1' },
      NOW,
      { historyDays: 10 },
    );
    const moments = [...dayEndsBefore(NOW, 10), NOW];
    expect(saved.sizes.map((s) => s.at)).toEqual(moments.map((m) => m.toISOString()));
    expect(saved.sizes.map((s) => s.members)).toEqual(moments.map(expectedSize));
    expect(saved.members).toBe(expectedSize(NOW));
    expect(saved.members).toBeGreaterThan(0);
    // The sizes vary over the days: the test would not notice a constant otherwise.
    expect(new Set(saved.sizes.map((s) => s.members)).size).toBeGreaterThan(1);

    const kept = await groupMembersWhenSaved(store, 'twice-a-month', 1000);
    const expectedIds = [...salesOf.entries()]
      .filter(
        ([, times]) =>
          times.filter((t) => t > NOW.getTime() - 30 * DAY && t <= NOW.getTime()).length >= 2,
      )
      .map(([id]) => id)
      .sort();
    expect(kept.ids).toEqual(expectedIds);
    expect(kept.count).toBe(expectedIds.length);
  });

  it('adds a point on refresh, while the members when saved stay as they were', async () => {
    const newcomer = 'c-grp-new';
    const later = NOW.getTime() + 2 * DAY;
    await store_([sale(newcomer, later - 3600_000, 1), sale(newcomer, later - 1800_000, 2)]);
    const [point] = await refreshGroups(store, new Date(later));
    expect(point?.size.members).toBe(expectedSize(new Date(later)));
    const sizes = await groupSizes(store, 'twice-a-month');
    expect(sizes).toHaveLength(12);
    expect(sizes.at(-1)).toEqual({
      at: new Date(later).toISOString(),
      members: point?.size.members,
    });
    const kept = await groupMembersWhenSaved(store, 'twice-a-month', 1000);
    expect(kept.ids).not.toContain(newcomer);

    const listed = (await askQuestion(store, { question: 'groups', params: {} }, new Date(later)))
      .answer;
    expect(listed.rows).toEqual([
      expect.objectContaining({
        group: 'twice-a-month',
        name: 'Twice a month',
        when: 'visits(30) >= 2',
        saved_by: 'mkt-1',
        members_when_saved: kept.count,
        latest_size: point?.size.members,
      }),
    ]);
    const series = (
      await askQuestion(
        store,
        { question: 'group-sizes', params: { group: 'twice-a-month' } },
        new Date(later),
      )
    ).answer;
    expect(series.rows.map((r) => r.members)).toEqual(sizes.map((s) => s.members));
    expect(series.rows[1]?.change).toBe((sizes[1]?.members ?? 0) - (sizes[0]?.members ?? 0));
  });

  it('refuses a bad condition, a taken id and an unknown group, naming the field', async () => {
    const bad = await refused(
      saveGroup(store, { id: 'bad', when: 'visits(30) >= ', savedBy: 'mkt-1' }, NOW),
    );
    expect(bad.code).toBe('invalid_request');
    expect(bad.issues[0]?.field).toBe('when');
    const badId = await refused(
      saveGroup(store, { id: 'Bad Id', when: 'visits(30) >= 1', savedBy: 'mkt-1' }, NOW),
    );
    expect(badId.issues[0]?.field).toBe('id');
    const taken = await refused(
      saveGroup(store, { id: 'twice-a-month', when: 'visits(30) >= 1', savedBy: 'mkt-2' }, NOW),
    );
    expect(taken.code).toBe('group_exists');
    expect(taken.message).toContain('visits(30) >= 2');
    const unknown = await refused(groupSizes(store, 'no-such-group'));
    expect(unknown.code).toBe('unknown_group');
    expect(unknown.issues[0]?.field).toBe('group');
    // Nothing of a refused save is listed.
    expect((await listGroups(store)).map((g) => g.id)).toEqual(['twice-a-month']);
  });

  it('replaces a group with a new version whose figures are its own, and removes it', async () => {
    const at = new Date(NOW.getTime() + 3 * DAY);
    const replaced = await saveGroup(
      store,
      { id: 'twice-a-month', when: 'visits(30) >= 3', savedBy: 'mkt-2' },
      at,
      { historyDays: 2, replace: true },
    );
    const sizes = await groupSizes(store, 'twice-a-month');
    expect(sizes).toEqual(replaced.sizes);
    expect(sizes).toHaveLength(3);
    await removeGroup(store, 'twice-a-month', new Date(at.getTime() + 1000), 'mkt-2');
    expect(await listGroups(store)).toEqual([]);
    expect((await refused(groupSizes(store, 'twice-a-month'))).code).toBe('unknown_group');
  });
});
