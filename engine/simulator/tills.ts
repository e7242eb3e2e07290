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
}

export interface Simulator {
  readonly stats: SimulatorStats;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const storeIds = Object.keys(options.stores);
  const stats: SimulatorStats = { sent: 0, accepted: 0, refused: 0, cuesReceived: 0 };
  const sockets = new Map<string, Socket>();
  for (const storeId of storeIds) {
    for (let t = 1; t <= options.tillsPerStore; t++) {
      const tillId = `T${t}`;
      const socket = io(options.tillUrl, {
        auth: { storeId, tillId, token: options.stores[storeId] },
        transports: ['websocket'],
      });
      socket.on('cue', () => {
        stats.cuesReceived += 1;
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

  async function send(event: RetailEventInput) {
    const socket = sockets.get(`${event.storeId}/${event.tillId}`);
    if (!socket?.connected) return;
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
