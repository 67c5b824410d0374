// The page of `climastation serve`: stations on a map, a station's
// coverage, plot and warming stripes, values at a click, and a run's
// progress live. Built only on the public /api/v1/ endpoints; the view is
// kept in the URL's fragment so it can be shared.
import { get, url, explain } from './api.js';
import { coverageChart, stripes, seriesPlot } from './charts.js';

const $ = (id) => document.getElementById(id);
const h = (tag, attrs, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
};
const pad5 = (id) => String(id).padStart(5, '0');
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

// ---- the view in the URL -------------------------------------------------
const view = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
function keep(changes) {
  Object.assign(view, changes);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(view)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  history.replaceState(null, '', `#${q}`);
}

// ---- errors: said, never a blank panel -----------------------------------
function showError(text) {
  const e = $('error');
  e.textContent = text;
  e.hidden = false;
}
function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}
function problemIn(box, text) {
  box.replaceChildren(h('p', { role: 'alert', class: 'problem', 'data-testid': 'panel-error', text }));
}

// ---- the catalog ---------------------------------------------------------
const catalog = { datasets: [], byName: new Map() };

/** A dataset's numeric parameters that are values (not quality levels). */
function valueParameters(dataset) {
  const d = catalog.byName.get(dataset);
  if (!d) return [];
  // a name may stand for several DWD codes (the files' versions): once
  const seen = new Set();
  return d.parameters.filter((p) => p.kind === 'number' && p.unit !== 'code' && !p.name.startsWith('quality')
    && !seen.has(p.name) && seen.add(p.name));
}
function unitOf(dataset, name) {
  const p = catalog.byName.get(dataset)?.parameters.find((x) => x.name === name);
  return p ? p.unit : '';
}

async function loadCatalog() {
  const datasets = await get('datasets', { archived: true });
  catalog.datasets = datasets.datasets.filter((d) => d.converted);
  const present = new Set(catalog.datasets.map((d) => d.name));
  for (const d of datasets.datasets) catalog.byName.set(d.name, d);
  const select = $('dataset');
  select.replaceChildren(...catalog.datasets.map((d) => h('option', { value: d.name, text: d.name })));
  if (!catalog.datasets.length) {
    showError('The archive has no converted dataset yet: run `climastation run` first (the progress view shows what is registered and done).');
    return;
  }
  const wanted = view.dataset && present.has(view.dataset) ? view.dataset
    : (present.has('hourly/air_temperature') ? 'hourly/air_temperature' : catalog.datasets[0].name);
  select.value = wanted;
  keep({ dataset: wanted });
}

// ---- the map -------------------------------------------------------------
let map;
let markers;
let overlay;
// markers are SVG elements: each carries its station id (tests, screen readers)
let renderer;
const stations = new Map();
let stationsRequest = 0;

function baseMap() {
  const tiles = document.querySelector('meta[name="climastation-tiles"]').content;
  if (tiles && !tiles.startsWith('{{')) {
    const attribution = document.querySelector('meta[name="climastation-tile-attribution"]').content;
    L.tileLayer(tiles, { attribution, maxZoom: 18 }).addTo(map);
    return Promise.resolve();
  }
  return fetch('static/vendor/basemap.json').then((r) => r.json()).then((b) => {
    L.geoJSON(b.countries, {
      interactive: false,
      style: (f) => ({ color: css('--border'), weight: 0.6, fillColor: f.properties.name === 'Germany' ? css('--land-de') : css('--land'), fillOpacity: 1 }),
    }).addTo(map);
    L.geoJSON(b.states, { interactive: false, style: { color: css('--border'), weight: 0.8, fill: false } }).addTo(map);
    map.attributionControl.addAttribution('Natural Earth');
  });
}

function initMap() {
  // the map's place is part of the view: `map=lat,lon,zoom`
  const [lat, lon, zoom] = (view.map || '').split(',').map(Number);
  const place = [lat, lon, zoom].every(Number.isFinite) ? [[lat, lon], zoom] : [[51.2, 10.4], 6];
  map = L.map('map', { minZoom: 4, maxZoom: 14, zoomSnap: 0.25, boxZoom: false }).setView(...place);
  map.on('moveend', () => {
    const c = map.getCenter();
    keep({ map: `${c.lat.toFixed(4)},${c.lng.toFixed(4)},${map.getZoom()}` });
  });
  map.attributionControl.setPrefix(false);
  renderer = L.svg({ padding: 0.3 });
  markers = L.featureGroup().addTo(map);
  overlay = L.featureGroup().addTo(map);
  map.on('click', (e) => {
    if (mode() === 'values') openValues(e.latlng.lat, e.latlng.lng);
  });
  initSelection();
  return baseMap();
}

