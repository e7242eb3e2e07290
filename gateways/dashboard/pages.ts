/**
 * The console's pages (`dashboards/console/`), each behind the permission it shows: a visitor
 * who is not signed in is sent to the sign-in page (and back afterwards); one whose role does not
 * allow the page gets a 403 page saying so. The pages' scripts and styles, the chart library
 * (Apache ECharts, from its npm package) and the Socket.io client are served from here too:
 * nothing comes from elsewhere.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { DEFAULT_POINT_VALUE } from '../../engine/analytics/questions/business/points.ts';
import type { ProgramCatalog } from '../../engine/domain/loyalty/versions.ts';
import { may, type Permission, type StaffMember } from '../../engine/domain/staff/roles.ts';
import type { SignedIn } from '../../engine/staff/sessions.ts';
import { addSharedFiles, fileResponse, isPlainName } from '../shared/static-files.ts';
import { askedOf, type CustomerAccess } from './customer-access.ts';
import { type ConsoleEnv, SESSION_COOKIE, type StaffAuthDeps, signedInBy } from './staff-auth.ts';

/** Where the pages and their assets live. */
export const CONSOLE_PAGE_DIR = fileURLToPath(
  new URL('../../dashboards/console/', import.meta.url),
);

const require = createRequire(import.meta.url);
/** Third-party browser files, by the name the pages ask for. */
const VENDOR_FILES: Record<string, string> = {
  'echarts.min.js': join(dirname(require.resolve('echarts/package.json')), 'dist/echarts.min.js'),
};

/** A page: its file, and what the signed-in person needs to open it. */
interface Page {
  path: string;
  /** As the navigation names it. */
  label: string;
  file: string;
  permission: Permission;
}

/** In the order of the navigation. */
export const PAGES: readonly Page[] = [
  { path: '/', label: 'Console', file: 'console.html', permission: 'figures' },
  { path: '/customers', label: 'Customers', file: 'customers.html', permission: 'customers.read' },
  { path: '/segments', label: 'Segments', file: 'segments.html', permission: 'segments' },
  { path: '/programs', label: 'Programs', file: 'programs.html', permission: 'programs' },
  { path: '/stores', label: 'Stores', file: 'stores.html', permission: 'stores' },
  { path: '/staff', label: 'Staff', file: 'staff.html', permission: 'staff' },
];

/** Without a program, money is shown in euros (the base earn rate has no currency of its own). */
const DEFAULT_CURRENCY = 'EUR';

/** The first page the person may open (where `/` sends those without figures). */
export const homeOf = (member: Pick<StaffMember, 'role'>): string | undefined =>
  PAGES.find((page) => may(member, page.permission))?.path;

export function addPages(
  app: Hono<ConsoleEnv>,
  deps: { auth: StaffAuthDeps; catalog: () => Promise<ProgramCatalog>; access: CustomerAccess },
  pageDir = CONSOLE_PAGE_DIR,
): void {
  const page = (name: string, status = 200) => fileResponse(join(pageDir, name), status);

  app.get('/sign-in', async (c) => (await page('sign-in.html')) ?? c.notFound());
  app.get('/assets/:file', async (c) => {
    const name = c.req.param('file');
    return (isPlainName(name) && (await page(name))) || c.notFound();
  });
  addSharedFiles(app);
  app.get('/vendor/:file', async (c) => {
    const path = VENDOR_FILES[c.req.param('file')];
    return (path && (await fileResponse(path))) || c.notFound();
  });

  /**
   * What every page's frame needs: the pages this person opens, the program's money and its live
   * segments.
   */
  app.get('/api/console', async (c) => {
    const { member } = c.get('signedIn');
    const open = PAGES.filter((p) => may(member, p.permission));
    const program = (await deps.catalog()).at(new Date().toISOString());
    return c.json({
      ok: true,
      pages: open.map(({ path, label }) => ({ path, label })),
      currency: program?.currency ?? DEFAULT_CURRENCY,
      pointValue: program?.pointValue ?? DEFAULT_POINT_VALUE,
      segments: (program?.segments ?? []).map((seg) => ({ id: seg.id, name: seg.name ?? seg.id })),
    });
  });

  /** The page, if the visitor is signed in, their role allows it and `reaches` says yes. */
  const guarded =
    (
      file: string,
      permission: Permission,
      reaches: (c: Context, signedIn: SignedIn) => Promise<boolean> = async () => true,
    ) =>
    async (c: Context) => {
      const signedIn = await signedInBy(deps.auth, getCookie(c, SESSION_COOKIE));
      if (!signedIn) {
        const next = encodeURIComponent(c.req.path);
        return c.redirect(`/sign-in?next=${next}`, 303);
      }
      if (!may(signedIn.member, permission)) {
        const home = homeOf(signedIn.member);
        if (c.req.path === '/' && home) return c.redirect(home, 303);
        return (await page('forbidden.html', 403)) ?? c.text('forbidden', 403);
      }
      if (!(await reaches(c, signedIn))) {
        return (await page('forbidden.html', 403)) ?? c.text('forbidden', 403);
      }
      return (await page(file)) ?? c.text(`${file} is missing`, 500);
    };

  for (const { path, file, permission } of PAGES) app.get(path, guarded(file, permission));
  // A customer's page: only for those who reach the customer (the same answer for one who is
  // not there, so the address tells nothing).
  app.get(
    '/customers/:customerId',
    guarded('customer.html', 'customers.read', async (c, signedIn) => {
      const customerId = c.req.param('customerId') ?? '';
      return (await deps.access.check(signedIn.member, customerId, askedOf(c))) === undefined;
    }),
  );
}
