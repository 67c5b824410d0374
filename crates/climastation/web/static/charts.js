// The drawings of the station panel: the coverage chart and the warming
// stripes (SVG), and the time-series plot (uPlot on a canvas).

const SVG = 'http://www.w3.org/2000/svg';

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function title(e, text) {
  el('title', {}, e).textContent = text;
}

/** Rows per year of each dataset of a station: a row of cells a dataset. */
export function coverageChart(coverage) {
  const years = coverage.datasets.flatMap((d) => d.years.map((y) => y.year));
  const first = Math.min(...years);
  const last = Math.max(...years);
  const n = last - first + 1;
  const label = 150;
  const cell = Math.max(2, Math.min(14, Math.floor(330 / n)));
  const rowH = 16;
  const width = label + n * cell + 48;
  const height = coverage.datasets.length * rowH + 18;
  const svg = el('svg', {
    class: 'coverage', 'data-testid': 'coverage', viewBox: `0 0 ${width} ${height}`, width, height,
    role: 'img', 'aria-label': `Years with rows, ${first} to ${last}, per dataset`,
  });
  coverage.datasets.forEach((d, i) => {
    const g = el('g', { 'data-dataset': d.dataset, transform: `translate(0 ${i * rowH})` }, svg);
    el('text', { x: 0, y: 11 }, g).textContent = d.dataset;
    const have = new Map(d.years.map((y) => [y.year, y.rows]));
    for (let y = first; y <= last; y += 1) {
      const rows = have.get(y);
      const r = el('rect', {
        x: label + (y - first) * cell, y: 2, width: Math.max(1, cell - 1), height: rowH - 4,
        class: rows ? 'year' : 'gap',
      }, g);
      if (rows) {
        r.setAttribute('data-year', y);
        r.setAttribute('data-rows', rows);
        title(r, `${d.dataset} ${y}: ${rows.toLocaleString('en')} rows`);
      }
    }
  });
  const axis = el('g', { transform: `translate(0 ${coverage.datasets.length * rowH + 12})` }, svg);
  el('text', { x: label, y: 0 }, axis).textContent = n > 4 ? String(first) : `${first}–${last}`;
  if (n > 4) el('text', { x: label + n * cell, y: 0, 'text-anchor': 'end' }, axis).textContent = String(last);
  return svg;
}

