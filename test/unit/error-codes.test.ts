import { readFileSync } from 'node:fs';
import { Metadata, status } from '@grpc/grpc-js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import {
  ClienteleError,
  connectError,
  errorAnswer,
  errorCodes,
  httpStatus,
  redemptionRefusalCodes,
  socketAnswer,
  toClienteleError,
} from '../../engine/domain/error-codes.ts';
import { redeemAnswer } from '../../engine/domain/redemption.ts';
import { customerFailure, VersionsUnknownError } from '../../workflows/customer/client.ts';

const codes = Object.keys(errorCodes) as (keyof typeof errorCodes)[];

/** The rows of the README's table of error codes, as the error table says they must read. */
const expectedRows = () =>
  codes.map((code) => {
    const { http, socket, retry, meaning } = errorCodes[code];
    return [`\`${code}\``, String(http), socket, retry ? 'yes' : 'no', meaning];
  });

/** The rows of the README's markdown table headed `| Code | HTTP | …` (Biome pads its columns). */
function readmeRows(readme: string): string[][] {
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
  const lines = readme.split('\n');
  const head = lines.findIndex((l) => /^\|\s*Code\s*\|\s*HTTP\s*\|/.test(l));
  if (head < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

describe('the error table', () => {
  it('gives every code one spelling, an HTTP status and a socket answer', () => {
    for (const code of codes) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect([400, 401, 403, 404, 409, 413, 422, 429, 503]).toContain(httpStatus(code));
      expect(['ack', 'connect_error', 'error', 'disconnect']).toContain(socketAnswer(code));
      expect(errorCodes[code].meaning.length).toBeGreaterThan(10);
    }
  });

  it('holds every reason the program refuses a redemption for, each 422 in the ack', () => {
    for (const code of redemptionRefusalCodes) {
      expect(errorCodes[code]).toMatchObject({ http: 422, socket: 'ack', retry: false });
    }
  });

  it('says which answers a till should ask again for: only the passing ones', () => {
    expect(codes.filter((code) => errorCodes[code].retry)).toEqual([
      'rate_limited',
      'busy',
      'unavailable',
    ]);
  });

  it('is listed in the README with the same status, socket answer and meaning', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = readmeRows(readme);
    const table = expectedRows()
      .map((row) => `| ${row.join(' | ')} |`)
      .join('\n');
    expect(shown, `the README's "Error codes" table must read:\n${table}`).toEqual(expectedRows());
  });
});

describe('ClienteleError', () => {
  it('carries the code, the issues per field, and a message made of them', () => {
    const issues = [
      { field: 'points', message: 'must be above 0' },
      { field: 'currency', message: 'must be an ISO 4217 code' },
    ];
    const error = new ClienteleError('invalid_request', issues);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_request');
    expect(error.issues).toEqual(issues);
    expect(error.message).toBe('points: must be above 0; currency: must be an ISO 4217 code');
    expect(error.httpStatus).toBe(400);
    expect(error.toAnswer()).toEqual({
      ok: false,
      error: { code: 'invalid_request', message: error.message, issues },
    });
    expect(errorAnswer.parse(error.toAnswer())).toEqual(error.toAnswer());
  });

  it('answers a redemption refused for several reasons with a code per issue', () => {
    const answer = {
      ...new ClienteleError(
        'insufficient_balance',
        [
          { field: 'points', code: 'insufficient_balance', message: 'Only 5 points.' },
          { field: 'points', code: 'over_basket_share', message: 'At most half.' },
        ],
        'Only 5 points. At most half.',
      ).toAnswer(),
      balance: 5,
      spendable: 5,
    };
    expect(redeemAnswer.parse(answer)).toEqual(answer);
    expect(() =>
      redeemAnswer.parse({ ...answer, error: { ...answer.error, code: 'insufficient-balance' } }),
    ).toThrow();
  });

  it('without issues or a message, says what the code means', () => {
    expect(new ClienteleError('busy').message).toBe(errorCodes.busy.meaning);
  });

  it('makes anything thrown an `unavailable` error, and keeps its own', () => {
    const own = new ClienteleError('wrong_store');
    expect(toClienteleError(own)).toBe(own);
    expect(toClienteleError(new Error('socket hang up'))).toMatchObject({
      code: 'unavailable',
      message: 'the engine failed, ask again: socket hang up',
    });
  });

  it('refuses a Socket.io connection with the code first and the error as data', () => {
    const err = connectError(
      new ClienteleError('unauthorized', [{ field: 'token', message: 'is wrong' }]),
    );
    expect(err.message).toBe('unauthorized: token: is wrong');
    expect(err.data).toEqual({
      code: 'unauthorized',
      message: 'token: is wrong',
      issues: [{ field: 'token', message: 'is wrong' }],
    });
  });
});

describe("the customer client's reading of Temporal's errors", () => {
  const grpcError = (code: status) =>
    Object.assign(new Error(`${code}`), {
      code,
      details: 'as Temporal said',
      metadata: new Metadata(),
    });
  const codeOf = (err: unknown) => {
    const failure = customerFailure(err);
    return failure.kind === 'error' ? failure.error.code : failure.kind;
  };

  it('names each gRPC status it acts on by a code of the table', () => {
    expect(codeOf(grpcError(status.NOT_FOUND))).toBe('unknown_customer');
    expect(codeOf(grpcError(status.RESOURCE_EXHAUSTED))).toBe('busy');
    expect(codeOf(grpcError(status.INVALID_ARGUMENT))).toBe('invalid_request');
    expect(codeOf(grpcError(status.UNAVAILABLE))).toBe('unavailable');
    expect(codeOf(new Error('timeout'))).toBe('unavailable');
  });

  it('reads a missing workflow and unpublished versions', () => {
    expect(codeOf(new WorkflowNotFoundError('gone', 'customer/c-1', undefined))).toBe(
      'unknown_customer',
    );
    expect(codeOf(new VersionsUnknownError(['v9']))).toBe('no_program');
  });
});
