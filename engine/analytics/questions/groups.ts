/**
 * The saved-group questions (engine/segments/groups.ts): the groups with their latest size, a
 * group's size over time, and who was in it when it was saved. They read what saving and refreshing
 * stored; the as-of moment bounds the sizes shown (nothing measured after it).
 */
import { z } from 'zod';
import { segmentId } from '../../domain/segments/definition.ts';
import { groupMembersWhenSaved, groupSizes, listGroups } from '../../segments/groups.ts';
import { type Answer, type AnyQuestion, defineQuestion, integer, param } from './question.ts';

const group = param(segmentId, 'the saved group (its id)');

export const GROUP_QUESTIONS: readonly AnyQuestion[] = [
  defineQuestion({
    name: 'groups',
    summary: 'The saved groups: their condition, who saved them, their size when saved and lately',
    params: z.object({}),
    async run(store): Promise<Answer> {
      const groups = await listGroups(store);
      return {
        columns: [
          { name: 'group', kind: 'text' },
          { name: 'name', kind: 'text' },
          { name: 'when', kind: 'text' },
          { name: 'saved_at', kind: 'text' },
          { name: 'saved_by', kind: 'text' },
          { name: 'members_when_saved', kind: 'count' },
          { name: 'latest_size', kind: 'count' },
          { name: 'latest_at', kind: 'text' },
        ],
        rows: groups.map((g) => ({
          group: g.id,
          name: g.name,
          when: g.when,
          saved_at: g.savedAt,
          saved_by: g.savedBy,
          members_when_saved: g.membersWhenSaved,
          latest_size: g.latest?.members ?? null,
          latest_at: g.latest?.at ?? null,
        })),
      };
    },
  }),
  defineQuestion({
    name: 'group-sizes',
    summary:
      "A saved group's size over time: at the end of the days before it was saved, when saved, at each refresh",
    params: z.object({
      group,
      days: integer('days up to the as-of moment (365)', 365, 1, 3660),
    }),
    async run(store, params, asOf): Promise<Answer> {
      const sizes = await groupSizes(store, params.group, {
        from: new Date(asOf.getTime() - params.days * 86_400_000),
        to: asOf,
      });
      let previous: number | undefined;
      return {
        columns: [
          { name: 'at', kind: 'text' },
          { name: 'members', kind: 'count' },
          { name: 'change', kind: 'count' },
        ],
        rows: sizes.map((s) => {
          const change = previous === undefined ? null : s.members - previous;
          previous = s.members;
          return { at: s.at, members: s.members, change };
        }),
      };
    },
  }),
  defineQuestion({
    name: 'group-members',
    summary: 'Who was in a saved group when it was saved (kept, whatever they did since)',
    params: z.object({
      group,
      limit: integer('customers to list at most (100)', 100, 0, 100_000),
    }),
    async run(store, params): Promise<Answer> {
      const saved = await groupMembersWhenSaved(store, params.group, params.limit);
      return {
        summary: {
          columns: [
            { name: 'customers', kind: 'count' },
            { name: 'saved_at', kind: 'text' },
          ],
          values: { customers: saved.count, saved_at: saved.group.savedAt },
        },
        columns: [{ name: 'customer_id', kind: 'text' }],
        rows: saved.ids.map((customer_id) => ({ customer_id })),
      };
    },
  }),
];
