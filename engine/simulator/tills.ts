/**
 * Simulated stores and tills: real Socket.io clients that connect to the till gateway with their
 * store's token, send generated traffic at a steady rate and count the cues they get back.
 */
import { io, type Socket } from 'socket.io-client';
import type { RetailEventInput } from '../domain/events.ts';
import { createTrafficGenerator } from './traffic.ts';

export interface SimulatorOptions {
  tillUrl: string;
  /** Store id → token, for the stores to simulate. */
  stores: Record<string, string>;
  tillsPerStore: number;
  customers: number;
  eventsPerSecond: number;
  seed?: number;
  runId?: string;
}

export interface SimulatorStats {
  sent: number;
  accepted: number;
  refused: number;
  cuesReceived: number;
  lastRefusal?: string;
  /** Customers who paid part of a basket with points, and requests the program refused. */
  redemptionsGranted: number;
  redemptionsRefused: number;
}

/** A customer with at least this many spendable points pays with points now and then. */
const REDEEM_FROM_POINTS = 500;
const REDEEM_SHARE_OF_SALES = 0.05;

export interface Simulator {
  readonly stats: SimulatorStats;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const storeIds = Object.keys(options.stores);
  const stats: SimulatorStats = {
    sent: 0,
    accepted: 0,
    refused: 0,
    cuesReceived: 0,
    redemptionsGranted: 0,
    redemptionsRefused: 0,
  };
  /** What each customer can spend, as the last cue said. */
  const spendable = new Map<string, number>();
  const sockets = new Map<string, Socket>();
  for (const storeId of storeIds) {
    for (let t = 1; t <= options.tillsPerStore; t++) {
      const tillId = `T${t}`;
      const socket = io(options.tillUrl, {
        auth: { storeId, tillId, token: options.stores[storeId] },
        transports: ['websocket'],
      });
      socket.on('cue', (message: { cue?: { customerId?: string; spendablePoints?: number } }) => {
        stats.cuesReceived += 1;
        const cue = message?.cue;
        if (cue?.customerId && cue.spendablePoints !== undefined) {
          spendable.set(cue.customerId, cue.spendablePoints);
        }
      });
      sockets.set(`${storeId}/${tillId}`, socket);
    }
  }
  await Promise.all(
    [...sockets.values()].map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', (err) => reject(err));
        }),
    ),
  );

  const generator = createTrafficGenerator({
    seed: options.seed ?? Date.now() % 2 ** 31,
    runId: options.runId ?? `sim${Date.now().toString(36)}`,
    stores: storeIds,
    tillsPerStore: options.tillsPerStore,
    customers: options.customers,
  });

  /**
   * Now and then a customer with points pays up to half the basket with them: the till asks for
   * the redemption first and, if granted, sends the sale with a points tender naming it.
   */
  async function withRedemption(
    socket: Socket,
    event: RetailEventInput,
  ): Promise<RetailEventInput> {
    if (event.type !== 'sale' || !event.customerId) return event;
    const points = spendable.get(event.customerId) ?? 0;
    if (points < REDEEM_FROM_POINTS || Math.random() > REDEEM_SHARE_OF_SALES) return event;
    const basket = event.tenders.reduce((sum, t) => sum + t.amount, 0);
    const redemptionId = `${event.eventId}:rd`;
    try {
      const answer = (await socket.timeout(10_000).emitWithAck('points:redeem', {
        redemptionId,
        customerId: event.customerId,
        points: Math.min(points, Math.floor(basket / 2)),
        basketMinor: basket,
        currency: event.currency,
      })) as { ok: boolean; valueMinor?: number; spendable?: number };
      if (!answer.ok || answer.valueMinor === undefined) {
        stats.redemptionsRefused += 1;
        return event;
      }
      stats.redemptionsGranted += 1;
      spendable.set(event.customerId, answer.spendable ?? 0);
      return {
        ...event,
        tenders: [
          { type: 'points', amount: answer.valueMinor, redemptionId },
          { type: 'card', amount: basket - answer.valueMinor },
        ],
      };
    } catch {
      return event;
    }
  }

  async function send(generated: RetailEventInput) {
    const socket = sockets.get(`${generated.storeId}/${generated.tillId}`);
    if (!socket?.connected) return;
    const event = await withRedemption(socket, generated);
    stats.sent += 1;
    try {
      const ack = (await socket.timeout(10_000).emitWithAck('event', event)) as {
        ok: boolean;
        error?: { message: string };
      };
      if (ack.ok) stats.accepted += 1;
      else {
        stats.refused += 1;
        stats.lastRefusal = ack.error?.message;
      }
    } catch {
      stats.refused += 1;
      stats.lastRefusal = 'no acknowledgement within 10 s';
    }
  }

  const tickMs = 100;
  let credit = 0;
  const timer = setInterval(() => {
    credit += (options.eventsPerSecond * tickMs) / 1000;
    while (credit >= 1) {
      credit -= 1;
      void send(generator.next(new Date()));
    }
  }, tickMs);

  return {
    stats,
    async stop() {
      clearInterval(timer);
      for (const socket of sockets.values()) socket.disconnect();
    },
  };
}
