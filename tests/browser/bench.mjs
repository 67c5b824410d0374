// The page's speed in a real browser, for `cargo xtask bench page`:
//   node tests/browser/bench.mjs BASE_URL STATION [RUNS]
// opens the page on the station (its whole series plotted), `RUNS` times
// in a fresh browser context, and prints the browser's own performance
// measures as JSON: the map's first render (from navigation start to every
// marker drawn), the stations' request and drawing, the series' request
// and parse, and the plot's drawing.
import { launch } from './harness.mjs';

const [base, station, runs = '3'] = process.argv.slice(2);
if (!base || !station) {
  console.error('usage: node tests/browser/bench.mjs BASE_URL STATION [RUNS]');
  process.exit(2);
}
const browser = await launch();
const out = [];
try {
  for (let i = 0; i < Number(runs); i += 1) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#dataset=hourly/air_temperature&station=${station}&series=hourly/air_temperature&parameters=temperature_air_2m`);
    await page.waitForSelector('[data-testid=map][data-state=ready]', { timeout: 60000 });
    await page.waitForSelector('[data-testid=plot][data-state=drawn]', { timeout: 120000 });
    const m = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('measure').map((e) => [e.name, e.duration])));
    const markers = await page.locator('[data-testid=station-marker]').count();
    const points = Number(await page.getByTestId('plot').getAttribute('data-points'));
    out.push({ markers, points, ...m, errors });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
