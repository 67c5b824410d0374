//! The page at `/`: files embedded in the binary at build time
//! (`web/static/`, its libraries vendored there by `cargo xtask web`), so
//! the server needs no Node.js and no network. The page reads only the
//! public `/api/v1/` endpoints.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::api::Shared;
use super::problem::Problem;

/// One embedded file: its path under `static/`, its type, its bytes.
struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $mime:expr) => {
        Asset {
            path: $path,
            mime: $mime,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/static/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("charts.js", JS),
    asset!("style.css", CSS),
    asset!("vendor/leaflet.js", JS),
    asset!("vendor/leaflet.css", CSS),
    asset!("vendor/uPlot.iife.min.js", JS),
    asset!("vendor/uPlot.min.css", CSS),
    asset!("vendor/basemap.json", "application/json"),
    asset!("vendor/LICENSES.txt", "text/plain; charset=utf-8"),
    asset!("vendor/VERSIONS.json", "application/json"),
];

const INDEX: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/static/index.html"
));

/// Text for an HTML attribute's value.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `GET /`: the page, with the configured tile server (if any) filled in,
/// and a content security policy that lets it load only its own files
/// (and that server's tiles).
pub async fn index(State(s): State<Shared>) -> Response {
    let tiles = s.limits.tiles.as_ref();
    let html = INDEX
        .replace(
            "{{TILES}}",
            &tiles.map(|t| attribute(&t.url)).unwrap_or_default(),
        )
        .replace(
            "{{TILE_ATTRIBUTION}}",
            &tiles.map(|t| attribute(&t.attribution)).unwrap_or_default(),
        );
    let images = tiles.map_or(String::new(), |t| format!(" {}", t.origin));
    let policy = format!(
        "default-src 'self'; img-src 'self' data:{images}; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&policy) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// `GET /static/{path}`: an embedded file, or 404.
pub async fn file(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.mime),
                // the files change with the binary: revalidated each time
                (header::CACHE_CONTROL, "no-cache"),
            ],
            a.body,
        )
            .into_response(),
        None => Problem::new(
            StatusCode::NOT_FOUND,
            format!("no file static/{path}: the page's files are built into the server"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_embedded() {
        // the page's own references: index.html's and the modules' imports
        let mut named: Vec<String> = Vec::new();
        let mut scan = |text: &str, prefix: &str| {
            for part in text.split(['"', '\'']) {
                if let Some(p) = part.strip_prefix(prefix)
                    && (p.ends_with(".js")
                        || p.ends_with(".css")
                        || p.ends_with(".json")
                        || p.ends_with(".txt"))
                {
                    named.push(p.to_owned());
                }
            }
        };
        scan(INDEX, "static/");
        for a in ASSETS
            .iter()
            .filter(|a| a.mime == JS && !a.path.starts_with("vendor/"))
        {
            let text = std::str::from_utf8(a.body).unwrap_or_default();
            scan(text, "./");
            scan(text, "static/");
        }
        assert!(named.len() >= 8, "{named:?}");
        for n in &named {
            assert!(
                ASSETS.iter().any(|a| a.path == n),
                "{n} is named but not embedded"
            );
        }
        assert!(ASSETS.iter().any(|a| a.mime == CSS));
    }

    #[test]
    fn attribute_text_is_escaped() {
        assert_eq!(attribute(r#"a"<b>&"#), "a&quot;&lt;b&gt;&amp;");
    }
}
