/**
 * bin/install-tools.js decides what to install from what it finds; these tests give it fake
 * executables (shell scripts that print a version) and a PATH without go or apt-get, so nothing is
 * ever built or installed.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/install-tools.js');

const TEMPORAL_PINNED = 'temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)';
const NATS_PINNED = 'nats-server: v2.12.15';

let work: string;
let tools: string;
let emptyPath: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'clientele-install-tools-'));
  tools = join(work, 'tools');
  emptyPath = join(work, 'path');
  mkdirSync(emptyPath);
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A shell script that counts its runs in <path>.runs and prints `output`. */
function fakeTool(path: string, output: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\necho run >> '${path}.runs'\necho '${output}'\n`);
  chmodSync(path, 0o755);
  return path;
}

function runs(path: string): number {
  return existsSync(`${path}.runs`)
    ? readFileSync(`${path}.runs`, 'utf8').split('\n').length - 1
    : 0;
}

function installTools(env: Record<string, string>, args: string[] = []) {
  const result = spawnSync(process.execPath, [script, ...args], {
    env: { HOME: work, PATH: emptyPath, CLIENTELE_TOOLS_DIR: tools, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('bin/install-tools.js', () => {
  it('uses the executables named by CLIENTELE_TOOL_* and installs nothing', () => {
    const temporal = fakeTool(join(work, 'mine', 'temporal'), TEMPORAL_PINNED);
    const nats = fakeTool(join(work, 'mine', 'nats-server'), NATS_PINNED);
    const result = installTools({
      CLIENTELE_TOOL_TEMPORAL: temporal,
      CLIENTELE_TOOL_NATS_SERVER: nats,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(join(tools, 'bin'))).toBe(false);
  });

  it('fails, naming the variable, when CLIENTELE_TOOL_* is not an executable', () => {
    const notExecutable = join(work, 'temporal.txt');
    writeFileSync(notExecutable, 'not a program');
    const nats = fakeTool(join(work, 'mine', 'nats-server'), NATS_PINNED);
    const result = installTools({
      CLIENTELE_TOOL_TEMPORAL: notExecutable,
      CLIENTELE_TOOL_NATS_SERVER: nats,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `CLIENTELE_TOOL_TEMPORAL=${notExecutable} is not an executable`,
    );
  });

  it('accepts pinned copies in the tools folder, then trusts its stamp without running them', () => {
    const temporal = fakeTool(join(tools, 'bin', 'temporal'), TEMPORAL_PINNED);
    const nats = fakeTool(join(tools, 'bin', 'nats-server'), NATS_PINNED);

    expect(installTools({})).toEqual({ status: 0, stderr: '' });
    const stamp = JSON.parse(readFileSync(join(tools, 'versions.json'), 'utf8'));
    expect(stamp.temporal.version).toBe('v1.5.1');
    expect(stamp['nats-server'].version).toBe('v2.12.15');
    const before = [runs(temporal), runs(nats)];

    expect(installTools({})).toEqual({ status: 0, stderr: '' });
    expect([runs(temporal), runs(nats)]).toEqual(before);
  });

  it('does not accept a copy at another version, and says what to do when go is missing', () => {
    fakeTool(join(tools, 'bin', 'temporal'), 'temporal version 1.4.0 (Server 1.28.0, UI 2.38.0)');
    const nats = fakeTool(join(work, 'mine', 'nats-server'), NATS_PINNED);
    const result = installTools({ CLIENTELE_TOOL_NATS_SERVER: nats });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('temporal 1.4.0 (Server 1.28.0)');
    expect(result.stderr).toContain('go is not on PATH');
    expect(result.stderr).toContain('CLIENTELE_TOOL_TEMPORAL');
  });

  it('re-checks a copy stamped for another pin (the pin changed since it was installed)', () => {
    fakeTool(join(tools, 'bin', 'temporal'), TEMPORAL_PINNED);
    const nats = fakeTool(join(tools, 'bin', 'nats-server'), 'nats-server: v2.11.4');
    const { size, mtimeMs } = statSync(nats);
    writeFileSync(
      join(tools, 'versions.json'),
      JSON.stringify({ 'nats-server': { version: 'v2.11.4', size, mtimeMs } }),
    );
    const result = installTools({});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('nats-server v2.11.4; the pinned version is v2.12.15');
    expect(runs(nats)).toBeGreaterThan(0);
  });

  it('uses a copy on PATH from the same minor release', () => {
    fakeTool(join(emptyPath, 'temporal'), 'temporal version 1.5.3 (Server 1.29.4, UI 2.44.0)');
    fakeTool(join(emptyPath, 'nats-server'), NATS_PINNED);
    const result = installTools({});
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('using temporal 1.5.3 (Server 1.29.4)');
    expect(existsSync(join(tools, 'bin'))).toBe(false);
  });

  it('with --for-tests, fails with the reason when docker-compose is missing and apt-get too', () => {
    const temporal = fakeTool(join(work, 'mine', 'temporal'), TEMPORAL_PINNED);
    const nats = fakeTool(join(work, 'mine', 'nats-server'), NATS_PINNED);
    const result = installTools(
      { CLIENTELE_TOOL_TEMPORAL: temporal, CLIENTELE_TOOL_NATS_SERVER: nats },
      ['--for-tests'],
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the tests need docker-compose');
    expect(result.stderr).toContain('apt-get is not on PATH');
  });
});

/**
 * The time-skipping test server (with --for-tests): a fake `mvn` that "downloads" by writing the
 * jar named in the pom into the folder it is given, and a fake `java`. (docker-compose and the
 * other Debian packages are missing on this PATH, so these runs fail for them: the assertions
 * are about the test server's part only.)
 */
describe('bin/install-tools.js --for-tests: the time-skipping test server', () => {
  const TEST_SERVER_FAILED = '✗ temporal-test-server:';
  const wrapper = () => join(tools, 'bin', 'temporal-test-server');

  /** The other tools named by the environment, so only the test server is looked for. */
  const servers = () => ({
    CLIENTELE_TOOL_TEMPORAL: fakeTool(join(work, 'mine', 'temporal'), TEMPORAL_PINNED),
    CLIENTELE_TOOL_NATS_SERVER: fakeTool(join(work, 'mine', 'nats-server'), NATS_PINNED),
  });

  function fakeMaven(): string {
    const mvn = join(emptyPath, 'mvn');
    writeFileSync(
      mvn,
      [
        '#!/bin/sh',
        `echo "$@" >> '${mvn}.runs'`,
        `cp pom.xml '${mvn}.pom'`,
        'for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out=$(echo "$arg" | cut -d= -f2-);; esac; done',
        'mkdir -p "$out"',
        'version=$(sed -n "s|.*<artifactId>temporal-test-server</artifactId><version>\\([^<]*\\)</version>.*|\\1|p" pom.xml)',
        'echo jar > "$out/temporal-test-server-$version.jar"',
        'echo jar > "$out/temporal-sdk-$version.jar"',
        '',
      ].join('\n'),
    );
    chmodSync(mvn, 0o755);
    // The wrapper's java: prints what it was asked to run.
    writeFileSync(join(emptyPath, 'java'), '#!/bin/sh\necho java "$@"\n');
    chmodSync(join(emptyPath, 'java'), 0o755);
    return mvn;
  }

  it('fetches the pinned version with Maven once, into a wrapper that runs it with java', () => {
    const mvn = fakeMaven();
    const first = installTools({ ...servers(), PATH: `${emptyPath}:/bin:/usr/bin` }, [
      '--for-tests',
    ]);
    expect(first.stderr).toContain("Temporal's time-skipping test server 1.31.0 ready");
    expect(first.stderr).not.toContain(TEST_SERVER_FAILED);
    expect(runs(mvn)).toBe(1);
    const args = readFileSync(`${mvn}.runs`, 'utf8');
    expect(args).toContain(
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
    );
    const pom = readFileSync(`${mvn}.pom`, 'utf8');
    expect(pom).toContain(
      '<groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>1.31.0</version>',
    );
    const lib = join(tools, 'temporal-test-server', '1.31.0', 'lib');
    expect(existsSync(join(lib, 'temporal-test-server-1.31.0.jar'))).toBe(true);
    const stamp = JSON.parse(readFileSync(join(tools, 'versions.json'), 'utf8'));
    expect(stamp['temporal-test-server']).toMatchObject({ version: '1.31.0', how: 'maven' });

    // The SDK runs it with the port to listen on.
    const started = spawnSync(wrapper(), ['7299'], {
      env: { PATH: `${emptyPath}:/bin:/usr/bin` },
      encoding: 'utf8',
    });
    expect(started.stdout.trim()).toBe(
      `java -cp ${tools}/bin/../temporal-test-server/1.31.0/lib/* io.temporal.testserver.TestServer 7299`,
    );

    // Idempotent: the second run trusts the stamp and does not call Maven.
    const second = installTools({ ...servers(), PATH: `${emptyPath}:/bin:/usr/bin` }, [
      '--for-tests',
    ]);
    expect(second.stderr).not.toContain('test server');
    expect(second.stderr).not.toContain(TEST_SERVER_FAILED);
    expect(runs(mvn)).toBe(1);
  });

  it('fetches again when the stamp names another version (the pin changed)', () => {
    const mvn = fakeMaven();
    const old = join(tools, 'temporal-test-server', '1.30.0', 'lib');
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, 'temporal-test-server-1.30.0.jar'), 'jar');
    const script = fakeTool(wrapper(), 'old wrapper');
    const { size, mtimeMs } = statSync(script);
    writeFileSync(
      join(tools, 'versions.json'),
      JSON.stringify({ 'temporal-test-server': { version: '1.30.0', size, mtimeMs } }),
    );
    const result = installTools({ ...servers(), PATH: `${emptyPath}:/bin:/usr/bin` }, [
      '--for-tests',
    ]);
    expect(result.stderr).toContain('is 1.30.0; the pinned version is 1.31.0');
    expect(result.stderr).not.toContain(TEST_SERVER_FAILED);
    expect(runs(mvn)).toBe(1);
    expect(readFileSync(wrapper(), 'utf8')).toContain('temporal-test-server/1.31.0/lib');
    expect(existsSync(join(tools, 'temporal-test-server', '1.30.0'))).toBe(false);
  });

  it('uses the executable named by CLIENTELE_TOOL_TEMPORAL_TEST_SERVER and fetches nothing', () => {
    const mvn = fakeMaven();
    const mine = fakeTool(join(work, 'mine', 'temporal-test-server'), 'test server');
    const result = installTools(
      { ...servers(), CLIENTELE_TOOL_TEMPORAL_TEST_SERVER: mine, PATH: emptyPath },
      ['--for-tests'],
    );
    expect(result.stderr).not.toContain(TEST_SERVER_FAILED);
    expect(runs(mvn)).toBe(0);
    expect(runs(mine)).toBe(0);
    expect(existsSync(wrapper())).toBe(false);
  });

  it('says what to do when Java, Maven and apt-get are all missing', () => {
    const result = installTools(servers(), ['--for-tests']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(TEST_SERVER_FAILED);
    expect(result.stderr).toContain('mvn is not on PATH');
    expect(result.stderr).toContain('default-jre-headless maven');
    expect(result.stderr).toContain('CLIENTELE_TOOL_TEMPORAL_TEST_SERVER');
  });

  it('is not looked for without --for-tests', () => {
    const mvn = fakeMaven();
    const result = installTools({ ...servers(), PATH: emptyPath });
    expect(result).toEqual({ status: 0, stderr: '' });
    expect(runs(mvn)).toBe(0);
  });
});
