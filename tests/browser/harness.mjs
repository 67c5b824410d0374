// What the browser tests and the page benchmark share: the bundled DWD
// mirror served over HTTP as DWD's server lists it (nginx autoindex pages,
// files slowed on demand, so a run lasts long enough to be watched), an
// archive's configuration, `climastation serve` started as a real
// process, and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(repo, 'crates', 'climastation', 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const bin = resolve(repo, process.env.CLIMASTATION_BIN || 'target/debug/climastation');
export const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';

/** A folder of the test's own (kept: CI shows what was made). */
export function scratch(name) {
  return mkdtempSync(join(tmpdir(), `climastation-${name}-`));
}

/**
 * The bundled mirror (tests/data/dwd) over HTTP on loopback, as DWD's
 * server shows it: folders as nginx autoindex pages, files as bytes, each
 * file after `delayMs`.
 */
export async function startMirror({ delayMs = 0 } = {}) {
  const root = join(repo, 'tests', 'data', 'dwd');
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const full = normalize(join(root, path));
    if (!(full + sep).startsWith(root + sep) && full !== root) {
      res.writeHead(404).end();
      return;
    }
    let st;
    try { st = statSync(full); } catch { res.writeHead(404).end('not found'); return; }
    if (st.isDirectory()) {
      if (!path.endsWith('/')) { res.writeHead(301, { location: `${path}/` }).end(); return; }
      const lines = readdirSync(full).sort().map((name) => {
        const s = statSync(join(full, name));
        const href = s.isDirectory() ? `${name}/` : name;
        const size = s.isDirectory() ? '-' : String(s.size);
        return `<a href="${href}">${href}</a>${' '.repeat(Math.max(1, 51 - href.length))}22-Nov-2021 16:18:02 ${size.padStart(19)}`;
      });
      const body = `<html>\r\n<head><title>Index of ${path}</title></head>\r\n<body>\r\n<h1>Index of ${path}</h1><hr><pre><a href="../">../</a>\r\n${lines.join('\r\n')}\r\n</pre><hr></body>\r\n</html>\r\n`;
      res.writeHead(200, { 'content-type': 'text/html' }).end(body);
      return;
    }
    const send = () => res
      .writeHead(200, { 'content-length': st.size, 'last-modified': st.mtime.toUTCString() })
      .end(req.method === 'HEAD' ? undefined : readFileSync(full));
    if (delayMs) setTimeout(send, delayMs); else send();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** A configuration in `dir` with the sample's datasets, `source` as the source, its data under `dir/data`. */
export function writeConfig(dir, source) {
  const sample = readFileSync(join(repo, 'config', 'sample.yaml'), 'utf8');
  const text = sample.replace(/^\s*base_url:.*$/m, `  base_url: ${source}`)
    + '\npaths:\n  data_dir: data\n  progress_db: data/progress_tracking.db\n  raw: data/raw\n  output: data/output\n  logs: data/logs\n'
    + 'processing:\n  workers: 2\n';
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

/**
 * `climastation --config config …args`, awaited (not synchronously: the
 * mirror it may read runs in this process); its output if it fails.
 */
export function climastation(config, ...args) {
  const proc = spawn(bin, ['--config', config, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  return new Promise((ok, fail) => proc.on('exit', (code) => (code === 0
    ? ok(out)
    : fail(new Error(`climastation ${args.join(' ')} exited ${code}: ${out}`)))));
}

/** `climastation serve` on a free loopback port; resolves with its URL once it listens. */
export function startServer(config) {
  if (!existsSync(bin)) throw new Error(`no binary at ${bin}: build it first (cargo build), or set CLIMASTATION_BIN`);
  const proc = spawn(bin, ['--config', config, 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the server did not start in 30 s: ${said}`)), 30000);
    proc.stderr.on('data', (d) => {
      said += d;
      const m = said.match(/on (http:\/\/[^\s]+\/) /);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], proc, stop: () => stop(proc) });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`the server exited ${code}: ${said}`)); });
  });
}

function stop(proc) {
  return new Promise((ok) => {
    if (proc.exitCode !== null) { ok(proc.exitCode); return; }
    proc.on('exit', (code) => ok(code));
    proc.kill('SIGTERM');
  });
}

/** Headless Chromium, as this machine runs it (no sandbox as root; no calls home). */
export async function launch() {
  if (!existsSync(browserPath)) throw new Error(`no Chromium at ${browserPath}: apt-get install -y chromium (or set CHROMIUM)`);
  return chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** JSON of an endpoint, read by the test itself (not through the page). */
export async function api(base, path) {
  const r = await fetch(new URL(path, base));
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}
