/**
 * `GET /api/programs`: every published version of the loyalty program, oldest first, each as
 * its definition with its version name and when it comes into force, for the program calendar
 * (earn rules with their date windows, bonuses, lifecycle rules, live segments).
 */
import type { Hono } from 'hono';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { allow, type ConsoleEnv } from './staff-auth.ts';

export function addProgramRoutes(
  app: Hono<ConsoleEnv>,
  deps: { versions: () => Promise<Program[]> },
): void {
  app.get('/api/programs', allow('programs'), async (c) => {
    const versions = await deps.versions();
    return c.json({ ok: true, versions });
  });
}
