/**
 * What `clientele simulate` reports, as JSON (the zod schema below), an aligned table, or CSV:
 * points issued, redeemed and expired under the versions in force and under the candidate, the
 * liability at the end in money, the reward cost against the margin of each earn rule, the tier
 * migration matrix, the customers the candidate treats differently, what it costs per visit, and
 * how fast the run went. Money is integer minor units in JSON; the table and CSV show it in
 * major units. One customer's what-if (`svc.replay.what-if`) is reported with the same figures.
 */
import { z } from 'zod';
import { csvField, formatMoney, formatTable } from '../analytics/questions/format.ts';
import type { Answer, Column } from '../analytics/questions/question.ts';
import type { CustomerWhatIf, SideFigures, TierMatrix } from '../domain/customer/what-if.ts';
import type { Simulation } from './simulate.ts';

const int = z.number().int();
const figure = z.strictObject({
  metric: z.string(),
  kind: z.enum(['points', 'money', 'count']),
  baseline: int,
  candidate: int,
  difference: int,
});

const ruleRow = z.strictObject({
  rule: z.string(),
  side: z.enum(['baseline', 'candidate']),
  points: int,
  costMinor: int,
  marginMinor: int,
  /** The rule's cost as a share of the margin it was given on (0.125 = 12.5 %). */
  costShareOfMargin: z.number().nullable(),
});

export const simulationReport = z.strictObject({
  period: z.strictObject({ from: z.string(), to: z.string() }),
  candidate: z.string(),
  baseline: z.array(z.string()),
  segment: z.string().optional(),
  run: z.strictObject({
    customers: int,
    events: int,
    periodEvents: int,
    workers: int,
    partitions: int,
    seconds: z.number(),
    eventsPerSecond: int,
  }),
  figures: z.array(figure),
  customersAffected: int,
  visits: int,
  visitsOfAffected: int,
  marginMinor: int,
  /** Reward cost of the candidate less the baseline's. */
  extraCostMinor: int,
  /** The extra cost over the visits of the customers it treats differently. */
  extraCostPerVisitMinor: int.nullable(),
  /** Visits at the period's mean margin per visit that would pay for the extra cost. */
  breakEvenVisits: int.nullable(),
  redemptionsRefused: int,
  /**
   * Customers by tier at the start (rows) and at the end (columns), under each program; `-` is
   * no tier (no program yet, or a customer new in the period).
   */
  tierMigration: z.strictObject({
    tiers: z.array(z.string()),
    inForce: z.array(z.array(int)),
    candidate: z.array(z.array(int)),
  }),
  rules: z.array(ruleRow),
});
export type SimulationReport = z.infer<typeof simulationReport>;

const METRICS: { metric: string; kind: 'points' | 'money'; of: (s: SideFigures) => number }[] = [
  { metric: 'points issued', kind: 'points', of: (s) => s.issued },
  { metric: 'points redeemed', kind: 'points', of: (s) => s.redeemed },
  { metric: 'points expired', kind: 'points', of: (s) => s.expired },
  { metric: 'points adjusted', kind: 'points', of: (s) => s.adjusted },
  { metric: 'points outstanding at the end', kind: 'points', of: (s) => s.balance },
  { metric: 'liability at the end', kind: 'money', of: (s) => s.liabilityMinor },
  { metric: 'reward cost (points issued)', kind: 'money', of: (s) => s.rewardCostMinor },
];

/** The figures of both sides, with the candidate's difference. */
function figuresOf(baseline: SideFigures, candidate: SideFigures) {
  return METRICS.map(({ metric, kind, of }) => {
    const a = of(baseline);
    const b = of(candidate);
    return { metric, kind, baseline: a, candidate: b, difference: b - a };
  });
}

/** Each side's earn rules by name: points, cost, and the margin they were given on. */
function rulesOf(sides: { baseline: SideFigures; candidate: SideFigures }) {
  return (['baseline', 'candidate'] as const).flatMap((side) =>
    Object.entries(sides[side].rules)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([rule, f]) => ({
        rule,
        side,
        points: f.points,
        costMinor: f.costMinor,
        marginMinor: f.marginMinor,
        costShareOfMargin:
          f.marginMinor > 0 ? Math.round((f.costMinor / f.marginMinor) * 10_000) / 10_000 : null,
      })),
  );
}

