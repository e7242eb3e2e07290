#!/usr/bin/env node
/**
 * Makes sure the server binaries Clientele runs locally exist: the Temporal CLI (which carries the
 * Temporal dev server) and nats-server. Runs before anything else (`npm start`, `npm test`,
 * `npm run tools`), so it uses Node built-ins only. Idempotent: when everything is in place it
 * only stats a few files.
 *
 * For each tool, in the order engine/runtime/tools.ts resolves them:
 *   1. an executable named by CLIENTELE_TOOL_TEMPORAL / CLIENTELE_TOOL_NATS_SERVER wins;
 *   2. <tools>/bin/<name> at the pinned version (<tools> is .tools under the project root, or
 *      CLIENTELE_TOOLS_DIR); <tools>/versions.json records what was installed, so a changed pin
 *      triggers a reinstall;
 *   3. <name> on PATH at a usable version (same minor release as the pin);
 *   4. otherwise `go install <module>@<pin>` into <tools>/bin (for nats-server, Debian's
 *      `nats-server` package through apt-get if go is missing or fails).
 *
 * With --for-tests, also Temporal's time-skipping test server (the Java SDK's
 * io.temporal:temporal-test-server, pinned below, from Maven Central), which the workflow tests
 * run months of loyalty timers on in seconds (test/support/time-skipping.ts):
 *   1. an executable named by CLIENTELE_TOOL_TEMPORAL_TEST_SERVER wins (it is given the port to
 *      listen on as its only argument, as the TypeScript SDK does);
 *   2. <tools>/bin/temporal-test-server, a wrapper script that runs the jars in
 *      <tools>/temporal-test-server/<version>/lib with `java`, when versions.json stamps it at
 *      the pinned version and the pinned jar is there;
 *   3. otherwise Maven fetches the jar and its dependencies (`mvn dependency:copy-dependencies`,
 *      through Maven's own cache and settings; about 15 s the first time) and the wrapper is
 *      written. Java and Maven come from Debian (`default-jre-headless`, `maven`) when missing.
 *
 * Flags:
 *   --for-tests        also the time-skipping test server above, and make sure Debian's
 *                      `docker-compose` (validates docker-compose.yml), `clickhouse-server` (the
 *                      HTTP store's test server) and `chromium` (the dashboard's browser test)
 *                      are installed.
 *   --go-module-build  build from a throwaway Go module instead of `go install module@version`
 *                      (done automatically when go refuses a module because of replace directives).
 *   --help
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS_DIR = resolve(ROOT, process.env.CLIENTELE_TOOLS_DIR ?? '.tools');
const BIN_DIR = join(TOOLS_DIR, 'bin');
const STAMP_FILE = join(TOOLS_DIR, 'versions.json');

/** Parses `x.y.z` out of a string into numbers. */
function semver(text) {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text ?? '');
  return m
    ? { major: +m[1], minor: +m[2], patch: +m[3], text: `${m[1]}.${m[2]}.${m[3]}` }
    : undefined;
}

const TOOLS = [
  {
    name: 'temporal',
    label: 'temporal CLI',
    envVar: 'CLIENTELE_TOOL_TEMPORAL',
    goPackage: 'github.com/temporalio/cli/cmd/temporal',
    goModule: 'github.com/temporalio/cli',
    // v1.9.1 (latest) has a replace directive pointing at a folder missing from its module zip.
    version: 'v1.5.1',
    server: '1.29.1',
    eta: 'about 3 minutes the first time',
    apt: undefined,
    /**
     * `temporal --version` prints "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)" for a
     * release and "temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)" for a go install build.
     */
    judge(output) {
      const m = /temporal version (\S+) \(Server ([^,)]+)/.exec(output);
      if (!m) return undefined;
      const cli = semver(m[1]);
      const server = semver(m[2]);
      const pinnedServer = semver(this.server);
      const dev = !cli || cli.text === '0.0.0';
      return {
        reported: `temporal ${m[1]} (Server ${m[2]})`,
        pinned: dev ? server?.text === pinnedServer.text : `v${cli.text}` === this.version,
        usable:
          server !== undefined &&
          server.major === pinnedServer.major &&
          server.minor === pinnedServer.minor,
      };
    },
  },
  {
    name: 'nats-server',
    label: 'nats-server',
    envVar: 'CLIENTELE_TOOL_NATS_SERVER',
    goPackage: 'github.com/nats-io/nats-server/v2',
    goModule: 'github.com/nats-io/nats-server/v2',
    version: 'v2.12.15',
    eta: 'about 1 minute the first time',
    apt: 'nats-server',
    /**
     * `nats-server --version` prints "nats-server: v2.12.15". Not 2.12.1 (TOOLCHAIN.md's first pin):
     * its file store re-read a block from disk on every write to a stream with a caught-up
     * consumer (nats-server#8009), 0.6 of a core at 100 events/s in the benchmark.
     */
    judge(output) {
      const v = semver(/nats-server:?\s+v?(\S+)/.exec(output)?.[1]);
      if (!v) return undefined;
      const pin = semver(this.version);
      return {
        reported: `nats-server v${v.text}`,
        pinned: v.text === pin.text,
        usable: v.major === pin.major && v.minor === pin.minor,
      };
    },
  },
];

