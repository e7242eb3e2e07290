/**
 * The first sign-in of a new deployment: when nobody is in the staff directory, an `admin` with a
 * random password, written to a file only its owner may read, for whoever started Clientele to
 * sign in and add the others (on the Staff page, or `clientele staff add … --by admin`).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StaffDirectory } from './staff-directory.ts';

export const FIRST_ADMIN = 'admin';
export const FIRST_ADMIN_PASSWORD_FILE = 'console-admin-password';

/** The new admin's password and where it was written; undefined when there is staff already. */
export async function ensureFirstAdmin(
  directory: StaffDirectory,
  dataDir: string,
  now: Date,
): Promise<{ userId: string; password: string; file: string } | undefined> {
  if ((await directory.list()).length > 0) return undefined;
  const password = randomBytes(18).toString('base64url');
  await directory.add(
    { userId: FIRST_ADMIN, name: 'Administrator', role: 'admin', createdAt: now.toISOString() },
    password,
  );
  const file = join(dataDir, FIRST_ADMIN_PASSWORD_FILE);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { userId: FIRST_ADMIN, password, file };
}