const mode = () => document.querySelector('input[name=mode]:checked').value;

function stationParams() {
  const from = $('active-from').value.trim();
  const to = $('active-to').value.trim();
  return {
    dataset: $('dataset').value,
    active: from || to ? `${from || '1700'}..${to || '2100'}` : undefined,
    name: $('name').value.trim() || undefined,
  };
}

async function loadStations() {
  const mine = ++stationsRequest;
  const params = stationParams();
  keep({ dataset: params.dataset, active: params.active, name: params.name });
  const t0 = performance.now();
  $('map').dataset.state = 'loading';
  let answer;
  try {
    answer = await get('stations', params);
  } catch (e) {
    if (mine !== stationsRequest) return;
    markers.clearLayers();
    stations.clear();
    $('count').value = '';
    $('map').dataset.state = 'error';
    showError(explain(e, `The stations of ${params.dataset}`));
    return;
  }
  if (mine !== stationsRequest) return;
  clearError();
  drawStations(answer.stations);
  const t1 = performance.now();
  performance.measure('map:stations', { start: t0, end: t1 });
  performance.measure('map:first', { start: 0, end: t1 });
  const withSeries = answer.stations.filter((s) => s.series_rows > 0).length;
  $('count').value = answer.stations.length
    ? `${answer.stations.length.toLocaleString('en')} stations, ${withSeries.toLocaleString('en')} with a series`
    : `no station in ${params.dataset}${answer.selection === 'everything' ? ' yet' : ` (${answer.selection})`}`;
  $('map').dataset.state = 'ready';
  $('map').dataset.stations = String(answer.stations.length);
}

function drawStations(list) {
  markers.clearLayers();
  stations.clear();
  const series = css('--series');
  const listed = css('--listed');
  const names = [];
  for (const s of list) {
    const has = s.series_rows > 0;
    const m = L.circleMarker([s.latitude, s.longitude], {
      renderer, radius: has ? 5 : 4, weight: 1.2, color: has ? series : listed,
      fillColor: has ? series : listed, fillOpacity: has ? 0.8 : 0.05, className: 'station',
      bubblingMouseEvents: false,
    });
    m.on('click', () => openStation(s.station_id));
    markers.addLayer(m);
    const path = m.getElement();
    path.setAttribute('data-testid', 'station-marker');
    path.setAttribute('data-station-id', String(s.station_id));
    path.setAttribute('data-series', has ? 'yes' : 'no');
    path.setAttribute('tabindex', '0');
    path.setAttribute('role', 'button');
    path.setAttribute('aria-label', `${s.name}, station ${pad5(s.station_id)}${has ? '' : ', no series'}`);
    path.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        openStation(s.station_id);
      }
    });
    m.bindTooltip(`${s.name} (${pad5(s.station_id)})`);
    stations.set(s.station_id, { s, m });
    names.push(h('option', { value: `${s.name} (${pad5(s.station_id)})` }));
  }
  $('station-names').replaceChildren(...names);
}

function findStation(text) {
  const t = text.trim().toLowerCase();
  if (!t) return null;
  const id = t.match(/\((\d+)\)\s*$/)?.[1] ?? (/^\d+$/.test(t) ? t : null);
  if (id) return stations.get(Number(id))?.s ?? null;
  return [...stations.values()].map((x) => x.s).find((s) => s.name.toLowerCase().includes(t)) ?? null;
}