/**
 * Temporal's time-skipping test server: the Java SDK's, from Maven Central (the SDK's own download
 * comes from a host these machines cannot reach). A jar and its dependencies, run with `java` by
 * a wrapper script: `temporal-test-server <port>`.
 */
const TEST_SERVER = {
  name: 'temporal-test-server',
  label: "Temporal's time-skipping test server",
  envVar: 'CLIENTELE_TOOL_TEMPORAL_TEST_SERVER',
  group: 'io.temporal',
  artifact: 'temporal-test-server',
  version: '1.31.0',
  mainClass: 'io.temporal.testserver.TestServer',
  // Its logs go nowhere (without an slf4j provider it warns on every start).
  slf4jNop: '2.0.17',
  // Pinned, so the download does not depend on the plugin versions Maven Central lists today.
  dependencyPlugin: 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1',
  eta: 'about 15 seconds the first time',
};

const log = (message) => process.stderr.write(`[tools] ${message}\n`);
const rel = (path) => {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
};

class ToolError extends Error {}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** An executable on PATH (PATH only, so what is found matches what a shell would run). */
function which(name, except) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (!isExecutable(candidate)) continue;
    if (except && sameFile(candidate, except)) continue;
    return candidate;
  }
  return undefined;
}

function sameFile(a, b) {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function readStamp() {
  try {
    const parsed = JSON.parse(readFileSync(STAMP_FILE, 'utf8'));
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

function writeStamp(name, entry) {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const stamp = readStamp();
  if (entry === undefined) delete stamp[name];
  else stamp[name] = entry;
  const tmp = `${STAMP_FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(stamp, null, 2)}\n`);
  renameSync(tmp, STAMP_FILE);
}

function stampLocal(tool, path, how) {
  const st = statSync(path);
  writeStamp(tool.name, { version: tool.version, size: st.size, mtimeMs: st.mtimeMs, how });
}

/** What `<path> --version` says about the binary, or undefined if it cannot tell. */
function reportedVersion(tool, path) {
  const res = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  if (res.error) return undefined;
  return tool.judge(`${res.stdout ?? ''}\n${res.stderr ?? ''}`);
}

/** The module version a Go binary was built from (`go version -m`), or undefined if unknown. */
function goBuildVersion(tool, path, go) {
  if (!go) return undefined;
  const res = spawnSync(go, ['version', '-m', path], { encoding: 'utf8', timeout: 15_000 });
  if (res.error || res.status !== 0) return undefined;
  for (const line of res.stdout.split('\n')) {
    const [kind, module, version] = line.trim().split(/\s+/);
    if (kind === 'mod' && module === tool.goModule) return version;
  }
  return undefined;
}

/**
 * Whether <tools>/bin/<name> is the pinned version: the stamp says so (and the file has not
 * changed since), else the Go build info says so, else its --version output says so.
 */
function checkLocal(tool, stamp, go) {
  const path = join(BIN_DIR, tool.name);
  if (!isExecutable(path)) return { state: 'missing', path };
  const st = statSync(path);
  const s = stamp[tool.name];
  if (s?.version === tool.version && s.size === st.size && s.mtimeMs === st.mtimeMs) {
    return { state: 'ok', path };
  }
  const built = goBuildVersion(tool, path, go);
  if (built !== undefined) {
    if (built === tool.version) {
      stampLocal(tool, path, 'go version -m');
      return { state: 'ok', path };
    }
    return { state: 'stale', path, found: `${tool.goModule} ${built}` };
  }
  const judged = reportedVersion(tool, path);
  if (judged?.pinned) {
    stampLocal(tool, path, '--version');
    return { state: 'ok', path };
  }
  return { state: 'stale', path, found: judged?.reported ?? 'an unknown version' };
}

/**
 * Runs a command, echoing its stderr while keeping a copy. `quiet` keeps both its outputs without
 * showing them, for the caller to show if it fails (Debian's mvn writes colour codes to both even
 * when asked not to, and its errors to stdout).
 */
function run(command, args, options = {}, quiet = false) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      ...options,
      stdio: ['ignore', quiet ? 'pipe' : 'inherit', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!quiet) process.stderr.write(chunk);
    });
    child.on('error', (error) =>
      resolvePromise({ code: -1, stderr: `${stderr}${error.message}`, stdout }),
    );
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stderr, stdout }));
  });
}