export function reportOf(
  simulation: Simulation,
  context: { candidate: string; baseline: string[]; segment?: string; from: string; to: string },
): SimulationReport {
  const { totals } = simulation;
  const figures = figuresOf(totals.baseline, totals.candidate);
  const extraCostMinor = totals.candidate.rewardCostMinor - totals.baseline.rewardCostMinor;
  const marginPerVisit = totals.visits > 0 ? totals.marginMinor / totals.visits : 0;
  const matrices = [totals.tiers.baseline, totals.tiers.candidate];
  const tiers = [
    ...new Set(
      matrices.flatMap((m) => [
        ...Object.keys(m),
        ...Object.values(m).flatMap((row) => Object.keys(row)),
      ]),
    ),
  ].sort();
  const counts = (m: TierMatrix) => tiers.map((from) => tiers.map((to) => m[from]?.[to] ?? 0));
  return {
    period: { from: context.from, to: context.to },
    candidate: context.candidate,
    baseline: context.baseline,
    ...(context.segment !== undefined ? { segment: context.segment } : {}),
    run: {
      customers: simulation.scope.customers,
      events: simulation.scope.events,
      periodEvents: simulation.scope.periodEvents,
      workers: simulation.workers,
      partitions: simulation.partitions,
      seconds: Math.round(simulation.seconds * 10) / 10,
      eventsPerSecond: Math.round(simulation.eventsPerSecond),
    },
    figures,
    customersAffected: totals.affected.customers,
    visits: totals.visits,
    visitsOfAffected: totals.affected.visits,
    marginMinor: totals.marginMinor,
    extraCostMinor,
    extraCostPerVisitMinor:
      totals.affected.visits > 0 ? Math.round(extraCostMinor / totals.affected.visits) : null,
    breakEvenVisits: marginPerVisit > 0 ? Math.ceil(extraCostMinor / marginPerVisit) : null,
    redemptionsRefused: totals.redemptionsRefused,
    tierMigration: {
      tiers,
      inForce: counts(totals.tiers.baseline),
      candidate: counts(totals.tiers.candidate),
    },
    rules: rulesOf(totals),
  };
}

/**
 * One customer's what-if (the console's customer page): the same figures and earn rules as the
 * population's report, their tier at the start and at the end under each program.
 */
export const customerWhatIfReport = z.strictObject({
  ok: z.literal(true),
  customerId: z.string(),
  period: z.strictObject({ from: z.string(), to: z.string() }),
  candidate: z.string(),
  baseline: z.array(z.string()),
  /** Inputs (events and granted requests) and visits in the period. */
  inputs: int,
  visits: int,
  figures: z.array(figure),
  /** `-` is no tier. */
  tier: z.strictObject({ atFrom: z.string(), baseline: z.string(), candidate: z.string() }),
  redemptionsRefused: int,
  rules: z.array(ruleRow),
  /** What the replay leaves out (household transfers). */
  leftOut: z.string().optional(),
});
export type CustomerWhatIfReport = z.infer<typeof customerWhatIfReport>;

export function customerReportOf(
  whatIf: CustomerWhatIf,
  context: { candidate: string; baseline: string[]; from: string; to: string },
): CustomerWhatIfReport {
  return {
    ok: true,
    customerId: whatIf.customerId,
    period: { from: context.from, to: context.to },
    candidate: context.candidate,
    baseline: context.baseline,
    inputs: whatIf.inputs,
    visits: whatIf.visits,
    figures: figuresOf(whatIf.baseline, whatIf.candidate),
    tier: {
      atFrom: whatIf.tierAtFrom,
      baseline: whatIf.baselineTier,
      candidate: whatIf.candidateTier,
    },
    redemptionsRefused: whatIf.redemptionsRefused,
    rules: rulesOf(whatIf),
  };
}

const value = (n: number, kind: string) => (kind === 'money' ? formatMoney(n) : String(n));