// ---- box and circle selection --------------------------------------------
function initSelection() {
  let start = null;
  let shape = null;
  map.on('mousedown', (e) => {
    if (mode() === 'values') return;
    map.dragging.disable();
    start = e.latlng;
    overlay.clearLayers();
  });
  map.on('mousemove', (e) => {
    if (!start) return;
    if (shape) overlay.removeLayer(shape);
    shape = mode() === 'box'
      ? L.rectangle(L.latLngBounds(start, e.latlng), { color: css('--chosen'), weight: 1, interactive: false })
      : L.circle(start, { radius: start.distanceTo(e.latlng), color: css('--chosen'), weight: 1, interactive: false });
    overlay.addLayer(shape);
  });
  map.on('mouseup', (e) => {
    if (!start) return;
    map.dragging.enable();
    const from = start;
    start = null;
    shape = null;
    if (from.distanceTo(e.latlng) < 1) return;
    if (mode() === 'box') {
      const b = L.latLngBounds(from, e.latlng);
      selectArea({ bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(3)).join(',') });
    } else {
      selectArea({ near: `${from.lat.toFixed(4)},${from.lng.toFixed(4)}`, radius_km: (from.distanceTo(e.latlng) / 1000).toFixed(1) });
    }
  });
}

async function selectArea(area) {
  const params = { ...stationParams(), ...area };
  const box = $('selection');
  show('selection');
  let answer;
  try {
    answer = await get('stations', params);
  } catch (e) {
    problemIn(box, explain(e, 'The stations in the area'));
    return;
  }
  const chosen = new Set(answer.stations.map((s) => s.station_id));
  for (const [id, { m }] of stations) {
    m.setStyle({ color: chosen.has(id) ? css('--chosen') : (m.getElement().dataset.series === 'yes' ? css('--series') : css('--listed')) });
    m.getElement().toggleAttribute('data-selected', chosen.has(id));
  }
  const origin = `${location.origin}${location.pathname.replace(/[^/]*$/, '')}`;
  const cli = [`climastation stations --dataset ${params.dataset}`];
  const py = [`climastation.stations("${params.dataset}"`];
  if (params.bbox) {
    cli.push(`--bbox ${params.bbox}`);
    py.push(`bbox=(${params.bbox.split(',').join(', ')})`);
  } else {
    cli.push(`--near ${params.near} --radius ${params.radius_km}`);
    py.push(`near=(${params.near.split(',').join(', ')}), radius_km=${params.radius_km}`);
  }
  if (params.active) {
    cli.push(`--active ${params.active}`);
    py.push(`active="${params.active}"`);
  }
  // quoted for a POSIX shell; Python's string is JSON's
  const shell = (t) => `'${t.replace(/'/g, "'\\''")}'`;
  if (params.name) {
    cli.push(`--name ${shell(params.name)}`);
    py.push(`name=${JSON.stringify(params.name)}`);
  }
  const lines = [
    `curl ${shell(`${origin}${url('stations', params)}`)}`,
    cli.join(' '),
    `python -c ${shell(`import climastation; print(${py.join(', ')}))`)}`,
  ];
  box.replaceChildren(
    h('h2', { text: `${answer.stations.length} stations in the ${params.bbox ? 'box' : 'circle'}` }),
    h('p', { class: 'note', text: 'The same stations, fetched without the page:' }),
    h('pre', { class: 'query', 'data-testid': 'selection-query', text: lines.join('\n') }),
    h('ul', {}, answer.stations.slice(0, 200).map((s) => h('li', {},
      h('a', { href: '#', 'data-station-id': s.station_id, onclick: (ev) => { ev.preventDefault(); openStation(s.station_id); }, text: `${s.name} (${pad5(s.station_id)})` })))),
  );
}

// ---- the side panel --------------------------------------------------------
function show(which) {
  for (const id of ['intro', 'selection', 'station', 'values']) $(id).hidden = id !== which;
}

// ---- a station -------------------------------------------------------------
let plot = null;
let panelRequest = 0;