function goMissingMessage(tool) {
  return (
    `go is not on PATH, so ${tool.label} ${tool.version} cannot be built. Either install Go 1.25 ` +
    'or newer (https://go.dev/doc/install; make sure `go version` works in this shell) and run ' +
    `\`npm run tools\` again, or point ${tool.envVar} at an existing ${tool.name} executable.`
  );
}

/** Builds the tool into a fresh folder under <tools>, then moves it into <tools>/bin. */
async function goInstall(tool, go, moduleBuild) {
  mkdirSync(BIN_DIR, { recursive: true });
  const staging = mkdtempSync(join(TOOLS_DIR, '.build-'));
  const started = Date.now();
  const timer = setInterval(() => {
    log(`  …still building ${tool.name} (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 30_000);
  timer.unref();
  try {
    const env = { ...process.env, GOBIN: staging };
    let built = false;
    if (!moduleBuild) {
      log(`installing ${tool.label} ${tool.version} with go install (${tool.eta})…`);
      const res = await run(go, ['install', `${tool.goPackage}@${tool.version}`], { env });
      if (res.code === 0) built = true;
      else if (!/replace directive/i.test(res.stderr)) {
        throw new ToolError(
          `go install ${tool.goPackage}@${tool.version} failed (exit ${res.code})`,
        );
      } else {
        log(
          `go install refuses ${tool.goModule}@${tool.version} because of its replace directives;`,
        );
        log('building it from a throwaway module instead…');
      }
    }
    if (!built) await goModuleBuild(tool, go, staging, env);
    const target = join(BIN_DIR, tool.name);
    renameSync(join(staging, tool.name), target);
    stampLocal(tool, target, built ? 'go install' : 'go build (module)');
    log(`${tool.label} ${tool.version} ready in ${Math.round((Date.now() - started) / 1000)} s`);
    return target;
  } finally {
    clearInterval(timer);
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The documented workaround for modules whose go.mod has replace directives: require the module
 * from a small module of our own (where its replace directives do not apply) and build there.
 */
async function goModuleBuild(tool, go, staging, env) {
  const dir = join(TOOLS_DIR, 'build', tool.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), `module clientele.local/tools/${tool.name}\n\ngo 1.24\n`);
  log(`building ${tool.label} ${tool.version} in ${rel(dir)} (${tool.eta})…`);
  const got = await run(go, ['get', `${tool.goPackage}@${tool.version}`], { cwd: dir, env });
  if (got.code !== 0) throw new ToolError(`go get ${tool.goPackage}@${tool.version} failed`);
  const out = join(staging, tool.name);
  const res = await run(go, ['build', '-o', out, tool.goPackage], { cwd: dir, env });
  if (res.code !== 0) throw new ToolError(`go build ${tool.goPackage} failed (exit ${res.code})`);
}

/** apt-get update, then install the packages (as root, or through sudo). */
async function aptInstall(packages, why) {
  const aptGet = which('apt-get');
  if (!aptGet) {
    throw new ToolError(
      `${why}, and apt-get is not on PATH (this is not a Debian/Ubuntu machine). ` +
        `Install ${packages.join(' ')} with your system's package manager.`,
    );
  }
  let prefix = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    const sudo = which('sudo');
    if (!sudo) {
      throw new ToolError(
        `${why}; installing ${packages.join(' ')} with apt-get needs root and sudo is not on PATH. ` +
          `Run \`apt-get update && apt-get install -y ${packages.join(' ')}\` as root.`,
      );
    }
    prefix = [sudo];
  }
  const exec = (args) => {
    const [command, ...rest] = [...prefix, ...args];
    return run(command, rest);
  };
  log(`${why}: installing Debian package ${packages.join(' ')} with apt-get…`);
  const update = await exec([aptGet, 'update', '-q']);
  if (update.code !== 0) throw new ToolError(`apt-get update failed (exit ${update.code})`);
  const install = await exec([
    'env',
    'DEBIAN_FRONTEND=noninteractive',
    aptGet,
    'install',
    '-y',
    '-q',
    '--no-install-recommends',
    ...packages,
  ]);
  if (install.code !== 0) {
    throw new ToolError(`apt-get install ${packages.join(' ')} failed (exit ${install.code})`);
  }
}

