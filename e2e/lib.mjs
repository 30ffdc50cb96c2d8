// Shared helpers for the browser tests: Debian Chromium through playwright-core, servers started
// on 127.0.0.1 with a free port, and a tiny test runner that prints one closing line.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium chromium-driver) or set CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// Starts a server binary with ADDR=127.0.0.1:0 and resolves with its base URL once it prints
/// `listening on http://…`.
export function startServer(binary, env = {}, cwd = root) {
  const path = join(root, binary);
  if (!existsSync(path)) throw new Error(`${path} is missing: build it first (cargo build --workspace)`);
  const child = spawn(path, [], {
    cwd,
    env: { ...process.env, ADDR: '127.0.0.1:0', RUST_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s; stderr:\n${stderr}`)), 20000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}; stderr:\n${stderr}`)); });
  });
}

/// Starts a throwaway Postgres (the `cluster` example of rally-sql) with a database `name` and
/// resolves with its URL; `stop()` closes the example's stdin, which stops the server and
/// removes its directory (so does this process exiting).
export function startPostgres(name) {
  const path = join(root, 'target/debug/examples/cluster');
  if (!existsSync(path)) throw new Error(`${path} is missing: cargo build -p rally-sql --features postgres --examples`);
  const child = spawn(path, [name], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Postgres did not start in 30 s; stderr:\n${stderr}`)), 30000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^(postgres:\/\/\S+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => new Promise((r) => { child.once('exit', r); child.stdin.end(); }) });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`Postgres exited with ${code}; stderr:\n${stderr}`)); });
  });
}

const tests = [];
/// Registers a test.
export function test(name, fn) { tests.push({ name, fn }); }

/// Runs registered tests in order; prints `N passed, M failed` and returns the failure count.
export async function run(suite) {
  let passed = 0, failed = 0;
  for (const { name, fn } of tests.splice(0)) {
    const start = Date.now();
    try {
      await fn();
      passed++;
      console.log(`  ok   ${suite} › ${name} (${Date.now() - start} ms)`);
    } catch (e) {
      failed++;
      console.log(`  FAIL ${suite} › ${name}\n${String(e && e.stack || e).replace(/^/gm, '       ')}`);
    }
  }
  return { passed, failed };
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export function assertEq(actual, expected, message) {
  const a = JSON.stringify(actual), b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${message}: expected ${b}, got ${a}`);
}

const AXE = join(root, 'e2e/node_modules/axe-core/axe.min.js');

/// The accessibility violations axe-core finds in the page as it is now (WCAG 2.1 A and AA
/// rules), each as `rule (impact): selector, …`. The page's context needs `bypassCSP: true`:
/// axe is injected as a script, which a strict CSP rightly refuses.
export async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} node(s): ${v.nodes.slice(0, 4).join(', ')}`);
}
