/**
 * `clientele replay state` as people read it: the figures side by side (rebuilt, live, whether
 * they agree), the lots, then the differences or the agreement. Tables by `formatTable`, as the
 * analytics commands print theirs.
 */
import { formatTable } from '../analytics/questions/format.ts';
import type { Column } from '../analytics/questions/question.ts';
import type { ReplayStateAnswer, StateView } from '../domain/customer/state-diff.ts';

const text = (value: unknown): string => {
  if (value === undefined || value === null) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

const FIGURES: (keyof StateView)[] = [
  'balance',
  'spendable',
  'pending',
  'tier',
  'visits',
  'spendMinor',
  'eventsApplied',
  'lastPurchaseAt',
  'segments',
  'lifecycle',
  'mergedInto',
];

function figures(answer: ReplayStateAnswer): string {
  const live = answer.live;
  const columns: Column[] = [
    { name: 'field', kind: 'text' },
    { name: 'rebuilt from the log', kind: 'text' },
    ...(live
      ? [
          { name: 'live workflow', kind: 'text' as const },
          { name: 'same', kind: 'text' as const },
        ]
      : []),
  ];
  const rows = FIGURES.map((field) => {
    const rebuilt = text(answer.rebuilt[field]);
    return {
      field,
      'rebuilt from the log': rebuilt,
      ...(live
        ? { 'live workflow': text(live[field]), same: rebuilt === text(live[field]) ? 'yes' : 'NO' }
        : {}),
    };
  });
  return formatTable({ columns, rows });
}

function lots(view: StateView): string {
  const columns: Column[] = [
    { name: 'lot', kind: 'text' },
    { name: 'points', kind: 'count' },
    { name: 'earned', kind: 'text' },
    { name: 'available', kind: 'text' },
    { name: 'expires', kind: 'text' },
    { name: 'version', kind: 'text' },
  ];
  const rows = view.lots.map((lot) => ({
    lot: lot.id,
    points: lot.points,
    earned: lot.earnedAt,
    available: lot.availableAt,
    expires: lot.expiresAt ?? 'never',
    version: lot.version,
  }));
  return formatTable({ columns, rows });
}

export function formatReplayState(answer: ReplayStateAnswer): string {
  const { events, requests } = answer.inputs;
  const out = [
    `${answer.customerId} as of ${answer.asOf} (${answer.timeline === 'received' ? 'as the engine received the log' : 'each event at its own time'}), rebuilt from ${events} event${events === 1 ? '' : 's'} and ${requests} granted request${requests === 1 ? '' : 's'} (redemptions, cancellations, merges)`,
    '',
    figures(answer),
    'Lots (rebuilt):',
    lots(answer.rebuilt),
  ];
  if (answer.leftOut) out.push(`Left out: ${answer.leftOut}`, '');
  if (answer.liveUnavailable) out.push(`No live state to compare: ${answer.liveUnavailable}`);
  else if (answer.differences?.length === 0)
    out.push("The rebuilt state equals the live workflow's.");
  else if (answer.differences) {
    out.push(`${answer.differences.length} difference(s) from the live workflow:`);
    for (const d of answer.differences) {
      out.push(`  ${d.field}: rebuilt ${text(d.rebuilt)}, live ${text(d.live)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
