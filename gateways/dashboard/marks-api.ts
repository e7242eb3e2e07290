/**
 * The signed-in member's own marks on the console's charts (engine/staff/chart-marks.ts):
 * `GET /api/marks?chart=…`, `POST /api/marks` `{ chart, day, label }`, `DELETE /api/marks/<id>`.
 */
import type { Hono } from 'hono';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import { type ChartMarks, newMark } from '../../engine/staff/chart-marks.ts';
import { allow, type ConsoleEnv, fail, jsonBody } from './staff-auth.ts';

export function addMarkRoutes(
  app: Hono<ConsoleEnv>,
  deps: { marks: ChartMarks; now: () => Date },
): void {
  const userOf = (c: { get(key: 'signedIn'): { member: { userId: string } } }) =>
    c.get('signedIn').member.userId;

  app.get('/api/marks', allow('figures'), async (c) =>
    c.json({ ok: true, marks: await deps.marks.of(userOf(c), c.req.query('chart')) }),
  );
  app.post('/api/marks', allow('figures'), async (c) => {
    const mark = await jsonBody(c, newMark);
    if (mark instanceof ClienteleError) return fail(c, mark);
    const added = await deps.marks.add(userOf(c), mark, deps.now());
    return c.json({ ok: true, mark: added }, 201);
  });
  app.delete('/api/marks/:markId', allow('figures'), async (c) => {
    const removed = await deps.marks.remove(userOf(c), c.req.param('markId'));
    if (!removed) {
      return fail(
        c,
        new ClienteleError('invalid_request', [
          { field: 'markId', message: 'is not one of your marks' },
        ]),
      );
    }
    return c.json({ ok: true });
  });
}
