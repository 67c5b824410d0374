// The page of `climastation serve`, in a real browser (Debian's Chromium,
// headless, driven by playwright-core) against a real server on an archive
// of the bundled sample, made by a real run from a DWD-like HTTP mirror.
//
//   node --test tests/browser/page.test.mjs
//
// CLIMASTATION_BIN: the binary (default target/debug/climastation);
// CHROMIUM: the browser (default /usr/bin/chromium); SHOTS: where the
// screenshots go (default target/browser-shots).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, truncateSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { api, climastation, launch, repo, scratch, startMirror, startServer, writeConfig, bin } from './harness.mjs';

const shots = resolve(repo, process.env.SHOTS || 'target/browser-shots');
mkdirSync(shots, { recursive: true });

let mirror;
let server;
let browser;
let dir;
let config;

before(async () => {
  // a slow mirror: each file takes 150 ms, so the run lasts seconds
  mirror = await startMirror({ delayMs: 150 });
  dir = scratch('page');
  config = writeConfig(dir, mirror.url);
  await climastation(config, 'crawl');
  server = await startServer(config);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (mirror) await mirror.close();
});

// the archive is converted by the first test's run (watched live); a test
// run alone (--test-name-pattern) makes it first
let converted = null;
const ensureConverted = () => {
  if (!converted) converted = climastation(config, 'run', '--processor', 'dwd');
  return converted;
};

/** A page that records every console error, page error and failed request. */
async function open(path) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const trouble = [];
  page.on('console', (m) => { if (m.type() === 'error') trouble.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => trouble.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // an event stream closed by the page itself is not a failure
    if (!r.url().includes('/status/stream')) trouble.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) trouble.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(new URL(path, server.url).href);
  return { page, trouble, close: () => context.close() };
}