async function ensureTool(tool, options) {
  // 1. An executable named by the environment wins.
  const fromEnv = process.env[tool.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new ToolError(`${tool.envVar}=${fromEnv} is not an executable file`);
    }
    const judged = reportedVersion(tool, fromEnv);
    if (!judged?.usable) {
      log(
        `warning: ${tool.envVar}=${fromEnv} reports ${judged?.reported ?? 'an unknown version'}; ` +
          `Clientele is tested with ${tool.label} ${tool.version}`,
      );
    }
    return;
  }

  const go = which('go');
  const stamp = readStamp();

  // 2. The project's own copy at the pinned version.
  const local = checkLocal(tool, stamp, go);
  if (local.state === 'ok') return;

  if (local.state === 'missing') {
    // 3. A usable copy on PATH.
    const onPath = which(tool.name);
    if (onPath) {
      const judged = reportedVersion(tool, onPath);
      if (judged?.usable) {
        if (!judged.pinned)
          log(`using ${judged.reported} from ${onPath} (pinned: ${tool.version})`);
        return;
      }
      log(`ignoring ${onPath}: it reports ${judged?.reported ?? 'an unknown version'}`);
    }
  } else {
    log(`${rel(local.path)} is ${local.found}; the pinned version is ${tool.version}`);
  }

  // 4. Install.
  let goFailure;
  if (go) {
    try {
      await goInstall(tool, go, options.moduleBuild);
      return;
    } catch (error) {
      if (!(error instanceof ToolError) || !tool.apt) throw error;
      goFailure = error.message;
    }
  } else if (!tool.apt) {
    throw new ToolError(goMissingMessage(tool));
  } else {
    goFailure = 'go is not on PATH';
  }

  try {
    await aptInstall([tool.apt], `${goFailure}, so ${tool.label} ${tool.version} cannot be built`);
  } catch (error) {
    if (!go && error instanceof ToolError) {
      throw new ToolError(`${error.message}\n  Or: ${goMissingMessage(tool)}`);
    }
    throw error;
  }
  // Debian puts it in /usr/sbin, which is often not on PATH: link it from <tools>/bin, where
  // engine/runtime/tools.ts looks first (this also replaces a stale copy there).
  const linkPath = join(BIN_DIR, tool.name);
  const installed = [which(tool.name, linkPath), `/usr/sbin/${tool.name}`, `/usr/bin/${tool.name}`]
    .filter((path) => path !== undefined)
    .find((path) => isExecutable(path));
  if (!installed) {
    throw new ToolError(`apt-get installed ${tool.apt} but no ${tool.name} executable was found`);
  }
  mkdirSync(BIN_DIR, { recursive: true });
  const link = `${linkPath}.${process.pid}.tmp`;
  rmSync(link, { force: true });
  symlinkSync(installed, link);
  renameSync(link, linkPath);
  stampLocal(tool, linkPath, 'apt');
  const judged = reportedVersion(tool, installed);
  log(
    `using Debian's ${judged?.reported ?? tool.apt} (${installed}, linked from ${rel(linkPath)}) ` +
      `instead of ${tool.version}; delete ${rel(STAMP_FILE)} and run \`npm run tools\` to try go again`,
  );
}

/** Where a version of the test server lives: its jars in lib/. */
const testServerHome = (version) => join(TOOLS_DIR, TEST_SERVER.name, version);
const testServerJar = (version) =>
  join(testServerHome(version), 'lib', `${TEST_SERVER.artifact}-${version}.jar`);

