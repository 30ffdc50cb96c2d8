// A new user's first minutes, outside this workspace: `cargo new`, `cargo rally init`,
// `migrate`, `build`, the server, and the counter in Chromium — server-rendered, hydrated
// without touching the DOM, saved, persisted in SQLite. The user then makes the app their own
// the way the page contract allows: the app's context reads `COUNTER_STEP` from `.env`, and the
// save takes the caller and refuses to take away for anonymous visitors. Then `init` refusing
// an edited crate.
//
// The app lives in a temporary directory and depends on this checkout by path (init does that).
// It builds into this workspace's `target/` with the workspace's lockfile and dev profile, so
// every registry crate is reused from `scripts/test.sh`'s build of `examples/starter` (the
// template): only the rally crates (hashed per workspace root) and the app itself compile.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startPostgres, test, run, assert, assertEq, root } from './lib.mjs';

const CLI = join(root, 'target/debug/cargo-rally');
const TARGET = join(root, 'target');
const APP = 'my_app';
const BUILD_TIMEOUT_S = Number(process.env.RALLY_DOWNSTREAM_BUILD_TIMEOUT_S || 600);

/// The workspace's `[profile.dev]` as `CARGO_PROFILE_DEV_*` variables. The app's Cargo.toml has
/// no profile of its own, and building with another one (the workspace sets
/// `debug = "line-tables-only"`) would recompile all ~250 dependencies instead of reusing them.
function workspaceDevProfile() {
  const manifest = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  const section = manifest.split(/^\[profile\.dev\]\s*$/m)[1];
  if (section === undefined) return {};
  const vars = {};
  for (const line of section.split(/^\[/m)[0].split('\n')) {
    const m = line.match(/^\s*([A-Za-z0-9_-]+)\s*=\s*("?)([^"#]*)\2\s*(#.*)?$/);
    if (m) vars[`CARGO_PROFILE_DEV_${m[1].toUpperCase().replace(/-/g, '_')}`] = m[3].trim();
  }
  return vars;
}
const DEV_PROFILE = workspaceDevProfile();

/// The environment of every command: the workspace's dev profile, plain cargo output, and no
/// DATABASE_PATH or CARGO_TARGET_DIR leaking in from the caller.
function env(extra = {}) {
  const e = { ...process.env, ...DEV_PROFILE, CARGO_TERM_COLOR: 'never' };
  delete e.DATABASE_PATH;
  delete e.CARGO_TARGET_DIR;
  return { ...e, ...extra };
}

function tail(text, lines = 40) {
  return String(text).trimEnd().split('\n').slice(-lines).join('\n');
}

/// Runs a command to completion within `timeoutS` seconds, in its own process group so a
/// timeout also ends the cargo and rustc processes below it. Resolves with
/// `{ code, stdout, stderr, seconds }`; rejects only when the command cannot run or times out.
function exec(label, cmd, args, { cwd, timeoutS = 60, extraEnv = {} } = {}) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(cmd, args, { cwd, env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      reject(new Error(`${label} timed out after ${timeoutS} s (${cmd} ${args.join(' ')} in ${cwd}); stderr:\n${tail(stderr)}`));
    }, timeoutS * 1000);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`${label}: cannot run ${cmd}: ${e.message}`)); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (Date.now() - start) / 1000 });
    });
  });
}

/// `exec` that must exit 0.
async function ok(label, cmd, args, options) {
  const r = await exec(label, cmd, args, options);
  if (r.code !== 0) {
    throw new Error(`${label} failed (exit ${r.code}): ${cmd} ${args.join(' ')} in ${options.cwd}\nstderr:\n${tail(r.stderr)}\nstdout:\n${tail(r.stdout, 10)}`);
  }
  return r;
}

const rally = (label, args, cwd, timeoutS, extraEnv) => ok(label, CLI, ['rally', ...args], { cwd, timeoutS, extraEnv });

async function cargoNew(parent, name) {
  await ok(`cargo new ${name}`, process.env.CARGO || 'cargo', ['new', '--vcs', 'none', '--quiet', name], { cwd: parent, timeoutS: 60 });
  return join(parent, name);
}

/// Every file below `dir`, with its size and a hash of its bytes: what "writes nothing" compares.
function listing(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const rel = path.slice(dir.length + 1);
      if (statSync(path).isDirectory()) { out[`${rel}/`] = 'dir'; walk(path); }
      else out[rel] = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
    }
  };
  walk(dir);
  return out;
}

