/**
 * The back office's commands for customers, their cards and households: register a member, find
 * one by card, account number or contact, show their 360 view, change their profile, record a
 * service contact, merge two records of one person, the service desk's card changes (block,
 * unblock, report lost, replace), households, and the anti-fraud flags (list, resolve). They ask the engine's services of a running
 * Clientele over NATS, or store an event, as the tills do, with the channel `back-office`; the
 * answer is printed as JSON. A refusal exits with code 2, a service that does not answer with 1.
 */

import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { serviceOutcome, serviceReason } from '../domain/events.ts';
import { publishEvent } from '../streams/publish-event.ts';
import {
  CARD_SUBJECT,
  FLAGS_SUBJECT,
  HOUSEHOLD_SUBJECT,
  IDENTIFY_SUBJECT,
  MERGE_SUBJECT,
  REGISTER_SUBJECT,
  VIEW_SUBJECT,
} from '../streams/topology.ts';
import { withNats } from './nats.ts';

/** The store the back office speaks for unless told (the web gateway's back-office token's). */
const BACK_OFFICE_STORE = 'HQ';

/** Stores an event as the back office (`back-office` channel) and prints the outcome. */
async function store(settings: Settings, event: Record<string, unknown>) {
  await withNats(settings, async (nc) => {
    const outcome = await publishEvent(
      jetstream(nc),
      { eventId: `bo-${randomUUID()}`, occurredAt: new Date().toISOString(), ...event },
      { storeId: event.storeId as string },
      { limits: settings.events, now: () => new Date() },
    );
    process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    if (!outcome.ok) process.exitCode = outcome.error.code === 'unavailable' ? 1 : 2;
  });
}

/** `field=value`: the value as JSON when it reads as JSON (lists, numbers), else as text. */
function assignment(text: string, list: [string, unknown][] = []): [string, unknown][] {
  const at = text.indexOf('=');
  if (at < 1) throw new Error(`--set takes field=value, not "${text}"`);
  const raw = text.slice(at + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // plain text
  }
  return [...list, [text.slice(0, at), value]];
}

/** Asks `subject` and prints the answer; a refusal sets exit code 2, no answer 1. */
async function ask(settings: Settings, subject: string, request: object, storeId?: string) {
  await withNats(settings, async (nc) => {
    const caller = storeId === undefined ? undefined : { storeId, channel: 'back-office' as const };
    const answer = await askService(nc, subject, request, caller);
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    if (!answer.ok) process.exitCode = answer.error.code === 'unavailable' ? 1 : 2;
  });
}

const collect = (value: string, list: string[] = []) => [...list, value];