/** A file (not a folder) at `path`. */
function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The wrapper the SDK runs: `exec`, so the process the SDK stops is the JVM itself. It finds the
 * jars next to itself (the tools folder may move) and prefers $JAVA_HOME's java.
 */
function testServerWrapper(version) {
  const lib = `$here/../${TEST_SERVER.name}/${version}/lib/*`;
  return [
    '#!/bin/sh',
    `# ${TEST_SERVER.label} ${version} (${TEST_SERVER.group}:${TEST_SERVER.artifact}, Maven Central),`,
    '# written by bin/install-tools.js. Usage: temporal-test-server <port>',
    'here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)',
    `exec "\${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "${lib}" ${TEST_SERVER.mainClass} "$@"`,
    '',
  ].join('\n');
}

/** A pom that depends on the test server and nothing else (plus a silent slf4j provider). */
function testServerPom() {
  const dependency = (group, artifact, version) =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId>` +
    `<version>${version}</version></dependency>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>clientele.local</groupId>',
    `  <artifactId>${TEST_SERVER.name}-tool</artifactId>`,
    '  <version>1</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency(TEST_SERVER.group, TEST_SERVER.artifact, TEST_SERVER.version),
    dependency('org.slf4j', 'slf4j-nop', TEST_SERVER.slf4jNop),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** Whether <tools>/bin/temporal-test-server is the pinned version: by its stamp, and its jar. */
function checkTestServer(stamp) {
  const path = join(BIN_DIR, TEST_SERVER.name);
  if (!isExecutable(path)) return { state: 'missing', path };
  const st = statSync(path);
  const s = stamp[TEST_SERVER.name];
  if (s?.version !== TEST_SERVER.version) {
    return { state: 'stale', path, found: s?.version ?? 'an unknown version' };
  }
  if (s.size !== st.size || s.mtimeMs !== st.mtimeMs || !isFile(testServerJar(s.version))) {
    return { state: 'stale', path, found: 'a changed or incomplete copy' };
  }
  return { state: 'ok', path };
}

async function ensureTestServer() {
  const tool = TEST_SERVER;
  // 1. An executable named by the environment wins (there is no --version to ask it).
  const fromEnv = process.env[tool.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new ToolError(`${tool.envVar}=${fromEnv} is not an executable file`);
    }
    return;
  }

  // 2. The project's own copy at the pinned version.
  const local = checkTestServer(readStamp());
  if (local.state === 'ok') return;
  if (local.state === 'stale') {
    log(`${rel(local.path)} is ${local.found}; the pinned version is ${tool.version}`);
  }

  // 3. Fetch it with Maven (Java and Maven from Debian if missing).
  const missing = [
    ...(which('java') ? [] : ['default-jre-headless']),
    ...(which('mvn') ? [] : ['maven']),
  ];
  if (missing.length > 0) {
    try {
      await aptInstall(
        missing,
        `${tool.label} ${tool.version} comes from Maven Central and runs on Java, but ` +
          `${missing.includes('maven') ? 'mvn' : 'java'} is not on PATH`,
      );
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      throw new ToolError(
        `${error.message}\n  Or point ${tool.envVar} at an executable that runs the test server ` +
          '(given the port as its only argument).',
      );
    }
  }
  const mvn = which('mvn');
  if (!mvn || !which('java')) {
    throw new ToolError(`apt-get ran but ${mvn ? 'java' : 'mvn'} is still not on PATH`);
  }

  mkdirSync(TOOLS_DIR, { recursive: true });
  const staging = mkdtempSync(join(TOOLS_DIR, '.build-'));
  const started = Date.now();
  try {
    log(`fetching ${tool.label} ${tool.version} with Maven (${tool.eta})…`);
    writeFileSync(join(staging, 'pom.xml'), testServerPom());
    const res = await run(
      mvn,
      [
        '-q',
        '-B',
        '-Dstyle.color=never',
        `${tool.dependencyPlugin}:copy-dependencies`,
        `-DoutputDirectory=${join(staging, 'lib')}`,
      ],
      { cwd: staging },
      true,
    );
    if (res.code !== 0) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what it strips
      const shown = `${res.stdout}\n${res.stderr}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
      if (shown) process.stderr.write(`${shown}\n`);
      throw new ToolError(
        `mvn could not fetch ${tool.group}:${tool.artifact}:${tool.version} (exit ${res.code}); ` +
          `check that Maven reaches Maven Central (or your mirror in ~/.m2/settings.xml), or set ${tool.envVar}`,
      );
    }
    const jar = join(staging, 'lib', `${tool.artifact}-${tool.version}.jar`);
    if (!isFile(jar)) throw new ToolError(`mvn ran but ${rel(jar)} is missing`);

    // The jars into <tools>/temporal-test-server/<version>/lib, then the wrapper into bin/.
    const home = testServerHome(tool.version);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(dirname(home), { recursive: true });
    mkdirSync(home);
    renameSync(join(staging, 'lib'), join(home, 'lib'));
    // Versions pinned before are of no further use.
    for (const other of readdirSync(dirname(home))) {
      if (other !== tool.version)
        rmSync(join(dirname(home), other), { recursive: true, force: true });
    }
    mkdirSync(BIN_DIR, { recursive: true });
    const target = join(BIN_DIR, tool.name);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, testServerWrapper(tool.version), { mode: 0o755 });
    renameSync(tmp, target);
    const st = statSync(target);
    writeStamp(tool.name, {
      version: tool.version,
      size: st.size,
      mtimeMs: st.mtimeMs,
      how: 'maven',
    });
    log(`${tool.label} ${tool.version} ready in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** What the test suite needs beyond the servers: checked by where the package puts it. */
const TEST_PACKAGES = [
  {
    pkg: 'docker-compose',
    present: () => Boolean(which('docker-compose')),
    why: 'validates docker-compose.yml',
  },
  {
    pkg: 'clickhouse-server',
    present: () =>
      Boolean(which('clickhouse-server') || isExecutable('/usr/sbin/clickhouse-server')),
    why: 'tests the ClickHouse HTTP store against a real server',
  },
  {
    pkg: 'chromium',
    // The browser test drives exactly this executable (Debian's wrapper script).
    present: () => isExecutable('/usr/bin/chromium'),
    why: "runs the dashboard's browser test in headless Chromium",
  },
];

async function ensureTestPackages() {
  const missing = TEST_PACKAGES.filter((p) => !p.present());
  if (missing.length === 0) return;
  await aptInstall(
    missing.map((p) => p.pkg),
    `the tests need ${missing.map((p) => `${p.pkg} (${p.why})`).join(' and ')}`,
  );
  const still = missing.filter((p) => !p.present());
  if (still.length > 0) {
    throw new ToolError(`apt-get ran but ${still.map((p) => p.pkg).join(', ')} is still missing`);
  }
}

async function main(argv) {
  const known = new Set(['--for-tests', '--go-module-build', '--help', '-h']);
  const unknown = argv.filter((arg) => !known.has(arg));
  if (unknown.length > 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(
      'usage: node bin/install-tools.js [--for-tests] [--go-module-build]\n' +
        `  Installs ${TOOLS.map((t) => `${t.name} ${t.version}`).join(' and ')} into ${rel(BIN_DIR)}\n` +
        '  (CLIENTELE_TOOLS_DIR moves it; CLIENTELE_TOOL_TEMPORAL / CLIENTELE_TOOL_NATS_SERVER\n' +
        '  name executables to use instead). --for-tests also fetches\n' +
        `  ${TEST_SERVER.group}:${TEST_SERVER.artifact}:${TEST_SERVER.version} with Maven (or uses ${TEST_SERVER.envVar})\n` +
        '  and installs docker-compose, clickhouse-server and chromium.\n',
    );
    return unknown.length > 0 ? 2 : 0;
  }
  const options = { moduleBuild: argv.includes('--go-module-build') };
  const failures = [];
  for (const tool of TOOLS) {
    try {
      await ensureTool(tool, options);
    } catch (error) {
      failures.push(`${tool.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (argv.includes('--for-tests')) {
    try {
      await ensureTestServer();
    } catch (error) {
      failures.push(
        `${TEST_SERVER.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    try {
      await ensureTestPackages();
    } catch (error) {
      failures.push(`test packages: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    log('could not set up the tools Clientele needs:');
    for (const failure of failures) log(`  ✗ ${failure}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