async function openStation(id) {
  const mine = ++panelRequest;
  keep({ station: String(id), lat: undefined, lon: undefined });
  overlay.clearLayers();
  const box = $('station');
  show('station');
  let s = stations.get(id)?.s;
  if (!s) {
    try {
      const answer = await get('stations', { dataset: $('dataset').value, stations: String(id) });
      s = answer.stations[0];
    } catch (e) {
      problemIn(box, explain(e, `Station ${pad5(id)}`));
      return;
    }
    if (!s) {
      problemIn(box, `Station ${pad5(id)} is not in ${$('dataset').value}'s station list.`);
      return;
    }
  }
  const marker = stations.get(id)?.m;
  if (marker) marker.getElement().focus({ preventScroll: true });
  box.replaceChildren(
    h('h2', { 'data-testid': 'station-name', text: s.name }),
    h('dl', { class: 'facts' },
      h('dt', { text: 'Station' }), h('dd', { 'data-testid': 'station-id', text: pad5(s.station_id) }),
      h('dt', { text: 'State' }), h('dd', { text: s.state || '—' }),
      h('dt', { text: 'Height' }), h('dd', { 'data-testid': 'station-height', text: s.height_m === null ? '—' : `${s.height_m} m` }),
      h('dt', { text: 'Place' }), h('dd', { text: `${s.latitude.toFixed(4)}° N, ${s.longitude.toFixed(4)}° E` }),
      h('dt', { text: 'Listed' }), h('dd', { text: `${s.first_date} to ${s.last_date} (${$('dataset').value})` })),
    h('h3', { text: 'Years with rows' }),
    h('div', { id: 'coverage-box', text: 'reading…' }),
    h('h3', { text: 'Series' }),
    h('div', { id: 'plot-controls', class: 'controls' }),
    h('div', { id: 'plot', class: 'plot', 'data-testid': 'plot' }),
    h('p', { id: 'plot-note', class: 'note' }),
    h('p', { id: 'downloads', class: 'downloads' }),
    h('h3', { text: 'Warming stripes' }),
    h('div', { id: 'stripes-box' }),
    h('h3', { text: 'Climate normals' }),
    h('div', { id: 'normals-box', 'data-testid': 'normals', text: 'reading…' }),
  );
  // DWD's normals need no series of the station: drawn whatever its coverage
  drawNormals(s.station_id, mine);
  let coverage;
  try {
    coverage = await get('coverage', { station: id });
  } catch (e) {
    if (mine === panelRequest) problemIn($('coverage-box'), explain(e, `The coverage of station ${pad5(id)}`));
    return;
  }
  if (mine !== panelRequest) return;
  if (!coverage.datasets.length) {
    $('coverage-box').replaceChildren(h('p', { class: 'empty', text: coverage.empty.join('; ') }));
    $('plot').replaceChildren(h('p', { class: 'empty', text: 'Nothing to plot: the station has no converted series.' }));
    $('stripes-box').replaceChildren(h('p', { class: 'empty', text: 'No annual mean air temperature: the station has no converted series.' }));
    return;
  }
  $('coverage-box').replaceChildren(coverageChart(coverage));
  plotControls(s, coverage);
  drawStripes(s, coverage);
}

function plotControls(s, coverage) {
  const datasets = coverage.datasets.map((d) => d.dataset);
  const chosen = datasets.includes(view.series) ? view.series
    : (datasets.includes($('dataset').value) ? $('dataset').value : datasets[0]);
  const dsSelect = h('select', { id: 'plot-dataset' }, datasets.map((d) => h('option', { value: d, text: d })));
  dsSelect.value = chosen;
  const params = h('select', { id: 'plot-parameters', multiple: true, size: 4 });
  const start = h('input', { id: 'plot-start', type: 'date' });
  const end = h('input', { id: 'plot-end', type: 'date' });
  const fill = (dataset, keepView) => {
    const ps = valueParameters(dataset);
    const wanted = keepView && view.parameters ? view.parameters.split(',') : [];
    // the air temperature at 2 m (a mean, or readings at the stamp) first
    const first = ps.find((p) => /^temperature_air_(mean_)?2m$/.test(p.name)) || ps[0];
    params.replaceChildren(...ps.map((p) => h('option', {
      value: p.name, text: `${p.name} (${p.unit})`,
      selected: wanted.length ? wanted.includes(p.name) : p === first,
    })));
    const cov = coverage.datasets.find((d) => d.dataset === dataset);
    // the whole series when it is not too long, else its last year
    const last = cov.years[cov.years.length - 1].year;
    start.value = keepView && view.start ? view.start : (cov.rows > 300000 ? `${last}-01-01` : '');
    end.value = keepView && view.end ? view.end : '';
  };
  fill(chosen, true);
  dsSelect.addEventListener('change', () => { fill(dsSelect.value, false); drawSeries(s); });
  const draw = h('button', { type: 'button', 'data-testid': 'plot-draw', text: 'Draw', onclick: () => drawSeries(s) });
  $('plot-controls').replaceChildren(
    h('label', {}, 'Dataset', dsSelect),
    h('label', {}, 'Parameters', params),
    h('label', {}, 'From', start),
    h('label', {}, 'To', end),
    draw,
  );
  drawSeries(s);
}