/** Blue (colder than the mean of the years shown) to red (warmer). */
function stripeColour(anomaly, reach) {
  const t = Math.max(-1, Math.min(1, anomaly / (reach || 1)));
  // from #08306b (cold) over #f7f7f7 to #67000d (warm)
  const cold = [8, 48, 107];
  const mid = [247, 247, 247];
  const warm = [103, 0, 13];
  const [a, b, f] = t < 0 ? [mid, cold, -t] : [mid, warm, t];
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** One stripe a year; `years`: [{year, value}] in °C. */
export function stripes(years, source) {
  const mean = years.reduce((s, y) => s + y.value, 0) / years.length;
  const reach = Math.max(...years.map((y) => Math.abs(y.value - mean)));
  const w = 10;
  const svg = el('svg', {
    class: 'stripes', 'data-testid': 'stripes', viewBox: `0 0 ${years.length * w} 60`, width: '100%', height: 60,
    preserveAspectRatio: 'none', role: 'img',
    'aria-label': `Warming stripes ${years[0].year} to ${years[years.length - 1].year}: annual mean air temperature, ${source}`,
  });
  years.forEach((y, i) => {
    const r = el('rect', {
      x: i * w, y: 0, width: w + 0.5, height: 60, fill: stripeColour(y.value - mean, reach),
      'data-year': y.year, 'data-value': y.value,
    }, svg);
    title(r, `${y.year}: ${y.value.toFixed(2)} °C (${(y.value - mean >= 0 ? '+' : '')}${(y.value - mean).toFixed(2)} K from the mean of the years shown)`);
  });
  return { svg, mean };
}

const COLOURS = ['#1f6feb', '#e8590c', '#2b8a3e', '#9c36b5', '#c92a2a', '#0b7285'];

const iso = (s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/**
 * A time-series plot of `columns` of a table answer in `box`: zoom by
 * dragging, double-click to reset; a tooltip with each value, its unit and
 * its quality level. Returns the uPlot (or null for no rows).
 */
export function seriesPlot(box, table, columns, units, qualityOf) {
  const t0 = performance.now();
  const rows = table.rows;
  const n = rows.length;
  const xs = new Float64Array(n);
  const ys = columns.map(() => new Array(n));
  const qs = columns.map(() => new Array(n));
  for (let i = 0; i < n; i += 1) {
    const r = rows[i];
    xs[i] = Date.parse(r.timestamp_utc) / 1000;
    columns.forEach((c, j) => {
      ys[j][i] = r[c];
      const q = qualityOf(c);
      qs[j][i] = q ? r[q] : null;
    });
  }
  box.replaceChildren();
  box.dataset.state = 'drawing';
  box.dataset.points = String(n * columns.length);
  if (!n) {
    box.dataset.state = 'empty';
    return null;
  }
  const scales = [...new Set(columns.map((c) => units[c] || ''))];
  const tip = document.createElement('div');
  tip.className = 'tooltip';
  tip.dataset.testid = 'plot-tooltip';
  tip.hidden = true;
  const width = Math.max(280, box.clientWidth || 480);
  const opts = {
    width,
    height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
    legend: { show: true, live: false },
    scales: Object.fromEntries(scales.map((u) => [u || 'value', { auto: true }])),
    axes: [
      { stroke: getComputedStyle(document.body).color, grid: { stroke: 'rgba(128,128,128,.2)' } },
      ...scales.slice(0, 2).map((u, i) => ({
        scale: u || 'value', label: u, side: i === 0 ? 3 : 1, stroke: getComputedStyle(document.body).color,
        grid: { show: i === 0, stroke: 'rgba(128,128,128,.2)' },
      })),
    ],
    series: [
      { label: 'time (UTC)' },
      ...columns.map((c, j) => ({
        label: units[c] ? `${c} (${units[c]})` : c, scale: units[c] || 'value',
        stroke: COLOURS[j % COLOURS.length], width: 1, spanGaps: false, points: { show: false },
      })),
    ],
    hooks: {
      setScale: [(u, key) => {
        if (key !== 'x' || u.scales.x.min === null) return;
        box.dataset.from = iso(u.scales.x.min);
        box.dataset.to = iso(u.scales.x.max);
      }],
      draw: [() => {
        if (box.dataset.state === 'drawn') return;
        box.dataset.state = 'drawn';
        performance.measure('plot:draw', { start: t0, end: performance.now() });
      }],
      setCursor: [(u) => {
        const i = u.cursor.idx;
        if (i === null || i === undefined || u.cursor.left < 0) {
          tip.hidden = true;
          return;
        }
        tip.replaceChildren();
        tip.dataset.time = iso(xs[i]);
        const head = document.createElement('div');
        head.textContent = `${iso(xs[i])} UTC`;
        tip.appendChild(head);
        columns.forEach((c, j) => {
          const line = document.createElement('div');
          line.dataset.param = c;
          const v = ys[j][i];
          line.dataset.value = v === null || v === undefined ? '' : String(v);
          const q = qs[j][i];
          const shown = v === null || v === undefined ? 'missing' : `${v} ${units[c] || ''}`.trim();
          line.textContent = `${c}: ${shown}${q !== null && q !== undefined ? `, quality level ${q}` : ''}`;
          tip.appendChild(line);
        });
        tip.hidden = false;
        const left = u.cursor.left + 12;
        tip.style.left = `${Math.min(left, u.over.clientWidth - tip.offsetWidth)}px`;
        tip.style.top = `${Math.max(0, u.cursor.top - tip.offsetHeight - 8)}px`;
      }],
    },
  };
  const plot = new uPlot(opts, [xs, ...ys], box);
  plot.over.appendChild(tip);
  // zoom and pan by buttons (and so by keyboard); dragging zooms too
  const span = () => [plot.scales.x.min, plot.scales.x.max];
  const shift = (f) => {
    const [a, b] = span();
    plot.setScale('x', { min: a + f * (b - a), max: b + f * (b - a) });
  };
  const zoom = (f) => {
    const [a, b] = span();
    const mid = (a + b) / 2;
    plot.setScale('x', { min: mid - ((b - a) * f) / 2, max: mid + ((b - a) * f) / 2 });
  };
  const bar = document.createElement('div');
  bar.className = 'plot-bar';
  for (const [text, label, act] of [
    ['◀', 'earlier', () => shift(-0.5)], ['▶', 'later', () => shift(0.5)],
    ['+', 'zoom in', () => zoom(0.5)], ['−', 'zoom out', () => zoom(2)],
    ['⤢', 'the whole span', () => plot.setScale('x', { min: xs[0], max: xs[n - 1] })],
  ]) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.title = label;
    b.setAttribute('aria-label', `plot: ${label}`);
    b.dataset.testid = `plot-${label.replace(/\s+/g, '-')}`;
    b.addEventListener('click', act);
    bar.appendChild(b);
  }
  box.prepend(bar);
  plot.root.querySelector('canvas').dataset.testid = 'plot-canvas';
  return plot;
}
