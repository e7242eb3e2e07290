/** A test till: a real Socket.io client that records the cues it receives. */
import { io, type Socket } from 'socket.io-client';
import type { CueMessage } from '../../gateways/till/protocol.ts';

export interface TestTill {
  socket: Socket;
  cues: CueMessage[];
  send(event: unknown): Promise<{
    ok: boolean;
    duplicate?: boolean;
    seq?: number;
    error?: { code: string; message: string; issues: { field: string; message: string }[] };
  }>;
  waitForCue(predicate: (m: CueMessage) => boolean, ms?: number): Promise<CueMessage>;
  close(): void;
}

export async function connectTill(
  url: string,
  storeId: string,
  tillId: string,
  token: string,
): Promise<TestTill> {
  const socket = io(url, {
    auth: { storeId, tillId, token },
    transports: ['websocket'],
    reconnection: false,
  });
  const cues: CueMessage[] = [];
  const waiters: Array<{
    predicate: (m: CueMessage) => boolean;
    resolve: (m: CueMessage) => void;
  }> = [];
  socket.on('cue', (m: CueMessage) => {
    cues.push(m);
    for (const w of [...waiters]) {
      if (w.predicate(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    cues,
    send: (event) => socket.timeout(15_000).emitWithAck('event', event),
    waitForCue(predicate, ms = 30_000) {
      const seen = cues.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching cue within ${ms} ms`)), ms);
        waiters.push({
          predicate,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    close: () => socket.disconnect(),
  };
}