async function drawSeries(s) {
  const dataset = $('plot-dataset').value;
  const parameters = [...$('plot-parameters').selectedOptions].map((o) => o.value);
  const start = $('plot-start').value;
  const end = $('plot-end').value;
  keep({ series: dataset, parameters: parameters.join(','), start, end });
  const params = { dataset, station: s.station_id, parameters: parameters.join(','), start, end };
  $('downloads').replaceChildren(
    'Download what is shown: ',
    h('a', { href: url('series', { ...params, format: 'csv' }), download: `${pad5(s.station_id)}_${dataset.replace(/\//g, '_')}.csv`, 'data-testid': 'download-csv', text: 'CSV' }),
    h('a', { href: url('series', { ...params, format: 'parquet' }), download: `${pad5(s.station_id)}_${dataset.replace(/\//g, '_')}.parquet`, 'data-testid': 'download-parquet', text: 'Parquet' }),
  );
  const box = $('plot');
  box.dataset.state = 'loading';
  const t0 = performance.now();
  let table;
  try {
    table = await get('series', params);
  } catch (e) {
    box.dataset.state = 'error';
    problemIn(box, explain(e, `The ${dataset} series of station ${pad5(s.station_id)}`));
    return;
  }
  performance.measure('plot:fetch', { start: t0, end: performance.now() });
  if (plot) { plot.destroy(); plot = null; }
  const columns = parameters.filter((p) => table.columns.includes(p));
  const units = Object.fromEntries(columns.map((c) => [c, table.fields?.[c]?.unit ?? unitOf(dataset, c)]));
  plot = seriesPlot(box, table, columns, units, (c) => table.fields?.[c]?.quality_column);
  const note = $('plot-note');
  if (!plot) {
    box.replaceChildren(h('p', { class: 'empty', 'data-testid': 'plot-empty', text: table.empty.join('; ') || 'no rows' }));
    note.textContent = '';
  } else {
    note.textContent = `${table.rows.length.toLocaleString('en')} rows. Drag to zoom, double-click to reset; times in UTC. ${table.meta.merge_rule ? `Rows: ${table.meta.merge_rule}.` : ''}`;
  }
}

