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

  it('keeps a text setting made of digits as text', () => {
    const s = loadSettings({
      env: { CLIENTELE_DASHBOARD_TOKEN: '1234567890', CLIENTELE_CLICKHOUSE_PASSWORD: '0042' },
      root: emptyRoot(),
    });
    expect(s.dashboardToken).toBe('1234567890');
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
});