function figuresAnswer(report: SimulationReport): Answer {
  const columns: Column[] = [
    { name: 'figure', kind: 'text' },
    { name: 'in force', kind: 'text' },
    { name: 'candidate', kind: 'text' },
    { name: 'difference', kind: 'text' },
  ];
  const money = (n: number | null) => (n === null ? '-' : formatMoney(n));
  const rows = [
    ...report.figures.map((f) => ({
      figure: f.metric,
      'in force': value(f.baseline, f.kind),
      candidate: value(f.candidate, f.kind),
      difference: value(f.difference, f.kind),
    })),
    {
      figure: 'customers affected',
      'in force': '',
      candidate: '',
      difference: String(report.customersAffected),
    },
    {
      figure: 'extra cost per visit of those affected',
      'in force': '',
      candidate: '',
      difference: money(report.extraCostPerVisitMinor),
    },
    {
      figure: 'extra visits to break even',
      'in force': '',
      candidate: '',
      difference: report.breakEvenVisits === null ? '-' : String(report.breakEvenVisits),
    },
    {
      figure: 'redemptions the candidate would refuse',
      'in force': '',
      candidate: '',
      difference: String(report.redemptionsRefused),
    },
  ];
  return { columns, rows };
}

function tiersAnswer(report: SimulationReport, side: 'inForce' | 'candidate'): Answer {
  const { tiers } = report.tierMigration;
  const counts = report.tierMigration[side];
  const corner = 'start \\ end';
  return {
    columns: [
      { name: corner, kind: 'text' },
      ...tiers.map((tier) => ({ name: tier, kind: 'count' as const })),
    ],
    rows: tiers.map((from, i) => ({
      [corner]: from,
      ...Object.fromEntries(tiers.map((to, j) => [to, counts[i]?.[j] ?? 0])),
    })),
  };
}

function rulesAnswer(report: SimulationReport): Answer {
  return {
    columns: [
      { name: 'rule', kind: 'text' },
      { name: 'program', kind: 'text' },
      { name: 'points', kind: 'count' },
      { name: 'cost', kind: 'money' },
      { name: 'margin', kind: 'money' },
      { name: 'cost / margin', kind: 'ratio' },
    ],
    rows: report.rules.map((r) => ({
      rule: r.rule,
      program: r.side === 'baseline' ? 'in force' : 'candidate',
      points: r.points,
      cost: r.costMinor,
      margin: r.marginMinor,
      'cost / margin': r.costShareOfMargin,
    })),
  };
}

export function formatReport(report: SimulationReport, format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') {
    const lines = ['section,name,in_force,candidate,difference'];
    const row = (...cells: (string | number)[]) =>
      lines.push(cells.map((c) => csvField(String(c))).join(','));
    for (const f of report.figures) row('figure', f.metric, f.baseline, f.candidate, f.difference);
    row('figure', 'customers affected', '', '', report.customersAffected);
    row('figure', 'extra cost per visit (minor)', '', '', report.extraCostPerVisitMinor ?? '');
    row('figure', 'extra visits to break even', '', '', report.breakEvenVisits ?? '');
    const names = [...new Set(report.rules.map((r) => r.rule))];
    const of = (rule: string, side: 'baseline' | 'candidate') =>
      report.rules.find((r) => r.rule === rule && r.side === side);
    for (const [section, field] of [
      ['rule points', 'points'],
      ['rule cost (minor)', 'costMinor'],
      ['rule margin (minor)', 'marginMinor'],
    ] as const) {
      for (const rule of names) {
        const a = of(rule, 'baseline')?.[field] ?? 0;
        const b = of(rule, 'candidate')?.[field] ?? 0;
        row(section, rule, a, b, b - a);
      }
    }
    const { tiers, inForce, candidate } = report.tierMigration;
    tiers.forEach((from, i) => {
      tiers.forEach((to, j) => {
        const a = inForce[i]?.[j] ?? 0;
        const b = candidate[i]?.[j] ?? 0;
        row('tier migration (customers)', `${from} -> ${to}`, a, b, b - a);
      });
    });
    return `${lines.join('\n')}\n`;
  }
  const { run } = report;
  return [
    `What-if of ${report.candidate} from ${report.period.from} to ${report.period.to}, next to ${report.baseline.join(', ')}${report.segment ? `, segment ${report.segment}` : ''}`,
    `${run.customers} customers, ${run.events} events replayed (${run.periodEvents} in the period) in ${run.seconds} s on ${run.workers} worker${run.workers === 1 ? '' : 's'}: ${run.eventsPerSecond} events/s`,
    '',
    formatTable(figuresAnswer(report)),
    'Tier at the start (rows) and at the end (columns), in force:',
    formatTable(tiersAnswer(report, 'inForce')),
    'Tier at the start (rows) and at the end (columns), under the candidate:',
    formatTable(tiersAnswer(report, 'candidate')),
    'Earn rules: what they gave, and the margin of what they were given on:',
    formatTable(rulesAnswer(report)),
  ].join('\n');
}
