/**
 * A process of its own drawing account numbers, for the race test: `tsx draw-accounts.ts <nats
 * url> <customer id>…` prints `{ "<customer id>": "<account number>", … }` once every customer has
 * one, all asked for at once.
 */
import { createHmac } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { openIdentityIndex } from '../../engine/identity/identity-index.ts';

const [address, ...customers] = process.argv.slice(2);
const nc = await connect({ servers: address });
const index = await openIdentityIndex(nc, {
  hash: (text) => createHmac('sha256', 'test').update(text).digest('hex'),
});
const numbers = await Promise.all(customers.map((id) => index.accountOf(id)));
process.stdout.write(
  JSON.stringify(Object.fromEntries(customers.map((id, i) => [id, numbers[i]]))),
);
await nc.close();
