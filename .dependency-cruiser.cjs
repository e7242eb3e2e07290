/**
 * The direction of dependencies, checked by `npm run lint` (dependency-cruiser): the pure rules
 * at the bottom, then the workflows, then streams, services and analytics, then the gateways and
 * dashboards, and the composition (runtime, CLI, simulator, benchmark) on top. An import that
 * points up, an I/O import into the pure rules, or a cycle fails the lint.
 */
const composition = '^(engine/(runtime|cli|simulator|generator)|bench)/';
const edges = '^(gateways|dashboards)/';
const middle =
  '^engine/(streams|services|analytics|programs|identity|customer-view|fraud|segments)/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules that import each other cannot be understood or replaced one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      comment:
        'engine/domain holds the rules: no I/O, no clock, nothing of another layer; zod is its only package.',
      severity: 'error',
      from: { path: '^engine/domain/' },
      to: { pathNot: ['^engine/domain/', '^node_modules/zod/'] },
    },
    {
      name: 'workflows-use-only-the-rules',
      comment: 'Workflows and their activities get streams and clients passed in, never imported.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: [middle, edges, composition] },
    },
    {
      name: 'streams-and-services-below-the-edges',
      severity: 'error',
      from: { path: middle },
      to: { path: [edges, composition] },
    },
    {
      name: 'edges-below-the-composition',
      severity: 'error',
      from: { path: edges },
      to: { path: composition },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
