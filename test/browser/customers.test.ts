/**
 * The customer pages in headless Chromium against a real stack: a member registered and served
 * at a till is found by card and opened (360, lots with expiry, ledger, timeline, the state as
 * of an earlier day); every read lands in the audit log; a store manager cannot reach another
 * store's customer by search, address or API; a confidential customer is visible only to the
 * staff named on them.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardNumberOf } from '../../engine/domain/identity/card-number.ts';
import type { Role } from '../../engine/domain/staff/roles.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import type { StaffDirectory } from '../../engine/staff/staff-directory.ts';
import {
  accessibility,
  screenshot,
  shows,
  signInOnPage,
  startBrowser,
  type TestBrowser,
} from '../support/browser.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { addStaff, signIn } from '../support/staff.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

let stack: Stack;
let url: string;
let browser: TestBrowser;
let till: TestTill;
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const miaCard = cardNumberOf('279901', 7101);
const ottoCard = cardNumberOf('279901', 7102);
const lucaCard = cardNumberOf('279901', 7104);
let mia: string;
let otto: string;
let luca: string;

async function register(profile: Record<string, unknown>, cardNumber: string) {
  const answer = (await till.socket.timeout(15_000).emitWithAck('customer:register', {
    registrationId: uniqueId('reg'),
    occurredAt: ago(60),
    profile,
    card: { cardNumber },
  })) as { ok: boolean; customerId: string };
  expect(answer).toMatchObject({ ok: true });
  return answer.customerId;
}

const sale = (customerId: string, daysAgo: number, amount: number) =>
  saleInput({
    customerId,
    occurredAt: ago(daysAgo),
    lines: [
      {
        lineId: '1',
        sku: 'BEANS-1KG',
        category: 'coffee',
        quantity: 1,
        unitPrice: amount,
        fullPrice: amount,
        discount: 0,
        unitCost: Math.floor(amount / 2),
      },
    ],
    tenders: [{ type: 'card', amount }],
  });

beforeAll(async () => {
  browser = await startBrowser();
  stack = await startTestStack(['worker', 'router', 'identity', 'sink', 'till', 'dashboard']);
  url = stack.dashboard?.url as string;
  till = await connectTill(
    stack.till?.url as string,
    'S001',
    'T1',
    stack.settings.stores.S001 as string,
  );
  mia = await register(
    { givenName: 'Mia', familyName: 'Rossi', preferredStoreId: 'S001', email: 'mia@example.org' },
    miaCard,
  );
  otto = await register(
    { givenName: 'Otto', familyName: 'Lind', preferredStoreId: 'S002' },
    ottoCard,
  );
  luca = await register(
    { givenName: 'Luca', familyName: 'Rossi', preferredStoreId: 'S002' },
    lucaCard,
  );
  for (const [days, amount] of [
    [30, 4_000],
    [10, 2_550],
  ] as const) {
    expect(await till.send(sale(mia, days, amount))).toMatchObject({ ok: true });
  }
  expect(await till.send(sale(otto, 5, 1_000))).toMatchObject({ ok: true });
  expect(await till.send(sale(luca, 3, 500))).toMatchObject({ ok: true });
  // The engine has applied them: the summaries carry the home stores, the ledger Mia's points.
  const marketer = await signIn(url, await addStaff(stack, 'marketer'));
  await eventually(
    async () => {
      const view = await marketer.get<{
        summary?: { pointsBalance: number; preferredStoreId?: string };
      }>(`/api/customers/${mia}`);
      return view.body.summary?.pointsBalance === 65 ? true : undefined;
    },
    30_000,
    "Mia's 65 points",
  );
  await eventually(
    async () => {
      const view = await marketer.get<{ summary?: { preferredStoreId?: string } }>(
        `/api/customers/${otto}`,
      );
      return view.body.summary?.preferredStoreId === 'S002' ? true : undefined;
    },
    30_000,
    "Otto's home store",
  );
});

afterAll(async () => {
  till?.close();
  await browser?.close();
  await stack?.stop();
});

async function signedInPage(role: Role, stores?: string[]) {
  const userId = await addStaff(stack, role, stores ? { stores } : {});
  const page = await browser.newPage();
  await signInOnPage(page, url, userId, '/customers');
  return { page, userId };
}

async function find(page: Page, by: string, value: string) {
  await page.goto(`${url}/customers`);
  await page.getByLabel('Find by').selectOption(by);
  await page.getByLabel('Card, number, address or name').fill(value);
  await page.getByRole('button', { name: 'Find' }).click();
}

describe('customer pages', () => {
  it('finds a member by card and shows the 360, lots, ledger, timeline and the state as of a day', async () => {
    const { page, userId } = await signedInPage('marketer');
    await screenshot(page, 'customers-search');
    expect(await accessibility(page)).toEqual([]);
    await find(
      page,
      'card',
      `${miaCard.slice(0, 4)} ${miaCard.slice(4, 8)} ${miaCard.slice(8, 12)} ${miaCard.slice(12)}`,
    );
    await page.waitForURL(`${url}/customers/${mia}`);
    await page.locator('body[data-loaded="true"]').waitFor();
    await shows(page, 'h1', 'Mia Rossi');
    await shows(page, '#balance', '65');
    await shows(page, '#home-store', 'S001');
    await shows(page, `#cards tr[data-card="${miaCard}"] td:nth-child(3)`, 'active');
    // The lots the live workflow holds, with their expiry: 65 points in all.
    const marketer = await signIn(url, userId);
    const state = await marketer.get<{ live: { lots: { points: number }[] } }>(
      `/api/customers/${mia}/state`,
    );
    const shown = await page.locator('#lots tbody tr td:nth-child(2)').allTextContents();
    expect(shown).toEqual(state.body.live.lots.map((l) => String(l.points)));
    expect(shown.reduce((s, p) => s + Number(p), 0)).toBe(65);
    await shows(page, '#ledger tbody tr:first-child td:nth-child(2)', 'earn');
    await shows(page, '#ledger tbody tr:first-child td:nth-child(4)', '65');
    expect(await page.locator('#timeline li[data-kind="event"]').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#timeline li[data-kind="cue"]').count()).toBeGreaterThanOrEqual(2);

    // Twenty days back, only the first sale had happened.
    await page.getByLabel('Day').fill(ago(20).slice(0, 10));
    await page.getByRole('button', { name: 'Show' }).click();
    await shows(page, '#as-of dd:nth-of-type(2)', '40');
    // As the engine had received them: nothing yet then (the test sent both sales today).
    await page.getByLabel('Events').selectOption('received');
    await page.getByRole('button', { name: 'Show' }).click();
    await shows(page, '#as-of dd:nth-of-type(2)', '0');
    await screenshot(page, 'customer-360');
    expect(await accessibility(page)).toEqual([]);
    await page.close();

    // Every read is in the audit log, with who and how, never the card number.
    const admin = await signIn(url, await addStaff(stack, 'admin'));
    const audit = await eventually(
      async () => {
        const answer = await admin.get<{
          rows: { user: string; action: string; detail: string }[];
        }>(`/api/analytics/audit?customer=${mia}&user=${userId}`);
        const actions = new Set(answer.body.rows.map((r) => r.action));
        return ['customer.search', 'customer.read', 'customer.timeline', 'customer.state'].every(
          (a) => actions.has(a),
        )
          ? answer.body.rows
          : undefined;
      },
      30_000,
      'the audit entries',
    );
    expect(audit.find((r) => r.action === 'customer.search')?.detail).toBe('by card');
    expect(JSON.stringify(audit)).not.toContain(miaCard);
    expect((await marketer.get('/api/analytics/audit')).status).toBe(403);
  });

  it("keeps a store manager out of another store's customer by search, address and API", async () => {
    const { page, userId } = await signedInPage('store-manager', ['S002']);
    await find(page, 'card', miaCard);
    await shows(page, '#problem', /not yours to see/);
    expect(new URL(page.url()).pathname).toBe('/customers');
    await screenshot(page, 'customers-refused');

    const direct = await page.goto(`${url}/customers/${mia}`);
    expect(direct?.status()).toBe(403);
    await shows(page, 'h1', 'Not for your role');
    const api = await page.evaluate(
      async (id) => (await fetch(`/api/customers/${id}`)).status,
      mia,
    );
    expect(api).toBe(403);
    const state = await page.evaluate(
      async (id) => (await fetch(`/api/customers/${id}/state`)).status,
      mia,
    );
    expect(state).toBe(403);
    // Every refused route is audited, named by its route.
    const admin = await signIn(url, await addStaff(stack, 'admin'));
    const refusals = await eventually(
      async () => {
        const answer = await admin.get<{ rows: { action: string; detail: string }[] }>(
          `/api/analytics/audit?customer=${mia}&user=${userId}`,
        );
        const refused = answer.body.rows.filter((r) => r.action === 'customer.refused');
        return refused.length >= 4 ? refused.map((r) => r.detail).sort() : undefined;
      },
      30_000,
      'the refusals in the audit log',
    );
    expect(refusals).toEqual([
      'GET /api/customers',
      'GET /api/customers/:customerId',
      'GET /api/customers/:customerId/state',
      'GET /customers/:customerId',
    ]);

    // Their own store's customer opens.
    await find(page, 'card', ottoCard);
    await page.waitForURL(`${url}/customers/${otto}`);
    await shows(page, 'h1', 'Otto Lind');
    expect(await accessibility(page)).toEqual([]);
    await page.close();
  });

  it('finds customers by name, only those the member may see, and opens one', async () => {
    const { page, userId } = await signedInPage('marketer');
    // Luca's home store comes with his first summary; wait until the engine has it.
    const marketer = await signIn(url, userId);
    await eventually(
      async () => {
        const view = await marketer.get<{ summary?: { preferredStoreId?: string } }>(
          `/api/customers/${luca}`,
        );
        return view.body.summary?.preferredStoreId === 'S002' ? true : undefined;
      },
      30_000,
      "Luca's home store",
    );
    await find(page, 'name', 'ROSSI');
    await shows(page, '#results h2', 'Customers of that name');
    // The list once the answer is drawn (each search starts on a fresh page, the list hidden).
    const listed = async () => {
      await page.locator('#results').waitFor({ state: 'visible' });
      return (await page.locator('#found li a').allTextContents()).map((t) => t.trim()).sort();
    };
    expect(await listed()).toEqual(['Luca Rossi', 'Mia Rossi']);
    // Each with their home store, for the service desk to tell two of one name apart.
    const lucaRow = page.locator('#found li', { hasText: 'Luca Rossi' });
    expect(await lucaRow.locator('.muted').textContent()).toBe(` ${luca} · home store S002`);
    await screenshot(page, 'customers-by-name');
    expect(await accessibility(page)).toEqual([]);
    // The given and family names, in any order, accents and case aside.
    await find(page, 'name', 'rossí, mia');
    expect(await listed()).toEqual(['Mia Rossi']);
    await page.locator('#found li a').click();
    await page.waitForURL(`${url}/customers/${mia}`);
    await shows(page, 'h1', 'Mia Rossi');
    await find(page, 'name', 'Nobody-Here');
    await shows(page, '#problem', 'None of your customers has this name.');
    await page.close();

    // A store manager of S002 finds their own Rossi only; nothing says another exists.
    const manager = await signIn(url, await addStaff(stack, 'store-manager', { stores: ['S002'] }));
    const found = await manager.get<{ customers: { customerId: string }[]; more: boolean }>(
      '/api/customers?by=name&value=Rossi',
    );
    expect(found.body).toEqual({
      ok: true,
      customers: [
        { customerId: luca, givenName: 'Luca', familyName: 'Rossi', homeStoreId: 'S002' },
      ],
      more: false,
    });
    const tooShort = await manager.get<{ error: { issues: { field: string }[] } }>(
      '/api/customers?by=name&value=-',
    );
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.issues[0]?.field).toBe('value');
    // Each customer listed is in the audit log, found "by name", without the name.
    const admin = await signIn(url, await addStaff(stack, 'admin'));
    const rows = await eventually(
      async () => {
        const answer = await admin.get<{ rows: { action: string; detail: string }[] }>(
          `/api/analytics/audit?customer=${luca}&user=${manager.userId}`,
        );
        return answer.body.rows.length > 0 ? answer.body.rows : undefined;
      },
      30_000,
      'the search in the audit log',
    );
    expect(rows).toEqual([
      expect.objectContaining({ action: 'customer.search', detail: 'by name' }),
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/rossi/i);
  });

  it('shows a confidential customer only to the staff named on them', async () => {
    const trusted = await addStaff(stack, 'marketer');
    const admin = await addStaff(stack, 'admin');
    // An admin marks the record confidential from the customer's page.
    const adminPage = await browser.newPage();
    await signInOnPage(adminPage, url, admin, `/customers/${otto}`);
    await adminPage.locator('body[data-loaded="true"]').waitFor();
    await adminPage.getByLabel(/Visible only to/).fill(`${trusted}, nobody-such`);
    await adminPage.getByRole('button', { name: 'Save' }).click();
    await shows(adminPage, '#confidential-result', /Refused: no member of staff is "nobody-such"/);
    await adminPage.getByLabel(/Visible only to/).fill(trusted);
    await adminPage.getByRole('button', { name: 'Save' }).click();
    await shows(adminPage, '#confidential-result', `Visible only to ${trusted}.`);
    await screenshot(adminPage, 'customer-confidential-set');
    expect(await accessibility(adminPage)).toEqual([]);
    await adminPage.close();
    expect((await (stack.staff as StaffDirectory).confidentialTo(otto))?.visibleTo).toEqual([
      trusted,
    ]);
    const manager = await signIn(url, await addStaff(stack, 'store-manager', { stores: ['S002'] }));
    expect((await manager.get(`/api/customers/${otto}`)).status).toBe(403);
    const other = await signIn(url, await addStaff(stack, 'marketer'));
    const refused = await other.get<{ error: { code: string } }>(`/api/customers/${otto}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await (await signIn(url, admin)).get(`/api/customers/${otto}`)).status).toBe(403);

    const page = await browser.newPage('till');
    await signInOnPage(page, url, trusted, `/customers/${otto}`);
    await page.locator('body[data-loaded="true"]').waitFor();
    await shows(page, 'h1', 'Otto Lind');
    await shows(page, '#confidential', `confidential: ${trusted}`);
    await screenshot(page, 'customer-confidential');
    await page.close();

    // The refusals are audited too.
    const auditor = await signIn(url, await addStaff(stack, 'admin'));
    await eventually(
      async () => {
        const answer = await auditor.get<{ rows: { user: string; action: string }[] }>(
          `/api/analytics/audit?customer=${otto}&user=${other.userId}`,
        );
        return answer.body.rows.some((r) => r.action === 'customer.refused') ? true : undefined;
      },
      30_000,
      'the refusal in the audit log',
    );
    const flagged = await eventually(
      async () => {
        const answer = await auditor.get<{ rows: { action: string; detail: string }[] }>(
          `/api/analytics/audit?customer=${otto}&user=${admin}`,
        );
        return answer.body.rows.find((r) => r.action === 'customer.confidential');
      },
      30_000,
      'the confidential flag in the audit log',
    );
    expect(flagged.detail).toBe(`visible only to ${trusted}`);
  });

  it('lets an admin add, change and disable staff on the staff page, and no one else', async () => {
    const admin = await addStaff(stack, 'admin');
    const page = await browser.newPage();
    await signInOnPage(page, url, admin, '/staff');
    await page.locator('body[data-loaded="true"]').waitFor();
    await shows(page, `#members tr[data-user="${admin}"] td:last-child`, 'you');
    const newcomer = `sm-${Date.now()}`;
    const addForm = page.locator('#add-form');
    const add = async (stores: string) => {
      await addForm.getByLabel('User id').fill(newcomer);
      await addForm.getByLabel('Name').fill('Jonas Weber');
      await addForm.getByLabel('Role').selectOption('store-manager');
      await addForm.getByLabel(/^Stores/).fill(stores);
      await addForm.getByLabel(/^Password/).fill('a long enough password');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
    };
    // A store manager names their stores: refused by field.
    await add('');
    await shows(page, '#add-result', /Refused: stores are needed/);
    await add('S002');
    await shows(page, '#add-result', `Added ${newcomer} (store-manager).`);
    await shows(page, `#members tr[data-user="${newcomer}"] td:nth-child(4)`, 'S002');
    await screenshot(page, 'staff');
    expect(await accessibility(page)).toEqual([]);
    // They sign in with the password the admin set, and reach their store's customers.
    const newcomerClient = await signIn(url, newcomer, 'a long enough password');
    expect((await newcomerClient.get(`/api/customers/${luca}`)).status).toBe(200);
    // Added twice: refused by name.
    await add('S002');
    await shows(page, '#add-result', /Refused: userId/);

    // Moved to S001 with a new password: at once, Luca (of S002) is no longer theirs.
    const changeForm = page.locator('#change-form');
    await changeForm.getByLabel('Member').selectOption(newcomer);
    expect(await changeForm.getByLabel(/^Stores/).inputValue()).toBe('S002');
    await changeForm.getByLabel(/^Stores/).fill('S001');
    await changeForm.getByLabel(/^New password/).fill('another long password');
    await page.getByRole('button', { name: 'Change', exact: true }).click();
    await shows(page, '#change-result', `Changed ${newcomer}: store-manager, S001, password set.`);
    await shows(page, `#members tr[data-user="${newcomer}"] td:nth-child(4)`, 'S001');
    expect((await newcomerClient.get(`/api/customers/${luca}`)).status).toBe(403);
    await expect(signIn(url, newcomer, 'a long enough password')).rejects.toThrow(/401/);
    const moved = await signIn(url, newcomer, 'another long password');
    expect((await moved.get(`/api/customers/${mia}`)).status).toBe(200);
    // A store manager with every store: refused by field, nothing changed.
    await changeForm.getByLabel(/^Stores/).fill('');
    await page.getByRole('button', { name: 'Change', exact: true }).click();
    await shows(page, '#change-result', /Refused: stores are needed/);
    await shows(page, `#members tr[data-user="${newcomer}"] td:nth-child(4)`, 'S001');
    await screenshot(page, 'staff-changed');
    expect(await accessibility(page)).toEqual([]);

    await page.getByRole('button', { name: `Disable ${newcomer}` }).click();
    await shows(page, `#members tr[data-user="${newcomer}"] td:last-child`, /^disabled /);
    expect((await newcomerClient.get(`/api/customers/${luca}`)).status).toBe(401);
    // Not oneself.
    const self = await (await signIn(url, admin)).fetch(`/api/staff/${admin}/disable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(self.status).toBe(400);
    const selfChange = await (await signIn(url, admin)).fetch(`/api/staff/${admin}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'marketer' }),
    });
    expect(selfChange.status).toBe(400);
    await page.close();
    // Each change to the staff is in the audit log: who, role and stores, no name or password.
    const actions = await eventually(
      async () => {
        const answer = await (await signIn(url, admin)).get<{
          rows: { action: string; detail: string }[];
        }>(`/api/analytics/audit?user=${admin}`);
        const staffRows = answer.body.rows.filter((r) => r.action.startsWith('staff.'));
        return staffRows.length >= 3 ? staffRows : undefined;
      },
      30_000,
      'the staff changes in the audit log',
    );
    expect(actions.map((r) => [r.action, r.detail]).reverse()).toEqual([
      ['staff.add', `${newcomer}: store-manager, S002`],
      ['staff.change', `${newcomer}: store-manager, S001; password set`],
      ['staff.disable', newcomer],
    ]);

    // Other roles: neither the page nor its API nor the confidential flag.
    const marketer = await signIn(url, await addStaff(stack, 'marketer'));
    expect((await marketer.fetch('/staff', { redirect: 'manual' })).status).toBe(403);
    expect((await marketer.get('/api/staff')).status).toBe(403);
    const flag = await marketer.fetch(`/api/customers/${luca}/confidential`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visibleTo: [marketer.userId] }),
    });
    expect(flag.status).toBe(403);
  });

  it("lets the service desk adjust points, block and link cards, through the engine's own doors", async () => {
    const { page, userId } = await signedInPage('service-desk');
    await page.goto(`${url}/customers/${mia}`);
    await page.locator('body[data-loaded="true"]').waitFor();
    await shows(page, '#balance', '65');

    await page.getByLabel('Points (− to take off)').fill('100');
    await page.getByLabel('Reason').selectOption('goodwill');
    await page.getByLabel('Note (no personal data)').fill('late delivery');
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await shows(page, '#desk-result', 'Adjusted by 100 points.');
    await shows(page, '#balance', '165');
    await shows(page, '#ledger tbody tr:first-child td:nth-child(2)', 'adjust');
    await shows(page, '#ledger tbody tr:first-child td:nth-child(3)', '100');
    await shows(page, '#ledger tbody tr:first-child td:nth-child(4)', '165');

    await page.getByLabel('Change', { exact: true }).selectOption('block');
    await page.getByLabel('Why', { exact: true }).first().fill('customer lost it at the counter');
    await page.getByRole('button', { name: 'Change card' }).click();
    await shows(page, `#cards tr[data-card="${miaCard}"] td:nth-child(3)`, 'blocked');
    // The till refuses the blocked card now.
    const refused = (await till.socket.timeout(15_000).emitWithAck('customer:identify', {
      card: { payload: miaCard, source: 'barcode' },
    })) as { ok: boolean; error?: { code: string } };
    expect(refused).toMatchObject({ ok: false, error: { code: 'card_refused' } });

    const newCard = cardNumberOf('279901', 7103);
    await page.getByLabel('New card number').fill(newCard);
    await page.getByLabel('Why', { exact: true }).nth(1).fill('replacement handed over');
    await page.getByRole('button', { name: 'Link card' }).click();
    await shows(page, `#cards tr[data-card="${newCard}"] td:nth-child(3)`, 'active');
    await screenshot(page, 'customer-service-desk');
    expect(await accessibility(page)).toEqual([]);

    // Another customer's card cannot be changed from this page.
    const desk = await signIn(url, userId);
    const foreign = await desk.fetch(`/api/customers/${mia}/cards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        change: 'block',
        cardNumber: ottoCard,
        reason: 'trying another card',
      }),
    });
    expect(foreign.status).toBe(400);
    const adjusted = await desk.fetch(`/api/customers/${mia}/adjustments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: 0, reason: 'kindness' }),
    });
    expect(adjusted.status).toBe(400);
    const issues = ((await adjusted.json()) as { error: { issues: { field: string }[] } }).error
      .issues;
    expect(issues.map((i) => i.field).sort()).toEqual(['points', 'reason']);
    await page.close();

    // A marketer reads customers but does not act on them.
    const { page: marketerPage } = await signedInPage('marketer');
    await marketerPage.goto(`${url}/customers/${mia}`);
    await marketerPage.locator('body[data-loaded="true"]').waitFor();
    expect(await marketerPage.locator('#service-desk').isVisible()).toBe(false);
    const status = await marketerPage.evaluate(
      async (id) =>
        (
          await fetch(`/api/customers/${id}/adjustments`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ points: 5, reason: 'goodwill' }),
          })
        ).status,
      mia,
    );
    expect(status).toBe(403);
    await marketerPage.close();

    const admin = await signIn(url, await addStaff(stack, 'admin'));
    const changes = await eventually(
      async () => {
        const answer = await admin.get<{ rows: { action: string; detail: string }[] }>(
          `/api/analytics/audit?customer=${mia}&user=${userId}`,
        );
        const details = answer.body.rows
          .filter((r) => r.action === 'customer.change')
          .map((r) => r.detail);
        return details.length === 3 ? details.sort() : undefined;
      },
      30_000,
      'the changes in the audit log',
    );
    expect(changes).toEqual(['card blocked', 'card linked', 'points adjusted +100 (goodwill)']);
  });

  it('logged no error on any page but the refusals the tests asked for', () => {
    const asked = [
      /status of (401|403)/,
      // An unknown member named on a confidential record (unknown_staff).
      /\/customers\/[^/]+: .*status of 404/,
      // A store manager without stores, and a user id taken, on the staff page.
      /\/staff: .*status of (400|409)/,
    ];
    expect(browser.errors.filter((e) => !asked.some((refusal) => refusal.test(e)))).toEqual([]);
  });
});