async function drawStripes(s, coverage) {
  const box = $('stripes-box');
  const has = (d) => coverage.datasets.some((c) => c.dataset === d);
  let years = [];
  let source;
  try {
    if (has('annual/kl')) {
      const t = await get('series', { dataset: 'annual/kl', station: s.station_id, parameters: 'temperature_air_mean_2m' });
      years = t.rows.filter((r) => r.temperature_air_mean_2m !== null)
        .map((r) => ({ year: Number(r.timestamp_utc.slice(0, 4)), value: r.temperature_air_mean_2m }));
      source = 'DWD\'s annual means (annual/kl JA_TT)';
    } else if (has('monthly/kl')) {
      const t = await get('series', { dataset: 'monthly/kl', station: s.station_id, parameters: 'temperature_air_mean_2m' });
      const byYear = new Map();
      for (const r of t.rows) {
        if (r.temperature_air_mean_2m === null) continue;
        const y = Number(r.timestamp_utc.slice(0, 4));
        if (!byYear.has(y)) byYear.set(y, []);
        byYear.get(y).push(r.temperature_air_mean_2m);
      }
      years = [...byYear].filter(([, v]) => v.length === 12)
        .map(([year, v]) => ({ year, value: v.reduce((a, b) => a + b, 0) / 12 }));
      source = 'the mean of the 12 monthly means (monthly/kl), years with all 12 months only';
    }
  } catch (e) {
    problemIn(box, explain(e, 'The annual mean air temperature'));
    return;
  }
  if (!years.length) {
    box.replaceChildren(h('p', { class: 'empty', 'data-testid': 'stripes-empty', text: source
      ? `No year with an annual mean air temperature in ${source}.`
      : 'No annual mean air temperature: the station has no annual/kl or monthly/kl series here.' }));
    return;
  }
  years.sort((a, b) => a.year - b.year);
  const drawn = stripes(years, source);
  box.replaceChildren(drawn.svg, h('p', { class: 'note', text: `${years[0].year}–${years[years.length - 1].year}, one stripe a year: ${source}. Colour: the year's mean minus the mean of these years (${drawn.mean.toFixed(2)} °C), blue colder, red warmer.` }));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * DWD's climate normals of a station: a table a converted `multi_annual`
 * dataset (its older `_obsolete` normals marked by their place), as
 * /api/v1/normals gives them; an empty answer says why.
 */
async function drawNormals(id, mine) {
  const box = $('normals-box');
  const sets = catalog.datasets.map((d) => d.name)
    .map((name) => ({ name, m: name.match(/^multi_annual\/mean_(\d\d-\d\d)(_obsolete)?$/) }))
    .filter((d) => d.m);
  if (!sets.length) {
    box.replaceChildren(h('p', { class: 'empty', 'data-testid': 'normals-empty', text: 'No normals here: no multi_annual dataset is converted in this archive.' }));
    return;
  }
  // the periods asked at once, shown in the catalog's order
  const answers = await Promise.all(sets.map(({ name, m }) => get('normals', { period: m[1], stations: String(id), obsolete: m[2] ? 'true' : undefined })
    .then((answer) => ({ name, answer }), (e) => ({ name, problem: explain(e, `The normals of ${name}`) }))));
  if (mine !== panelRequest) return;
  const tables = [];
  const empty = [];
  for (const { name, answer, problem } of answers) {
    if (problem) empty.push(problem);
    else if (answer.rows.length) tables.push(normalsTable(name, answer.rows));
    else empty.push(`${name}: ${answer.empty.join('; ')}`);
  }
  box.replaceChildren(...tables, tables.length
    ? h('p', { class: 'note', text: 'DWD\'s published normals (multi_annual): each month\'s mean over the period\'s 30 years, and the year\'s; source: DWD\'s code for how the normal was formed. Anomalies against them: export or values with anomaly=PERIOD.' })
    : h('p', { class: 'empty', 'data-testid': 'normals-empty', text: `No normals of station ${pad5(id)}: ${empty.join('; ')}` }));
}

/** A period's normals: a line per parameter (and place), the 12 months and the year. */
function normalsTable(dataset, rows) {
  const lines = new Map();
  for (const r of rows) {
    const key = `${r.parameter}\u0000${r.location_rule ?? ''}`;
    if (!lines.has(key)) lines.set(key, { first: r, months: new Map() });
    lines.get(key).months.set(r.month ?? 0, r.value);
  }
  const cell = (line, month) => {
    const v = line.months.get(month);
    return h('td', { class: 'num', 'data-month': month || 'year', 'data-value': v ?? '', text: v ?? '–' });
  };
  return h('table', { class: 'normals', 'data-dataset': dataset },
    h('caption', { text: `${rows[0].period} (${dataset})` }),
    h('thead', {}, h('tr', {}, h('th', { text: '' }), MONTHS.map((m) => h('th', { text: m })), h('th', { text: 'year' }), h('th', { text: 'source' }))),
    h('tbody', {}, [...lines.values()].map((line) => h('tr', { 'data-parameter': line.first.parameter, 'data-location-rule': line.first.location_rule ?? '' },
      h('th', { text: `${line.first.parameter} [${line.first.unit}]${line.first.location_rule ? ` ${line.first.location_rule} place` : ''}` }),
      MONTHS.map((_, i) => cell(line, i + 1)),
      cell(line, 0),
      h('td', { text: line.first.source ?? '–' })))));
}

// ---- values at a place -----------------------------------------------------
let valuesPlot = null;
let valuesRequest = 0;

function openValues(lat, lon) {
  keep({ lat: lat.toFixed(4), lon: lon.toFixed(4), station: undefined });
  const box = $('values');
  show('values');
  const resolution = catalog.byName.get($('dataset').value)?.resolution;
  const seen = new Map();
  for (const d of catalog.datasets.filter((x) => x.resolution === resolution)) {
    for (const p of valueParameters(d.name)) if (!seen.has(p.name)) seen.set(p.name, p);
  }
  const ps = [...seen.values()];
  const param = h('select', { id: 'values-parameter' }, ps.map((p) => h('option', { value: p.name, text: `${p.name} (${p.unit})` })));
  param.value = view.vparameter && seen.has(view.vparameter) ? view.vparameter
    : (ps.find((p) => p.name.startsWith('temperature_air_mean')) || ps[0] || {}).name;
  const method = h('select', { id: 'values-method' }, h('option', { value: 'idw', text: 'idw (weighted)' }), h('option', { value: 'nearest', text: 'nearest' }));
  method.value = view.method || 'idw';
  const start = h('input', { id: 'values-start', type: 'date', value: view.vstart || $('plot-start')?.value || '' });
  const end = h('input', { id: 'values-end', type: 'date', value: view.vend || $('plot-end')?.value || '' });
  box.replaceChildren(
    h('h2', { text: `Values at ${lat.toFixed(4)}° N, ${lon.toFixed(4)}° E` }),
    h('div', { class: 'controls' },
      h('label', {}, 'Parameter', param), h('label', {}, 'Method', method),
      h('label', {}, 'From', start), h('label', {}, 'To', end),
      h('button', { type: 'button', 'data-testid': 'values-show', text: 'Show', onclick: () => drawValues(lat, lon) })),
    h('div', { id: 'values-plot', class: 'plot', 'data-testid': 'values-plot' }),
    h('div', { id: 'values-used' }),
    h('p', { id: 'values-note', class: 'note' }),
  );
  overlay.clearLayers();
  L.circleMarker([lat, lon], { radius: 6, color: css('--chosen'), fillOpacity: 0.9, interactive: false }).addTo(overlay);
  drawValues(lat, lon);
}

async function drawValues(lat, lon) {
  const mine = ++valuesRequest;
  const resolution = catalog.byName.get($('dataset').value)?.resolution;
  const parameter = $('values-parameter').value;
  const params = {
    lat: lat.toFixed(4), lon: lon.toFixed(4), resolution, parameters: parameter,
    method: $('values-method').value, start: $('values-start').value, end: $('values-end').value,
  };
  keep({ vparameter: parameter, method: params.method, vstart: params.start, vend: params.end });
  const box = $('values-plot');
  box.dataset.state = 'loading';
  let table;
  try {
    table = await get('values', params);
  } catch (e) {
    if (mine !== valuesRequest) return;
    box.dataset.state = 'error';
    problemIn(box, explain(e, `The values at ${params.lat}, ${params.lon}`));
    return;
  }
  if (mine !== valuesRequest) return;
  if (valuesPlot) { valuesPlot.destroy(); valuesPlot = null; }
  const unit = unitOf(catalog.datasets.find((d) => d.resolution === resolution && valueParameters(d.name).some((p) => p.name === parameter))?.name, parameter);
  valuesPlot = seriesPlot(box, table, [parameter], { [parameter]: unit }, () => null);
  if (!valuesPlot) {
    box.replaceChildren(h('p', { class: 'empty', 'data-testid': 'values-empty', text: table.empty.join('; ') || 'no rows' }));
  }
  // the stations the first row used, a line to each with its weight
  for (const l of [...overlay.getLayers()].slice(1)) overlay.removeLayer(l);
  const row = table.rows[0];
  const used = $('values-used');
  used.replaceChildren();
  if (row) {
    const ids = row[`${parameter}_stations`] || [];
    const weights = row[`${parameter}_weights`] || [];
    const km = row[`${parameter}_distances_km`] || [];
    const items = [];
    ids.forEach((id, i) => {
      const s = stations.get(id)?.s;
      if (s) {
        const line = L.polyline([[lat, lon], [s.latitude, s.longitude]], { color: css('--chosen'), weight: 1 + 3 * (weights[i] ?? 0), interactive: false, className: 'values-line' }).addTo(overlay);
        line.getElement().setAttribute('data-testid', 'values-line');
        line.getElement().setAttribute('data-station-id', String(id));
        line.getElement().setAttribute('data-weight', String(weights[i]));
      }
      items.push(h('li', { 'data-station-id': id, text: `${s ? s.name : 'station'} (${pad5(id)}): ${km[i]?.toFixed(1)} km, weight ${(weights[i] ?? 0).toFixed(3)}` }));
    });
    used.append(h('h3', { text: `Stations used at ${row.timestamp_utc}` }), h('ul', { 'data-testid': 'values-stations' }, items));
  }
  const rule = table.meta[`rules.${parameter}`];
  $('values-note').textContent = [table.meta.values, rule ? `${parameter}: ${rule}` : ''].filter(Boolean).join(' — ');
}

// ---- progress ---------------------------------------------------------------
let stream = null;

function duration(s) {
  if (s === null || s === undefined) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function renderStatus(report) {
  const body = $('status-table').tBodies[0];
  body.replaceChildren(...report.datasets.map((d) => {
    const c = d.counts;
    const done = c.completed;
    const f = d.last_failure;
    return h('tr', { 'data-dataset': d.dataset },
      h('th', { scope: 'row', text: d.dataset }),
      h('td', { class: 'num', 'data-field': 'completed', text: `${done} / ${d.total}` }),
      h('td', {}, h('progress', { max: String(d.total || 1), value: String(done), 'aria-label': `${d.dataset}: ${done} of ${d.total} files done` })),
      h('td', { class: 'num', 'data-field': 'pending', text: String(c.pending) }),
      h('td', { class: 'num', 'data-field': 'processing', text: String(c.processing) }),
      h('td', { class: 'num', 'data-field': 'failed', text: String(c.failed) }),
      h('td', { class: 'num', text: `${d.rate_per_min.toFixed(1)} /min` }),
      h('td', { class: 'num', text: c.pending + c.processing ? duration(d.eta_seconds) : '—' }),
      h('td', {}, f ? `${f.path}: ${f.message || f.cause || f.kind || 'failed'} — fix: ${f.fix}` : ''));
  }));
  $('view-status').dataset.completed = String(report.totals.completed);
  $('view-status').dataset.total = String(report.total);
}

function openStream() {
  if (stream) return;
  stream = new EventSource(url('status/stream'));
  stream.addEventListener('status', (ev) => {
    clearError();
    renderStatus(JSON.parse(ev.data));
  });
  stream.addEventListener('problem', (ev) => {
    const p = JSON.parse(ev.data);
    showError(`Progress: ${p.detail || p.title}`);
  });
  stream.onerror = () => {
    if (stream.readyState === EventSource.CLOSED) showError('Progress: the event stream closed (the server stopped?)');
  };
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
}

// ---- views --------------------------------------------------------------------
function route() {
  const v = new URLSearchParams(location.hash.slice(1)).get('view') || 'map';
  view.view = v;
  $('view-map').hidden = v !== 'map';
  $('view-status').hidden = v !== 'status';
  for (const tab of ['map', 'status']) {
    if (tab === v) $(`tab-${tab}`).setAttribute('aria-current', 'page');
    else $(`tab-${tab}`).removeAttribute('aria-current');
  }
  if (v === 'map') {
    closeStream();
    if (map) map.invalidateSize();
  } else {
    openStream();
  }
}

async function start() {
  for (const tab of ['map', 'status']) {
    $(`tab-${tab}`).addEventListener('click', (ev) => {
      ev.preventDefault();
      keep({ view: tab });
      route();
    });
  }
  if (view.active) {
    const [a, b] = view.active.split('..');
    $('active-from').value = a === '1700' ? '' : a;
    $('active-to').value = b === '2100' ? '' : b;
  }
  if (view.name) $('name').value = view.name;
  route();
  try {
    await Promise.all([initMap(), loadCatalog()]);
  } catch (e) {
    showError(explain(e, 'The page could not start'));
    return;
  }
  if (!catalog.datasets.length) return;
  $('dataset').addEventListener('change', () => { keep({ station: undefined }); loadStations(); });
  for (const id of ['active-from', 'active-to', 'name']) $(id).addEventListener('change', loadStations);
  $('filters').addEventListener('submit', (ev) => ev.preventDefault());
  $('search').addEventListener('change', () => {
    const s = findStation($('search').value);
    if (!s) {
      showError(`No station matches “${$('search').value}” in ${$('dataset').value}.`);
      return;
    }
    clearError();
    map.setView([s.latitude, s.longitude], Math.max(map.getZoom(), 8));
    openStation(s.station_id);
  });
  await loadStations();
  if (view.station) openStation(Number(view.station));
  else if (view.lat && view.lon) openValues(Number(view.lat), Number(view.lon));
}

window.addEventListener('DOMContentLoaded', start);