export function addCustomerCommands(program: Command, settingsOrExit: () => Settings) {
  const customers = program
    .command('customers')
    .description(
      'Register members and find customers (the back office; needs a running Clientele)',
    );

  customers
    .command('register')
    .description('Register a member: an account number, and the card and contacts to find them by')
    .requiredOption(
      '--registration-id <id>',
      'your id for this registration: asking again registers nobody new',
    )
    .requiredOption('--store <storeId>', 'the store the member registers with')
    .option('--card <number>', 'the card handed over (16 digits)')
    .addOption(
      new Option('--card-type <type>', 'the card').choices(['plastic', 'virtual', 'key-fob']),
    )
    .option('--phone <phone>', 'a phone number to find them by')
    .option('--email <email>', 'an e-mail address to find them by')
    .option('--given-name <name>')
    .option('--family-name <name>')
    .option('--birth-date <YYYY-MM-DD>')
    .option('--consent <channel>', 'email, sms, post or profiling (repeat for more)', collect)
    .option('--tag <tag>', 'a program tag such as staff (repeat for more)', collect)
    .action(async (opts: Record<string, string | string[] | undefined>) => {
      const consent = Object.fromEntries(((opts.consent as string[]) ?? []).map((c) => [c, true]));
      const profile = Object.fromEntries(
        (
          [
            ['givenName', opts.givenName],
            ['familyName', opts.familyName],
            ['birthDate', opts.birthDate],
          ] as const
        ).filter(([, value]) => value !== undefined),
      );
      await ask(
        settingsOrExit(),
        REGISTER_SUBJECT,
        {
          registrationId: opts.registrationId,
          consent,
          profile: Object.keys(profile).length > 0 ? profile : undefined,
          tags: opts.tag,
          card: opts.card ? { cardNumber: opts.card, type: opts.cardType } : undefined,
          phone: opts.phone,
          email: opts.email,
        },
        opts.store as string,
      );
    });

  customers
    .command('identify')
    .description('Find a customer by card, account number, phone or e-mail')
    .option('--card <number>', 'a card number, as printed (spaces allowed)')
    .option('--account <number>', 'an 8-digit account number')
    .option('--phone <phone>')
    .option('--email <email>')
    .requiredOption('--store <storeId>', 'the store asking')
    .action(async (opts: Record<string, string | undefined>) => {
      await ask(
        settingsOrExit(),
        IDENTIFY_SUBJECT,
        {
          card: opts.card ? { payload: opts.card, source: 'typed' } : undefined,
          accountNumber: opts.account,
          phone: opts.phone,
          email: opts.email,
        },
        opts.store,
      );
    });

  customers
    .command('show <customerId>')
    .description("A customer's 360 view, the profile included")
    .option('--store <storeId>', 'the store asking', BACK_OFFICE_STORE)
    .action(async (customerId: string, opts: { store: string }) => {
      await ask(settingsOrExit(), VIEW_SUBJECT, { customerId, scope: 'full' }, opts.store);
    });

  customers
    .command('profile <customerId>')
    .description('Change a profile: --set field=value, --clear field (lists as JSON)')
    .option('--set <field=value>', 'set a field (repeat for more)', assignment)
    .option('--clear <field>', 'clear a field (repeat for more)', collect)
    .requiredOption('--operator <staffId>', 'who makes the change (a staff id)')
    .option('--store <storeId>', 'the store it is made at', BACK_OFFICE_STORE)
    .action(
      async (
        customerId: string,
        opts: { set?: [string, unknown][]; clear?: string[]; operator: string; store: string },
      ) => {
        const changes = Object.fromEntries([
          ...(opts.set ?? []),
          ...(opts.clear ?? []).map((field) => [field, null]),
        ]);
        await store(settingsOrExit(), {
          type: 'profile.changed',
          storeId: opts.store,
          channel: 'back-office',
          customerId,
          operatorId: opts.operator,
          changes,
        });
      },
    );

  customers
    .command('contact <customerId>')
    .description('Record a contact with customer service: its reason and outcome')
    .addOption(
      new Option('--reason <reason>', 'why they came')
        .choices(serviceReason.options)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--outcome <outcome>', 'how it ended')
        .choices(serviceOutcome.options)
        .makeOptionMandatory(),
    )
    .option('--note <text>', 'what was said (personal data: kept out of the summary and analytics)')
    .requiredOption('--operator <staffId>', 'who served them (a staff id)')
    .option('--store <storeId>', 'where', BACK_OFFICE_STORE)
    .action(
      async (
        customerId: string,
        opts: { reason: string; outcome: string; note?: string; operator: string; store: string },
      ) => {
        await store(settingsOrExit(), {
          type: 'service.interaction',
          storeId: opts.store,
          channel: 'back-office',
          interactionId: `contact-${randomUUID()}`,
          customerId,
          reason: opts.reason,
          outcome: opts.outcome,
          operatorId: opts.operator,
          ...(opts.note ? { note: opts.note } : {}),
        });
      },
    );

  customers
    .command('merge <absorbedCustomerId> <survivorCustomerId>')
    .description(
      "Merge two records of one person: the first one's points, history and cards move to the second",
    )
    .requiredOption('--operator <staffId>', 'who merges (a staff id)')
    .option('--merge-id <id>', 'your id for this merge: asking again merges nothing twice')
    .option('--store <storeId>', 'where', BACK_OFFICE_STORE)
    .action(
      async (
        absorbedCustomerId: string,
        survivorCustomerId: string,
        opts: { operator: string; mergeId?: string; store: string },
      ) => {
        await ask(
          settingsOrExit(),
          MERGE_SUBJECT,
          {
            mergeId: opts.mergeId ?? `merge-${randomUUID()}`,
            absorbedCustomerId,
            survivorCustomerId,
            operatorId: opts.operator,
          },
          opts.store,
        );
      },
    );

  const households = program
    .command('households')
    .description('Group customers in households (needs a running Clientele)');
  const household = (name: string, description: string, args: string) =>
    households
      .command(`${name} <householdId> ${args}`)
      .description(description)
      .requiredOption('--operator <staffId>', 'who makes the change (a staff id)')
      .option('--store <storeId>', 'where', BACK_OFFICE_STORE)
      .action(
        async (
          householdId: string,
          customers: string | string[],
          opts: { operator: string; store: string },
        ) => {
          await ask(
            settingsOrExit(),
            HOUSEHOLD_SUBJECT,
            {
              change: name,
              householdId,
              customerIds: [customers].flat(),
              operatorId: opts.operator,
            },
            opts.store,
          );
        },
      );
  household('create', 'Make a household of these customers (h-<your id>)', '<customerIds...>');
  household('join', 'Add a customer to a household', '<customerId>');
  household('leave', 'Take a customer out of a household', '<customerId>');

  const cards = program
    .command('cards')
    .description("The service desk's changes to a card (needs a running Clientele)");
  const change = (name: string, changeName: string, description: string) =>
    cards
      .command(`${name} <cardNumber>`)
      .description(description)
      .requiredOption('--operator <staffId>', 'who makes the change (a staff id)')
      .requiredOption('--reason <text>', 'why (kept on the card with the operator)')
      .action(async (cardNumber: string, opts: { operator: string; reason: string }) => {
        await ask(settingsOrExit(), CARD_SUBJECT, {
          cardNumber,
          change: changeName,
          operatorId: opts.operator,
          reason: opts.reason,
        });
      });
  change('block', 'block', 'Block a card: the tills refuse it until it is unblocked');
  change(
    'unblock',
    'unblock',
    'Unblock a card (or one reported lost that was found); resolves its anti-fraud flags',
  );
  change('lost', 'report-lost', 'Report a card lost: the tills refuse it');
  cards
    .command('replace <cardNumber> <newCardNumber>')
    .description(
      'Replace a card: the new one takes over the customer (points, history); the old is refused',
    )
    .addOption(
      new Option('--type <type>', 'the new card').choices(['plastic', 'virtual', 'key-fob']),
    )
    .requiredOption('--operator <staffId>', 'who makes the change (a staff id)')
    .requiredOption('--reason <text>', 'why (kept on the card with the operator)')
    .action(
      async (
        cardNumber: string,
        newCardNumber: string,
        opts: { operator: string; reason: string; type?: string },
      ) => {
        await ask(settingsOrExit(), CARD_SUBJECT, {
          cardNumber,
          change: 'replace',
          replacement: { cardNumber: newCardNumber, type: opts.type },
          operatorId: opts.operator,
          reason: opts.reason,
        });
      },
    );

  cards
    .command('link <cardNumber> <customerId>')
    .description('Give a customer a new card beside theirs (a number never issued before)')
    .addOption(new Option('--type <type>', 'the card').choices(['plastic', 'virtual', 'key-fob']))
    .requiredOption('--operator <staffId>', 'who makes the change (a staff id)')
    .requiredOption('--reason <text>', 'why (kept on the card with the operator)')
    .action(
      async (
        cardNumber: string,
        customerId: string,
        opts: { operator: string; reason: string; type?: string },
      ) => {
        await ask(settingsOrExit(), CARD_SUBJECT, {
          cardNumber,
          change: 'link',
          customerId,
          ...(opts.type ? { type: opts.type } : {}),
          operatorId: opts.operator,
          reason: opts.reason,
        });
      },
    );

  const fraud = program
    .command('fraud')
    .description("The anti-fraud watch's flags (needs a running Clientele)");
  fraud
    .command('flags')
    .description("The flags on a customer, a card or a store's tills, newest first, with evidence")
    .option('--customer <customerId>')
    .option('--card <cardNumber>')
    .option('--store <storeId>')
    .action(async (opts: { customer?: string; card?: string; store?: string }) => {
      await ask(settingsOrExit(), FLAGS_SUBJECT, {
        action: 'list',
        customerId: opts.customer,
        cardNumber: opts.card,
        storeId: opts.store,
      });
    });
  fraud
    .command('resolve <flagId>')
    .description('Resolve a flag that was looked into (unblocking a card resolves its flags)')
    .requiredOption('--operator <staffId>', 'who resolves it (a staff id)')
    .requiredOption('--reason <text>', 'what was found (kept with the flag)')
    .action(async (flagId: string, opts: { operator: string; reason: string }) => {
      await ask(settingsOrExit(), FLAGS_SUBJECT, {
        action: 'resolve',
        flagId,
        operatorId: opts.operator,
        reason: opts.reason,
      });
    });
}