/// `name version` of every package in a Cargo.lock.
function lockedPackages(path) {
  const text = readFileSync(path, 'utf8');
  return new Set([...text.matchAll(/\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`));
}

/// Starts the app's server binary (an absolute path; lib.mjs's startServer takes paths below
/// the repository) in the app's directory on a free port.
function startAppServer(binary, cwd) {
  if (!existsSync(binary)) throw new Error(`${binary} is missing after cargo rally build`);
  const child = spawn(binary, [], {
    cwd,
    env: env({ ADDR: '127.0.0.1:0', RUST_LOG: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`${binary} did not print its address in 20 s; stderr:\n${tail(stderr)}`)); }, 20000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(timer); resolve({ url: m[1], stop, stderr: () => stderr }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${binary} exited with ${code} before listening; stderr:\n${tail(stderr)}`)); });
  });
}

/// How far one + moves the counter in the user's app (their `.env`).
const STEP = 3;

/// What a user does next with the starter: a setting in `.env` that the app's context reads
/// (`COUNTER_STEP`), and a save that takes the caller (`&rally::server::Caller`) and refuses to
/// take away for anonymous visitors. Fails loudly if the template no longer has the lines edited.
function makeItTheirOwn(dir) {
  const page = join(dir, 'src/public/pages/home_.rs');
  const edits = [
    ['pub fn handle_save(ctx: &Context, change: Change)',
      'pub fn handle_save(\n    ctx: &Context,\n    caller: &rally::server::Caller,\n    change: Change,\n)'],
    ['        Change::Decrement => -ctx.step,',
      '        Change::Decrement if !caller.is_signed_in() => {\n            return Err(SaveError::new("Sign in to take away."));\n        }\n        Change::Decrement => -ctx.step,'],
  ];
  let source = readFileSync(page, 'utf8');
  for (const [from, to] of edits) {
    assert(source.includes(from), `the starter's home_.rs no longer contains ${JSON.stringify(from)}; update this test`);
    source = source.replace(from, to);
  }
  writeFileSync(page, source);
  writeFileSync(join(dir, '.env'), `PORT=8080\nCOUNTER_STEP=${STEP}\n`);
}

/// The count in the server-rendered HTML of `/`, fetched without a browser.
async function ssrCount(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(10000) });
  const html = await response.text();
  assertEq(response.status, 200, `GET ${url} status`);
  const m = html.match(/<span id="count">([^<]*)<\/span>/);
  assert(m, `no <span id="count"> in the server's HTML:\n${html.slice(0, 2000)}`);
  return m[1];
}

/// Records every DOM mutation inside `#app` from DOMContentLoaded on. Hydration must adopt the
/// server's nodes as they are, so it must cause none.
function watchMutations() {
  window.__mutations = [];
  document.addEventListener('DOMContentLoaded', () => {
    const app = document.getElementById('app');
    if (!app) { window.__mutations.push('no #app at DOMContentLoaded'); return; }
    window.__hydratedBeforeObserving = Boolean(window.__rally && window.__rally.hydrated);
    const name = (n) => n.nodeType === 1
      ? `<${n.tagName.toLowerCase()}${n.id ? `#${n.id}` : ''}>`
      : `${n.nodeName}(${JSON.stringify(n.textContent)})`;
    const describe = (r) => {
      if (r.type === 'attributes') return `attribute ${r.attributeName} of ${name(r.target)}: ${JSON.stringify(r.oldValue)} → ${JSON.stringify(r.target.getAttribute(r.attributeName))}`;
      if (r.type === 'characterData') return `text ${JSON.stringify(r.oldValue)} → ${JSON.stringify(r.target.textContent)}`;
      return `children of ${name(r.target)}: +[${[...r.addedNodes].map(name)}] −[${[...r.removedNodes].map(name)}]`;
    };
    const observer = new MutationObserver((records) => { for (const r of records) window.__mutations.push(describe(r)); });
    observer.observe(app, { subtree: true, childList: true, attributes: true, attributeOldValue: true, characterData: true, characterDataOldValue: true });
    window.__stopWatching = () => {
      for (const r of observer.takeRecords()) window.__mutations.push(describe(r));
      observer.disconnect();
      return window.__mutations;
    };
  });
}

/// Waits for hydration plus 200 ms, then checks that it changed nothing inside `#app`.
async function hydratedWithoutMutations(page, what) {
  await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
  await page.waitForTimeout(200);
  assertEq(await page.evaluate(() => window.__hydratedBeforeObserving), false, `${what}: hydration had finished before DOMContentLoaded, so the observer saw nothing`);
  const mutations = await page.evaluate(() => (window.__stopWatching ? window.__stopWatching() : window.__mutations));
  assertEq(mutations, [], `${what}: DOM mutations inside #app during hydration`);
  assertEq(await page.evaluate(() => window.__rally.mismatches), 0, `${what}: window.__rally.mismatches`);
}

