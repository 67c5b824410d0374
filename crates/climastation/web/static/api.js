// The page's one door to the server: every call is a public /api/v1/
// endpoint, so everything the page shows can be fetched without it.

/** An answer that is not 2xx: the problem's detail, as the API wrote it. */
export class ApiError extends Error {
  constructor(status, title, detail, parameter) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
    this.parameter = parameter;
  }
}

/** The query string of `params`, without the empty ones. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The URL of an endpoint (relative: the page works behind a prefix). */
export function url(path, params) {
  return `api/v1/${path}${query(params)}`;
}

/** GET an endpoint's JSON; a problem becomes an ApiError. */
export async function get(path, params, signal) {
  let r;
  try {
    r = await fetch(url(path, params), { headers: { accept: 'application/json' }, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', `the server did not answer: ${e.message}`);
  }
  if (!r.ok) {
    let p = {};
    try { p = await r.json(); } catch { /* not a problem document */ }
    throw new ApiError(r.status, p.title || r.statusText, p.detail, p.parameter);
  }
  return r.json();
}

/** A message for people: what failed, and the API's own words. */
export function explain(e, what) {
  if (e instanceof ApiError) {
    const status = e.status ? ` (${e.status}${e.title ? ` ${e.title}` : ''})` : '';
    return `${what}: ${e.message}${status}`;
  }
  return `${what}: ${e && e.message ? e.message : e}`;
}
