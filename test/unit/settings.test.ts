import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../config/settings.ts';

const emptyRoot = () => mkdtempSync(join(tmpdir(), 'clientele-settings-'));

describe('settings', () => {
  it('has defaults that run everything locally', () => {
    const s = loadSettings({ env: {}, root: emptyRoot() });
    expect(s.temporal.address).toBeUndefined();
    expect(s.nats.servers).toBeUndefined();
    expect(s.clickhouse.backend).toBe('chdb');
    expect(s.gateways.tillPort).toBe(3030);
  });

  it('reads environment variables, typed', () => {
    const s = loadSettings({
      env: {
        CLIENTELE_GATEWAYS_TILL_PORT: '4000',
        CLIENTELE_SIMULATOR_ENABLED: 'false',
        CLIENTELE_STORES: 'A1=secret-token-1',
      },
      root: emptyRoot(),
    });
    expect(s.gateways.tillPort).toBe(4000);
    expect(s.simulator.enabled).toBe(false);
    expect(s.stores).toEqual({ A1: 'secret-token-1' });
  });

  it('reads the console settings, a switch from true or false', () => {
    const s = loadSettings({
      env: { CLIENTELE_CONSOLE_SESSION_MINUTES: '30', CLIENTELE_CONSOLE_SECURE_COOKIES: 'true' },
      root: emptyRoot(),
    });
    expect(s.console).toEqual({ sessionMinutes: 30, signInAttempts: 10, secureCookies: true });
    expect(() =>
      loadSettings({ env: { CLIENTELE_CONSOLE_SESSION_MINUTES: '2000' }, root: emptyRoot() }),
    ).toThrow(/console\.sessionMinutes \(from CLIENTELE_CONSOLE_SESSION_MINUTES="2000"\)/);
  });

  it('keeps a text setting made of digits as text', () => {
    const s = loadSettings({
      env: { CLIENTELE_BACK_OFFICE_TOKEN: '1234567890', CLIENTELE_CLICKHOUSE_PASSWORD: '0042' },
      root: emptyRoot(),
    });
    expect(s.backOfficeToken).toBe('1234567890');
    expect(s.clickhouse.password).toBe('0042');
  });

  it('names a bad setting, where it came from and what is allowed', () => {
    expect(() =>
      loadSettings({ env: { CLIENTELE_GATEWAYS_TILL_PORT: 'abc' }, root: emptyRoot() }),
    ).toThrow(/gateways\.tillPort \(from CLIENTELE_GATEWAYS_TILL_PORT="abc"\): .*number/);
    expect(() =>
      loadSettings({ env: { CLIENTELE_CLICKHOUSE_BACKEND: 'mysql' }, root: emptyRoot() }),
    ).toThrow(/clickhouse\.backend.*"chdb"\|"http"/);
  });

  it('refuses an unknown CLIENTELE_ variable rather than ignoring a typo', () => {
    expect(() =>
      loadSettings({ env: { CLIENTELE_GATEWAYS_TILLPORT: '1' }, root: emptyRoot() }),
    ).toThrow(/Unknown setting CLIENTELE_GATEWAYS_TILLPORT/);
  });

  it('reads config/clientele.yaml, with the environment taking precedence', () => {
    const root = emptyRoot();
    const file = join(root, 'custom.yaml');
    writeFileSync(
      file,
      'gateways:\n  tillPort: 5000\n  webPort: 5001\nloyalty:\n  basePointsPerUnit: 2\n',
    );
    const s = loadSettings({
      env: { CLIENTELE_CONFIG: file, CLIENTELE_GATEWAYS_WEB_PORT: '6001' },
      root,
    });
    expect(s.gateways.tillPort).toBe(5000);
    expect(s.gateways.webPort).toBe(6001);
    expect(s.loyalty.basePointsPerUnit).toBe(2);
  });

  it('names the file when a file setting is bad', () => {
    const root = emptyRoot();
    const file = join(root, 'bad.yaml');
    writeFileSync(file, 'router:\n  maxInFlight: -3\n');
    expect(() => loadSettings({ env: { CLIENTELE_CONFIG: file }, root })).toThrow(
      /router\.maxInFlight \(from .*bad\.yaml\)/,
    );
  });

  it('reads the anti-fraud rules and store locations, naming a bad one', () => {
    const root = emptyRoot();
    const file = join(root, 'fraud.yaml');
    writeFileSync(
      file,
      'fraud:\n  impossibleTravel: { maxSpeedKmh: 300 }\nstoreLocations:\n  S009: { latitude: 40.4, longitude: -3.7 }\n',
    );
    const s = loadSettings({
      env: { CLIENTELE_CONFIG: file, CLIENTELE_FRAUD_REDEMPTION_VELOCITY_ACTION: 'block' },
      root,
    });
    expect(s.fraud.impossibleTravel).toEqual({
      enabled: true,
      maxSpeedKmh: 300,
      minDistanceKm: 20,
      action: 'flag',
    });
    expect(s.fraud.redemptionVelocity.action).toBe('block');
    expect(s.storeLocations).toEqual({ S009: { latitude: 40.4, longitude: -3.7 } });
    expect(loadSettings({ env: {}, root: emptyRoot() }).storeLocations.S003).toEqual({
      latitude: 48.1372,
      longitude: 11.5756,
    });
    writeFileSync(file, 'fraud:\n  lookbackHours: 1\n  tillMisses: { withinMinutes: 90 }\n');
    expect(() => loadSettings({ env: { CLIENTELE_CONFIG: file }, root })).toThrow(
      /fraud\.lookbackHours \(from .*fraud\.yaml\): must cover the longest window \(90 minutes\): at least 2/,
    );
  });

  it('limits event times: 300 s ahead, nothing before 2000, both settable', () => {
    const defaults = loadSettings({ env: {}, root: emptyRoot() });
    expect(defaults.events).toEqual({
      maxClockSkewSeconds: 300,
      earliestOccurredAt: '2000-01-01T00:00:00Z',
    });
    const s = loadSettings({
      env: {
        CLIENTELE_EVENTS_MAX_CLOCK_SKEW_SECONDS: '60',
        CLIENTELE_EVENTS_EARLIEST_OCCURRED_AT: '2020-01-01T00:00:00+01:00',
      },
      root: emptyRoot(),
    });
    expect(s.events).toEqual({
      maxClockSkewSeconds: 60,
      earliestOccurredAt: '2020-01-01T00:00:00+01:00',
    });
  });

  it('stops start-up on a bad event time limit, naming it', () => {
    const load = (env: Record<string, string>) => () => loadSettings({ env, root: emptyRoot() });
    expect(load({ CLIENTELE_EVENTS_MAX_CLOCK_SKEW_SECONDS: '-5' })).toThrow(
      /events\.maxClockSkewSeconds \(from CLIENTELE_EVENTS_MAX_CLOCK_SKEW_SECONDS="-5"\)/,
    );
    expect(load({ CLIENTELE_EVENTS_MAX_CLOCK_SKEW_SECONDS: 'five minutes' })).toThrow(
      /events\.maxClockSkewSeconds .*number/,
    );
    expect(load({ CLIENTELE_EVENTS_EARLIEST_OCCURRED_AT: '1.1.2000' })).toThrow(
      /events\.earliestOccurredAt \(from CLIENTELE_EVENTS_EARLIEST_OCCURRED_AT="1\.1\.2000"\): must be an ISO 8601 instant/,
    );
  });
});