const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`) });

test('the progress view follows a run in another process', async () => {
  const { page, trouble, close } = await open('#view=status');
  const view = page.getByTestId('status');
  await view.locator('tbody tr').first().waitFor();
  const total = Number(await view.getAttribute('data-total'));
  assert.ok(total > 20, `the crawl registered ${total} files`);
  assert.equal(await view.getAttribute('data-completed'), '0');
  const seen = new Set(['0']);
  const run = spawn(bin, ['--config', config, 'run', '--processor', 'dwd'], { stdio: 'ignore' });
  const ran = new Promise((ok) => run.on('exit', ok));
  converted = ran;
  let exited = null;
  ran.then((code) => { exited = code; });
  // every count the page shows while the run goes
  while (exited === null) {
    seen.add(await view.getAttribute('data-completed'));
    if (seen.size === 3) await shot(page, 'progress');
    await page.waitForTimeout(200);
  }
  assert.equal(exited, 0, 'the run succeeded');
  await page.waitForFunction((t) => document.querySelector('[data-testid=status]').dataset.completed === String(t), total, { timeout: 5000 });
  seen.add(String(total));
  const counts = [...seen].map(Number).sort((a, b) => a - b);
  assert.ok(counts.length >= 3, `counts shown while the run went: ${counts} (want 0, some between, ${total})`);
  const row = view.locator('tr[data-dataset="hourly/air_temperature"] [data-field=completed]');
  const apiRow = (await api(server.url, 'api/v1/status')).datasets.find((d) => d.dataset === 'hourly/air_temperature');
  assert.equal(await row.textContent(), `${apiRow.counts.completed} / ${apiRow.total}`);
  if (seen.size < 3) await shot(page, 'progress');
  assert.deepEqual(trouble, []);
  await close();
});

test('the map shows exactly the stations the API returns', async () => {
  await ensureConverted();
  const { page, trouble, close } = await open('#dataset=hourly/air_temperature');
  await page.waitForSelector('[data-testid=map][data-state=ready]');
  const expected = (await api(server.url, 'api/v1/stations?dataset=hourly/air_temperature')).stations;
  const shown = await page.$$eval('[data-testid=map] [data-testid=station-marker]', (els) => els.map((e) => ({ id: Number(e.dataset.stationId), series: e.dataset.series })));
  assert.equal(shown.length, expected.length);
  assert.deepEqual(shown.map((s) => s.id).sort((a, b) => a - b), expected.map((s) => s.station_id).sort((a, b) => a - b));
  // coloured by whether a station has a converted series
  const withSeries = expected.filter((s) => s.series_rows > 0).map((s) => s.station_id).sort();
  assert.ok(withSeries.length > 0);
  assert.deepEqual(shown.filter((s) => s.series === 'yes').map((s) => s.id).sort(), withSeries);
  await shot(page, 'map');
  // another dataset: its stations
  await page.getByTestId('dataset').selectOption('daily/kl');
  await page.waitForFunction(() => document.querySelector('[data-testid=map]').dataset.state === 'ready'
    && location.hash.includes('daily%2Fkl'));
  const daily = (await api(server.url, 'api/v1/stations?dataset=daily/kl')).stations;
  assert.equal(await page.locator('[data-testid=station-marker]').count(), daily.length);
  assert.deepEqual(trouble, []);
  await close();
});

test('a station opens its panel: facts, coverage, a plot whose tooltip equals the API, stripes', async () => {
  await ensureConverted();
  const { page, trouble, close } = await open('#dataset=hourly/air_temperature');
  await page.waitForSelector('[data-testid=map][data-state=ready]');
  // find it by the search box (zooms there), then click its marker
  await page.getByTestId('search').fill('320');
  await page.getByTestId('search').press('Enter');
  await page.getByTestId('search').dispatchEvent('change');
  await page.getByTestId('station-panel').waitFor();
  await page.locator('[data-testid=station-marker][data-station-id="320"]').click();
  const listed = (await api(server.url, 'api/v1/stations?dataset=hourly/air_temperature&stations=320')).stations[0];
  await assert.doesNotReject(page.getByTestId('station-name').filter({ hasText: listed.name }).waitFor());
  assert.equal(await page.getByTestId('station-height').textContent(), `${listed.height_m} m`);
  // the coverage chart: every dataset of the station, every year with rows
  const coverage = await api(server.url, 'api/v1/coverage?station=320');
  await page.getByTestId('coverage').waitFor();
  for (const d of coverage.datasets) {
    const years = await page.$$eval(`[data-testid=coverage] g[data-dataset="${d.dataset}"] rect[data-year]`, (els) => els.map((e) => [Number(e.dataset.year), Number(e.dataset.rows)]));
    assert.deepEqual(years, d.years.map((y) => [y.year, y.rows]), d.dataset);
  }
  // the plot has drawn pixels
  const plot = page.getByTestId('plot');
  await page.waitForSelector('[data-testid=plot][data-state=drawn]');
  const inked = await page.$eval('[data-testid=plot-canvas]', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
    return n;
  });
  assert.ok(inked > 500, `${inked} pixels drawn`);
  // the tooltip at a point of the plot shows the API's value at that time
  const over = plot.locator('.u-over');
  const box = await over.boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const tip = page.getByTestId('plot-tooltip');
  await tip.waitFor();
  const time = await tip.getAttribute('data-time');
  const shownValue = await tip.locator('[data-param=temperature_air_2m]').getAttribute('data-value');
  const text = await tip.textContent();
  const series = await api(server.url, 'api/v1/series?dataset=hourly/air_temperature&station=320');
  const row = series.rows.find((r) => r.timestamp_utc === time);
  assert.ok(row, `the API has a row at ${time}`);
  assert.equal(Number(shownValue), row.temperature_air_2m);
  assert.match(text, new RegExp(`temperature_air_2m: ${row.temperature_air_2m} °C, quality level ${row.air_temperature_quality}`));
  await shot(page, 'station');
  // zoom and pan by the plot's buttons
  const range = async () => ['data-from', 'data-to'].map(async (a) => Date.parse(await plot.getAttribute(a)));
  const [from0, to0] = await Promise.all(await range());
  await page.getByTestId('plot-zoom-in').click();
  const [from1, to1] = await Promise.all(await range());
  assert.ok(Math.abs((to1 - from1) - (to0 - from0) / 2) < 2000, `zoomed in: ${from1}..${to1} from ${from0}..${to0}`);
  await page.getByTestId('plot-earlier').click();
  const [from2] = await Promise.all(await range());
  assert.ok(from2 < from1, 'panned to earlier times');
  // downloads of what is shown
  const csv = await (await fetch(new URL(await page.getByTestId('download-csv').getAttribute('href'), server.url))).text();
  assert.equal(csv.trim().split('\n').length, series.rows.length + 1);
  assert.deepEqual(trouble, []);
  await close();
});

test('warming stripes: one stripe a year of the station\'s annual means', async () => {
  await ensureConverted();
  const { page, trouble, close } = await open('#dataset=annual/kl&station=44');
  await page.getByTestId('stripes').waitFor();
  const annual = await api(server.url, 'api/v1/series?dataset=annual/kl&station=44&parameters=temperature_air_mean_2m');
  const years = annual.rows.filter((r) => r.temperature_air_mean_2m !== null).map((r) => [Number(r.timestamp_utc.slice(0, 4)), r.temperature_air_mean_2m]);
  assert.ok(years.length > 1);
  const stripes = await page.$$eval('[data-testid=stripes] rect', (els) => els.map((e) => [Number(e.dataset.year), Number(e.dataset.value)]));
  assert.deepEqual(stripes, years);
  // warmer than the mean: red; colder: blue
  const fills = await page.$$eval('[data-testid=stripes] rect', (els) => els.map((e) => e.getAttribute('fill')));
  const mean = years.reduce((s, y) => s + y[1], 0) / years.length;
  years.forEach(([, v], i) => {
    const [r, , b] = fills[i].match(/\d+/g).map(Number);
    if (v > mean + 0.05) assert.ok(r > b, `${years[i]} is warm: ${fills[i]}`);
    if (v < mean - 0.05) assert.ok(b > r, `${years[i]} is cold: ${fills[i]}`);
  });
  await page.getByTestId('stripes').scrollIntoViewIfNeeded();
  await shot(page, 'stripes');
  assert.deepEqual(trouble, []);
  await close();
});

test('a click on the map shows the values there, a line to each station used', async () => {
  await ensureConverted();
  // the map near station 320 (the view in the URL), then a click on it
  // a few km from the station
  const { page, trouble, close } = await open('#dataset=hourly/air_temperature&map=49.95,11.5,10');
  await page.waitForSelector('[data-testid=map][data-state=ready]');
  const target = { lat: 49.95, lon: 11.5 };
  const xy = await page.locator('[data-testid=station-marker][data-station-id="320"]').boundingBox();
  await page.mouse.click(xy.x + xy.width / 2 - 30, xy.y + xy.height / 2 + 30);
  await page.getByTestId('values-panel').waitFor();
  await page.waitForFunction(() => ['drawn', 'empty', 'error'].includes(document.querySelector('[data-testid=values-plot]')?.dataset.state));
  const hash = new URLSearchParams(await page.evaluate(() => location.hash.slice(1)));
  assert.ok(Math.abs(Number(hash.get('lat')) - target.lat) < 0.1 && Math.abs(Number(hash.get('lon')) - target.lon) < 0.1, hash.toString());
  const q = new URLSearchParams({ lat: hash.get('lat'), lon: hash.get('lon'), resolution: 'hourly', parameters: 'temperature_air_2m', method: 'idw' });
  const values = await api(server.url, `api/v1/values?${q}`);
  assert.ok(values.rows.length > 0, `values there: ${values.empty}`);
  const used = values.rows[0].temperature_air_2m_stations;
  const lines = await page.$$eval('[data-testid=values-line]', (els) => els.map((e) => Number(e.dataset.stationId)));
  assert.deepEqual(lines.sort(), [...used].sort());
  const listed = await page.$$eval('[data-testid=values-stations] li', (els) => els.map((e) => Number(e.dataset.stationId)));
  assert.deepEqual(listed.sort(), [...used].sort());
  await page.waitForSelector('[data-testid=values-plot][data-state=drawn]');
  await shot(page, 'values');
  assert.deepEqual(trouble, []);
  await close();
});

test('a box or a circle drawn on the map selects the stations the API has in it, and says how to fetch them', async () => {
  await ensureConverted();
  const { page, trouble, close } = await open('#dataset=hourly/air_temperature');
  await page.waitForSelector('[data-testid=map][data-state=ready]');
  await page.getByLabel('selects a box').check();
  const map = await page.getByTestId('map').boundingBox();
  const [x0, y0] = [map.x + map.width * 0.45, map.y + map.height * 0.35];
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x0 + 150, y0 + 120, { steps: 5 });
  await page.mouse.up();
  const query = page.getByTestId('selection-query');
  await query.waitFor();
  const lines = (await query.textContent()).split('\n');
  const curl = lines[0].match(/curl '([^']+)'/)[1];
  assert.match(lines[1], /^climastation stations --dataset hourly\/air_temperature --bbox [\d.,-]+$/);
  assert.match(lines[2], /climastation\.stations\("hourly\/air_temperature", bbox=\(/);
  const answer = await api(server.url, curl);
  assert.ok(answer.stations.length > 0, 'stations in the box');
  const selected = await page.$$eval('[data-testid=station-marker][data-selected]', (els) => els.map((e) => Number(e.dataset.stationId)));
  assert.deepEqual(selected.sort((a, b) => a - b), answer.stations.map((s) => s.station_id).sort((a, b) => a - b));
  await shot(page, 'selection');
  // a circle: near and radius
  await page.getByLabel('selects a circle').check();
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x0 + 90, y0, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector('[data-testid=selection-query]')?.textContent.includes('--near'));
  const circle = (await query.textContent()).split('\n');
  assert.match(circle[1], /^climastation stations --dataset hourly\/air_temperature --near [\d.]+,[\d.]+ --radius [\d.]+$/);
  assert.match(circle[2], /near=\([\d.]+, [\d.]+\), radius_km=[\d.]+/);
  const inCircle = await api(server.url, circle[0].match(/curl '([^']+)'/)[1]);
  const picked = await page.$$eval('[data-testid=station-marker][data-selected]', (els) => els.map((e) => Number(e.dataset.stationId)));
  assert.deepEqual(picked.sort((a, b) => a - b), inCircle.stations.map((s) => s.station_id).sort((a, b) => a - b));
  assert.ok(inCircle.stations.length > 0);
  assert.deepEqual(trouble, []);
  await close();
});

test('a station\'s climate normals are DWD\'s as the API gives them, with a series or without', async () => {
  await ensureConverted();
  // every cell of every period's table is the API's value
  const shown = async (page, id) => {
    const datasets = await page.$$eval('[data-testid=normals] table', (ts) => ts.map((t) => t.dataset.dataset));
    for (const dataset of datasets) {
      const [, period, obsolete] = dataset.match(/mean_(\d\d-\d\d)(_obsolete)?$/);
      const rows = (await api(server.url, `api/v1/normals?period=${period}&stations=${id}${obsolete ? '&obsolete=true' : ''}`)).rows;
      const cells = await page.$$eval(`[data-testid=normals] table[data-dataset="${dataset}"] td[data-month]`, (tds) => tds
        .filter((td) => td.dataset.value !== '')
        .map((td) => { const tr = td.closest('tr'); return [tr.dataset.parameter, tr.dataset.locationRule, td.dataset.month, Number(td.dataset.value)]; }));
      const want = rows.filter((r) => r.value !== null)
        .map((r) => [r.parameter, r.location_rule ?? '', r.month === null ? 'year' : String(r.month), r.value]);
      const order = (a) => a.map((x) => JSON.stringify(x)).sort();
      assert.deepEqual(order(cells), order(want), dataset);
    }
    return datasets;
  };
  // Potsdam, found on the map of the 1961-1990 normals: a monthly series,
  // normals of three periods and the older ones of 1981-2010
  let { page, trouble, close } = await open('#dataset=multi_annual%2Fmean_61-90&station=3987');
  await page.locator('[data-testid=normals] table[data-dataset="multi_annual/mean_61-90"]').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=normals]').textContent.includes('reading'));
  const potsdam = await shown(page, 3987);
  assert.deepEqual(potsdam, ['multi_annual/mean_61-90', 'multi_annual/mean_81-10', 'multi_annual/mean_91-20', 'multi_annual/mean_81-10_obsolete']);
  const july = page.locator('[data-testid=normals] table[data-dataset="multi_annual/mean_61-90"] tr[data-parameter=temperature_air_mean_2m] td[data-month="7"]');
  assert.equal(await july.textContent(), '17.9');
  await page.locator('[data-testid=coverage] g[data-dataset="monthly/kl"]').waitFor();
  await page.getByTestId('normals').scrollIntoViewIfNeeded();
  await shot(page, 'normals');
  assert.deepEqual(trouble, []);
  await close();
  // Leipzig/Halle: no series here, DWD's normals all the same (the older
  // ones at the station's fixed place among them)
  ({ page, trouble, close } = await open('#dataset=multi_annual%2Fmean_81-10_obsolete&station=2932'));
  await page.locator('[data-testid=normals] table[data-dataset="multi_annual/mean_81-10_obsolete"]').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=normals]').textContent.includes('reading'));
  assert.ok((await shown(page, 2932)).includes('multi_annual/mean_91-20'));
  const fixed = page.locator('[data-testid=normals] table[data-dataset="multi_annual/mean_81-10_obsolete"] tr[data-location-rule=fixed] td[data-month="7"]');
  assert.equal(await fixed.textContent(), '228');
  assert.match(await page.locator('#coverage-box').textContent(), /no converted dataset has a series of station 02932/);
  assert.deepEqual(trouble, []);
  await close();
  // a station DWD has no normals of: said, not an empty box
  ({ page, trouble, close } = await open('#dataset=hourly%2Fprecipitation&station=20'));
  const none = page.getByTestId('normals-empty');
  await none.waitFor();
  assert.match(await none.textContent(), /^No normals of station 00020: multi_annual\/mean_61-90: no station of the 1961-1990 normals/);
  assert.deepEqual(trouble, []);
  await close();
});

test('the view is in the URL: a shared link opens the same station and span', async () => {
  await ensureConverted();
  const { page, trouble, close } = await open('#dataset=daily%2Fkl&station=4271&series=daily%2Fkl&parameters=temperature_air_max_2m&start=2023-01-01&end=2023-01-31');
  await page.waitForSelector('[data-testid=plot][data-state=drawn]');
  assert.equal(await page.locator('#plot-dataset').inputValue(), 'daily/kl');
  assert.equal(await page.locator('#plot-start').inputValue(), '2023-01-01');
  const chosen = await page.$$eval('#plot-parameters option:checked', (os) => os.map((o) => o.value));
  assert.deepEqual(chosen, ['temperature_air_max_2m']);
  const api1 = await api(server.url, 'api/v1/series?dataset=daily/kl&station=4271&parameters=temperature_air_max_2m&start=2023-01-01&end=2023-01-31');
  assert.equal(await page.getByTestId('plot').getAttribute('data-points'), String(api1.rows.length));
  assert.deepEqual(trouble, []);
  await close();
});

test('keyboard, phone and dark: a marker opens by Enter; a narrow dark screen keeps its width', async () => {
  await ensureConverted();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const trouble = [];
  page.on('pageerror', (e) => trouble.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') trouble.push(m.text()); });
  await page.goto(new URL('#dataset=daily/kl', server.url).href);
  await page.waitForSelector('[data-testid=map][data-state=ready]');
  const marker = page.locator('[data-testid=station-marker][data-station-id="4271"]');
  await marker.focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('station-panel').waitFor();
  const listed = (await api(server.url, 'api/v1/stations?dataset=daily/kl&stations=4271')).stations[0];
  await page.getByTestId('station-name').filter({ hasText: listed.name }).waitFor();
  await page.waitForSelector('[data-testid=plot][data-state=drawn]');
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `the page is ${scroll} px wide on a ${width} px screen`);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(20, 23, 27)', 'dark by the system setting');
  await page.getByTestId('station-panel').scrollIntoViewIfNeeded();
  await shot(page, 'phone-dark');
  assert.deepEqual(trouble, []);
  await context.close();
});

test('an API error is shown as a message, not a blank panel', async () => {
  await ensureConverted();
  // damage the station's series: the server refuses it (409), and says why
  const series = join(dir, 'data', 'output', 'hourly', 'air_temperature', 'series', '00320.parquet');
  truncateSync(series, statSync(series).size - 7);
  const { page, close } = await open('#dataset=hourly/air_temperature&station=320');
  const problem = page.getByTestId('panel-error').first();
  await problem.waitFor();
  const text = await problem.textContent();
  const r = await fetch(new URL('api/v1/coverage?station=320', server.url));
  assert.equal(r.status, 409);
  const detail = (await r.json()).detail;
  assert.ok(text.includes(detail), `the page says the API's words: ${text}`);
  assert.match(text, /409/);
  await shot(page, 'error');
  await close();
});
