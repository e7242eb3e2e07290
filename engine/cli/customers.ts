/**
 * The back office's commands for customers and their cards: register a member, find one by card,
 * account number or contact, and the service desk's card changes (block, unblock, report lost,
 * replace). They ask the identity service of a running Clientele over NATS, as the tills do,
 * with the channel `back-office`; the answer is printed as JSON. A refusal exits with code 2, a
 * service that does not answer with 1.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { CARD_SUBJECT, IDENTIFY_SUBJECT, REGISTER_SUBJECT } from '../streams/topology.ts';
import { withNats } from './nats.ts';

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

  const cards = program
    .command('cards')
    .description("The service desk's changes to a card (needs a running Clientele)");
  const change = (name: string, changeName: string, description: string) =>
    cards
      .command(`${name} <cardNumber>`)
      .description(description)
      .requiredOption('--operator <staffId>', 'who makes the change (a staff id)')
      .action(async (cardNumber: string, opts: { operator: string }) => {
        await ask(settingsOrExit(), CARD_SUBJECT, {
          cardNumber,
          change: changeName,
          operatorId: opts.operator,
        });
      });
  change('block', 'block', 'Block a card: the tills refuse it until it is unblocked');
  change('unblock', 'unblock', 'Unblock a card (or one reported lost that was found)');
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
    .action(
      async (
        cardNumber: string,
        newCardNumber: string,
        opts: { operator: string; type?: string },
      ) => {
        await ask(settingsOrExit(), CARD_SUBJECT, {
          cardNumber,
          change: 'replace',
          replacement: { cardNumber: newCardNumber, type: opts.type },
          operatorId: opts.operator,
        });
      },
    );
}