async function open(browser, url, what) {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(watchMutations);
  await page.goto(url, { timeout: 15000 });
  await hydratedWithoutMutations(page, what);
  return { page, errors };
}

async function countIs(page, expected, what) {
  try {
    await page.waitForFunction((e) => document.querySelector('#count').textContent === e, String(expected), { timeout: 10000 });
  } catch {
    const shown = await page.textContent('#count').catch(() => '?');
    const error = await page.textContent('#error').catch(() => null);
    throw new Error(`${what}: the counter shows ${shown}, expected ${expected}${error ? ` (page error: ${error})` : ''}`);
  }
}

export async function suite() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the workspace first (cargo build --workspace)`);
  const parent = mkdtempSync(join(tmpdir(), 'rally-downstream-'));
  let app = null, binary = null, server = null, browser = null, cluster = null;
  try {
    test('cargo new + cargo rally init, migrate and build make an app outside the workspace', async () => {
      const dir = await cargoNew(parent, APP);
      // The workspace's lockfile, so the app resolves the versions the workspace built.
      copyFileSync(join(root, 'Cargo.lock'), join(dir, 'Cargo.lock'));
      const init = await rally('cargo rally init', ['init'], dir, 120);
      assert(init.stderr.includes('rally: wrote the starter app'), `init's output:\n${init.stderr}`);
      const manifest = readFileSync(join(dir, 'Cargo.toml'), 'utf8');
      const checkout = realpathSync(join(root, 'crates/rally'));
      assert(manifest.includes(`rally = { path = "${checkout}" }`), `init did not point rally at this checkout (${checkout}):\n${manifest}`);
      makeItTheirOwn(dir);
      await rally('cargo rally migrate', ['migrate'], dir, 60);
      assert(existsSync(join(dir, `db/${APP}.db`)), `migrate wrote no db/${APP}.db`);

      const build = await rally('cargo rally build', ['build'], dir, BUILD_TIMEOUT_S, { CARGO_TARGET_DIR: TARGET });
      const compiled = [...build.stderr.matchAll(/^\s*Compiling (\S+) v\S+( \(.*\))?$/gm)];
      const registry = compiled.filter((m) => !m[2]).map((m) => m[1]);
      const local = [...new Set(compiled.filter((m) => m[2]).map((m) => m[1]))];
      console.log(`       cargo rally build: ${build.seconds.toFixed(1)} s; compiled ${local.join(', ') || 'nothing local'}; ${registry.length} registry crates`);
      assert(registry.length === 0,
        `cargo rally build compiled ${registry.length} registry crates (${registry.slice(0, 12).join(', ')}…) instead of reusing target/: ` +
        'build examples/starter with `cargo rally build` first (scripts/test.sh does), or the app\'s profile, features or lockfile differ from the starter\'s');

      // Nothing was resolved anew: every locked package is one the workspace locks.
      const workspace = lockedPackages(join(root, 'Cargo.lock'));
      const fresh = [...lockedPackages(join(dir, 'Cargo.lock'))].filter((p) => !workspace.has(p) && !p.startsWith(`${APP} `));
      assertEq(fresh, [], 'packages the app locked that the workspace does not');

      // The generated dispatch hands the save its caller.
      const dispatch = readFileSync(join(dir, 'src/generated/rally/dispatch.rs'), 'utf8');
      assert(/handle_save\(\s*ctx,\s*&caller,/.test(dispatch), `the generated dispatch does not pass the caller to handle_save:\n${dispatch}`);

      binary = join(TARGET, 'debug', APP);
      assert(existsSync(binary), `${binary} is missing after cargo rally build`);
      assert(existsSync(join(dir, 'target/rally/pkg/public')), 'cargo rally build published no public bundle');
      app = dir;
    });

    test('the counter renders on the server, hydrates without a DOM change, saves by the context\'s step, refuses an anonymous −, and persists in SQLite', async () => {
      assert(app, 'the app was not built (see the test above)');
      server = await startAppServer(binary, app);
      assertEq(await ssrCount(server.url), '0', 'the count in the first SSR HTML (no row yet; the seed says 0 too)');
      browser = await launch();
      const a = await open(browser, server.url, 'first page');
      assertEq(await a.page.textContent('#count'), '0', 'count after hydration');
      await a.page.click('#inc');
      await countIs(a.page, STEP, 'after one + (COUNTER_STEP from .env, read into the app\'s context)');
      await a.page.click('#inc');
      await countIs(a.page, 2 * STEP, 'after two +');
      // The caller-aware save: nobody is signed in, so − is refused and nothing changes.
      await a.page.click('#dec');
      await a.page.waitForSelector('#error', { timeout: 10000 });
      assertEq(await a.page.textContent('#error'), 'Sign in to take away.', 'the refused save\'s error');
      assertEq(await a.page.textContent('#count'), String(2 * STEP), 'count after the refused −');
      assertEq(await ssrCount(server.url), String(2 * STEP), 'the count in the SSR HTML after two saves');

      await a.page.reload({ timeout: 15000 });
      await hydratedWithoutMutations(a.page, 'reloaded page');
      assertEq(await a.page.textContent('#count'), String(2 * STEP), 'count after reload');

      const b = await open(browser, server.url, 'second page');
      assertEq(await b.page.textContent('#count'), String(2 * STEP), 'count on a second page');
      assertEq([...a.errors, ...b.errors], [], 'console errors');
      await a.page.close();
      await b.page.close();

      // On disk, not in the server's memory: a new server process reads 2.
      await server.stop();
      server = await startAppServer(binary, app);
      assertEq(await ssrCount(server.url), String(2 * STEP), 'the count after restarting the server');
    });

    test('cargo rally init --db postgres: gen types on a throwaway Postgres, migrate and the counter\'s saves go to DATABASE_URL', async () => {
      const dir = await cargoNew(parent, 'pg_app');
      copyFileSync(join(root, 'Cargo.lock'), join(dir, 'Cargo.lock'));
      const init = await rally('cargo rally init --db postgres', ['init', '--db', 'postgres'], dir, 180);
      assert(init.stderr.includes('typing the queries for Postgres'), `init did not type the queries on Postgres:\n${init.stderr}`);
      const generated = readFileSync(join(dir, 'src/generated/sql/public/pages/home__sql.rs'), 'utf8');
      assert(generated.includes('client: &mut impl Executor'), `the generated queries are not Postgres functions:\n${generated}`);
      assert(generated.includes('use rally::postgres::Executor;'), `the generated queries do not reach the executor through rally:\n${generated}`);
      cluster = await startPostgres('pg_app');
      writeFileSync(join(dir, '.env'), `PORT=8080\nDATABASE_URL=${cluster.url}\n`);
      await rally('cargo rally migrate (Postgres)', ['migrate'], dir, 60);
      const build = await rally('cargo rally build (Postgres)', ['build'], dir, BUILD_TIMEOUT_S, { CARGO_TARGET_DIR: TARGET });
      console.log(`       cargo rally build (Postgres): ${build.seconds.toFixed(1)} s`);
      const pgServer = await startAppServer(join(TARGET, 'debug', 'pg_app'), dir);
      try {
        assertEq(await ssrCount(pgServer.url), '0', 'the count in the first SSR HTML, read from Postgres');
        browser = browser || await launch();
        const a = await open(browser, pgServer.url, 'Postgres app');
        await a.page.click('#inc');
        await countIs(a.page, 1, 'after one + saved in Postgres');
        await a.page.click('#inc');
        await countIs(a.page, 2, 'after two +');
        assertEq(a.errors, [], 'console errors');
        await a.page.close();
      } finally {
        await pgServer.stop();
      }
      // In Postgres, not in the server: psql reads the row the saves wrote.
      const { execFileSync } = await import('node:child_process');
      const stored = execFileSync('psql', [cluster.url, '-tAc', 'SELECT count FROM counter WHERE id = 1']).toString().trim();
      assertEq(stored, '2', 'the count in Postgres');
    });

    test('init in a crate whose src/main.rs was edited refuses, names the file and writes nothing', async () => {
      const dir = await cargoNew(parent, 'edited_app');
      writeFileSync(join(dir, 'src/main.rs'), 'fn main() {\n    println!("mine");\n}\n');
      const before = listing(dir);
      const r = await exec('cargo rally init (edited main.rs)', CLI, ['rally', 'init'], { cwd: dir, timeoutS: 60 });
      assert(r.code !== 0, `init exited 0 in a crate with an edited src/main.rs; stderr:\n${r.stderr}`);
      assertEq(r.code, 1, 'init exit code');
      assert(/refusing to overwrite src\/main\.rs/.test(r.stderr), `init's error does not name src/main.rs:\n${r.stderr}`);
      assertEq(listing(dir), before, 'files after the refused init');
    });

    return await run('downstream');
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    if (cluster) await cluster.stop();
    rmSync(parent, { recursive: true, force: true });
  }
}
