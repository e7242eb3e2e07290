/**
 * Staff passwords, stored as Argon2id hashes (the `argon2` package: the reference C library,
 * prebuilt for this platform) with its defaults: 64 MiB, 3 passes, a random salt per hash, all
 * kept in the encoded hash, so stronger settings later still verify older hashes.
 */
import argon2 from 'argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Whether the password is the one hashed; false for a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>;
}

export const argon2Hasher: PasswordHasher = {
  hash: (password) => argon2.hash(password, { type: argon2.argon2id }),
  verify: async (hash, password) => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  },
};
