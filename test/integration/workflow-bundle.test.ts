/**
 * What the workflow bundle holds. Each workflow the worker starts evaluates the bundle's modules
 * anew, so a heavy import is paid per customer: zod there cost about 15 % of the workflow
 * thread's time and about a megabyte of worker memory per cached customer (bench/README.md).
 */
import { describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../../workflows/worker.ts';

describe('workflow bundle', () => {
  it('holds the workflows and the pure rules only: no zod, no I/O modules', {
    timeout: 120_000,
  }, async () => {
    const { code } = await bundleWorkflows();
    const modules = [...code.matchAll(/^\/\*\*\*\/ "(\.\/[^"]+)"/gm)].map((m) => m[1] as string);
    const own = modules.filter((m) => !m.startsWith('./node_modules/'));
    expect(own).toContain('./workflows/customer/workflow.ts');
    expect(own).toContain('./engine/domain/customer/account.ts');
    for (const m of own) expect(m).toMatch(/^\.\/(workflows|engine\/domain)\//);
    const packages = new Set(
      modules
        .filter((m) => m.startsWith('./node_modules/'))
        .map((m) =>
          m
            .split('/')
            .slice(2, m.includes('/@') ? 4 : 3)
            .join('/'),
        ),
    );
    expect(packages.has('zod')).toBe(false);
  });
});
