//! `climastation serve` tried as its clients use it: the real program on
//! the bundled sample after README's main job, every request over real
//! HTTP (ureq), answers compared with what the command line writes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::cli_examples::{args_of, command, sample_run};

/// A server on a free loopback port, stopped (SIGTERM) when dropped.
pub(crate) struct Served {
    child: Option<Child>,
    pub base: String,
    agent: ureq::Agent,
}

pub(crate) struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A problem details answer of `status`, naming `parameter` if given.
    pub fn problem(&self, status: u16, parameter: Option<&str>) -> serde_json::Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type, "application/problem+json");
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
        if let Some(name) = parameter {
            assert_eq!(p["parameter"], name, "{p}");
        }
        p
    }
}

impl Served {
    /// `climastation serve` in `work` with `env` set; waits for its address.
    pub fn start(work: &Path, env: &[(&str, &str)]) -> Served {
        Served::start_line(work, "climastation serve", env)
    }

    /// The server of an example line, on a free port of loopback instead
    /// of the one it names.
    pub fn start_line(work: &Path, line: &str, env: &[(&str, &str)]) -> Served {
        let mut args = args_of(line);
        if let Some(i) = args.iter().position(|a| a == "--listen") {
            args.drain(i..=i + 1);
        }
        args.extend(["--listen".to_owned(), "127.0.0.1:0".to_owned()]);
        let mut c = command(work, &args);
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(at) = line.find("http://") {
                    let url: String = line[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    let _ = tx.send(url);
                    sent = true;
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Served {
            child: Some(child),
            base: base.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    /// The `status` events of `/api/v1/status/stream`, as they come: the
    /// completed count of `dataset` in each.
    pub fn completed_events(&self, dataset: &str) -> std::sync::mpsc::Receiver<u64> {
        let url = format!("{}/api/v1/status/stream", self.base);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let r = agent.get(&url).call().unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let ct = r
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        let (tx, rx) = std::sync::mpsc::channel();
        let dataset = dataset.to_owned();
        std::thread::spawn(move || {
            let mut event = String::new();
            for line in BufReader::new(r.into_body().into_reader()).lines() {
                let Ok(line) = line else { break };
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_owned();
                } else if let Some(data) = line.strip_prefix("data: ")
                    && event == "status"
                {
                    let v: serde_json::Value = serde_json::from_str(data).unwrap();
                    let n = v["datasets"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|d| d["dataset"] == dataset.as_str())
                        .map_or(0, |d| d["counts"]["completed"].as_u64().unwrap());
                    if tx.send(n).is_err() {
                        break;
                    }
                }
            }
        });
        rx
    }

    pub fn get(&self, path_and_query: &str) -> Answer {
        self.request("GET", path_and_query, &[])
    }

    pub fn request(&self, method: &str, path_and_query: &str, headers: &[(&str, &str)]) -> Answer {
        let url = format!("{}{path_and_query}", self.base);
        let mut b = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut r = self.agent.run(b.body(()).unwrap()).unwrap();
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect::<Vec<_>>();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = r
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap();
        Answer {
            status: r.status().as_u16(),
            content_type,
            headers,
            body,
        }
    }

    /// SIGTERM; the exit code.
    pub fn stop(self) -> Option<i32> {
        self.terminate();
        self.wait()
    }

    /// SIGTERM, without waiting.
    pub fn terminate(&self) {
        let child = self.child.as_ref().unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
    }

    /// The exit code, once the server ends.
    pub fn wait(mut self) -> Option<i32> {
        self.child.take().unwrap().wait().unwrap().code()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What the command line writes for `line` (its `-o` replaced by a file
/// in `work`), as bytes.
fn cli_file(work: &Path, line: &str, name: &str) -> Vec<u8> {
    let out = work.join(name);
    let mut args = args_of(line);
    args.extend(["-o".to_owned(), out.display().to_string()]);
    crate::util::succeeds(&mut command(work, &args));
    std::fs::read(&out).unwrap()
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn every_endpoint_answers_over_http_as_the_command_line_does() {
    let work = sample_run();
    let w = work.path();
    let db = w.join("progress.db");
    let db_before = sha(&db);
    let outputs_before: Vec<(PathBuf, Vec<u8>)> =
        crate::fixtures::files_below(&w.join("data/output"))
            .into_iter()
            .map(|p| {
                let b = std::fs::read(&p).unwrap();
                (p, b)
            })
            .collect();
    let s = Served::start(w, &[]);

    // the catalog
    let a = s.get("/api/v1/datasets?resolution=daily");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
    let names: Vec<String> = a.json()["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"daily/kl".to_owned()), "{names:?}");
    assert!(names.contains(&"daily/more_precip".to_owned()), "{names:?}");
    // only what the archive holds
    let held: Vec<String> = s
        .get("/api/v1/datasets?resolution=daily&archived=true")
        .json()["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(held, ["daily/kl"]);
    s.get("/api/v1/datasets?resolution=weekly")
        .problem(404, Some("resolution"));
    s.get("/api/v1/datasets?resolutoin=daily")
        .problem(400, Some("resolutoin"));
    s.get("/api/v1/datasets?resolution=daily&resolution=hourly")
        .problem(400, Some("resolution"));

    // stations, nearest first, in three formats
    let near = "/api/v1/stations?dataset=hourly/air_temperature&near=49.97,11.52&radius_km=30";
    let st = s.get(near).json();
    let first = &st["stations"][0];
    assert_eq!(first["station_id"], 320);
    let d: Vec<f64> = st["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["distance_km"].as_f64().unwrap())
        .collect();
    assert!(
        d.windows(2).all(|p| p[0] <= p[1]) && d.iter().all(|d| *d <= 30.0),
        "{d:?}"
    );
    let csv = s.get(&format!("{near}&format=csv"));
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.text().starts_with(
        "station_id,name,state,latitude,longitude,height_m,first_date,last_date,distance_km,series_rows\n320,"
    ));
    assert_eq!(csv.text().lines().count(), d.len() + 1);
    let geo = s.get(&format!("{near}&format=geojson"));
    assert_eq!(geo.content_type, "application/geo+json");
    let g = geo.json();
    assert_eq!(g["type"], "FeatureCollection");
    assert_eq!(g["features"][0]["geometry"]["coordinates"][0], 11.5197);
    s.get("/api/v1/stations?dataset=hourly/temperature")
        .problem(404, Some("dataset"));
    s.get("/api/v1/stations?dataset=hourly/air_temperature&near=95,11&radius_km=5")
        .problem(400, Some("near"));
    s.get("/api/v1/stations?dataset=hourly/air_temperature&near=50,11")
        .problem(400, Some("near"));
    s.get("/api/v1/stations").problem(400, Some("dataset"));

    // export: the CSV of a request is the bytes the command line writes
    let http = s.get("/api/v1/export?resolution=daily&stations=4271&format=csv");
    assert_eq!(http.status, 200);
    let cli = cli_file(
        w,
        "climastation export --resolution daily --station 4271 --format csv",
        "e.csv",
    );
    assert_eq!(http.body, cli, "the CSV of export");
    let http = s.get("/api/v1/export?resolution=daily&stations=4271&shape=long&format=jsonl");
    let cli = cli_file(
        w,
        "climastation export --resolution daily --station 4271 --long --format jsonl",
        "e.jsonl",
    );
    assert_eq!(http.body, cli, "the JSON lines of export --long");
    s.get("/api/v1/export?resolution=daily&start=2020-01-02&end=2020-01-01")
        .problem(400, Some("start"));
    s.get("/api/v1/export?resolution=daily&parameters=no_such_thing")
        .problem(400, Some("parameters"));

    // one station's series: JSON, Arrow and Parquet hold the same rows
    let q = "/api/v1/series?dataset=hourly/air_temperature&station=320";
    let j = s.get(q).json();
    let rows = j["rows"].as_array().unwrap().len();
    assert!(rows > 0);
    assert_eq!(j["columns"][0], "station_id");
    assert!(j["meta"]["merge_rule"].as_str().is_some(), "{}", j["meta"]);
    // each value column's unit, and the column of this table with its
    // quality level (renamed by the join: `air_temperature_quality`)
    let t = &j["fields"]["temperature_air_2m"];
    assert_eq!(t["unit"], "°C", "{}", j["fields"]);
    assert_eq!(t["dwd_code"], "TT_TU");
    assert_eq!(t["quality_column"], "air_temperature_quality");
    // what a value is: hourly TT_TU is a reading at the hour (DWD's
    // hourly air temperature), in CF's words too
    assert_eq!(t["statistic"], "point", "{t}");
    assert_eq!(t["span"], "instant");
    assert_eq!(t["standard_name"], "air_temperature");
    assert_eq!(t["cell_methods"], "time: point");
    assert!(
        j["columns"]
            .as_array()
            .unwrap()
            .contains(&t["quality_column"])
    );
    // the station's list says it has a series of these rows
    assert_eq!(
        st["stations"][0]["series_rows"], rows as u64,
        "{}",
        st["stations"][0]
    );
    assert_eq!(j["empty"], serde_json::json!([]));
    let arrow = s.get(&format!("{q}&format=arrow"));
    assert_eq!(arrow.content_type, "application/vnd.apache.arrow.stream");
    let reader = arrow_ipc::reader::StreamReader::try_new(&arrow.body[..], None).unwrap();
    let from_arrow: Vec<arrow_array::RecordBatch> = reader.map(Result::unwrap).collect();
    let parquet = s.get(&format!("{q}&format=parquet"));
    let from_parquet: Vec<arrow_array::RecordBatch> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(
            parquet.body.clone(),
        ))
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let concat = |b: &[arrow_array::RecordBatch]| {
        arrow_select::concat::concat_batches(&b[0].schema(), b).unwrap()
    };
    let (a, p) = (concat(&from_arrow), concat(&from_parquet));
    assert_eq!(a.num_rows(), rows);
    assert_eq!(
        a.columns(),
        p.columns(),
        "Arrow and Parquet answers hold the same values"
    );
    assert!(
        a.schema().metadata().contains_key("merge_rule"),
        "the rules travel with the rows"
    );
    // the same rows as the merged series on disk
    let series = w.join("data/output/hourly/air_temperature/series/00320.parquet");
    let on_disk = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&series).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap()
    .map(|b| b.unwrap().num_rows())
    .sum::<usize>();
    assert_eq!(on_disk, rows, "{}", series.display());
    // revalidation: the ETag of the ledger's checksums, 304 when unchanged
    let first = s.get(&format!("{q}&format=csv"));
    let tag = first
        .header("etag")
        .expect("a table answer has an ETag")
        .to_owned();
    assert!(tag.starts_with('"') && tag.len() > 10, "{tag}");
    let again = s.request(
        "GET",
        &format!("{q}&format=csv"),
        &[("If-None-Match", &tag)],
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = s.get(&format!("{q}&format=jsonl"));
    assert_ne!(
        other.header("etag"),
        Some(tag.as_str()),
        "another query, another tag"
    );
    let stale = s.request(
        "GET",
        &format!("{q}&format=csv"),
        &[("If-None-Match", "\"0\"")],
    );
    assert_eq!(stale.status, 200);
    let empty = s.get(&format!("{q}&start=1990&end=1991")).json();
    assert_eq!(empty["rows"], serde_json::json!([]));
    assert!(
        empty["empty"][0].as_str().unwrap().contains("no rows"),
        "{}",
        empty["empty"]
    );
    s.get("/api/v1/series?dataset=hourly/air_temperature&station=99999")
        .problem(404, Some("station"));
    // a station DWD's list misses (the sample has no monthly/kl list) but
    // whose series the run recorded: served, as its coverage promises
    assert!(
        s.get("/api/v1/coverage?station=3987").json()["datasets"][0]["dataset"] == "monthly/kl"
    );
    let potsdam = s
        .get("/api/v1/series?dataset=monthly/kl&station=3987&parameters=temperature_air_mean_2m&start=2016-07-01&end=2016-07-31")
        .json();
    assert_eq!(
        potsdam["rows"][0]["temperature_air_mean_2m"],
        serde_json::json!(19.9)
    );
    s.get("/api/v1/series?dataset=hourly/air_temperature&station=x")
        .problem(400, Some("station"));
    s.get(&format!("{q}&format=xml"))
        .problem(400, Some("format"));

    // values at a place: the command line's CSV, every cell with its stations
    let http = s.get("/api/v1/values?lat=49.97&lon=11.52&resolution=hourly&parameters=temperature_air_2m&method=idw&format=csv");
    assert_eq!(http.status, 200, "{}", http.text());
    let cli = cli_file(
        w,
        "climastation values --at 49.97,11.52 --resolution hourly --parameters temperature_air_2m --method idw --format csv",
        "v.csv",
    );
    assert_eq!(http.body, cli, "the CSV of values");
    let v = s
        .get("/api/v1/values?lat=49.97&lon=11.52&resolution=hourly&parameters=temperature_air_2m")
        .json();
    let row = &v["rows"][0];
    assert_eq!(
        row["temperature_air_2m_stations"],
        serde_json::json!([320]),
        "{row}"
    );
    assert_eq!(row["temperature_air_2m_method"], "nearest");
    // a former name is still answered, under the new name, and said so
    let old = s.get(
        "/api/v1/values?lat=49.97&lon=11.52&resolution=hourly&parameters=temperature_air_mean_2m",
    );
    let warning = old.header("warning").unwrap_or_default().to_owned();
    assert!(
        warning.starts_with("299 climastation ")
            && warning.contains("temperature_air_mean_2m is now temperature_air_2m"),
        "{warning}"
    );
    let oj = old.json();
    assert_eq!(oj["rows"], v["rows"]);
    assert!(
        oj["meta"]["renamed.temperature_air_mean_2m"]
            .as_str()
            .is_some_and(|m| m.contains("a reading at the stamp")),
        "{}",
        oj["meta"]
    );
    let csv = s.get("/api/v1/export?resolution=hourly&stations=320&parameters=temperature_air_mean_2m&format=csv");
    assert!(csv.header("warning").is_some());
    assert!(
        String::from_utf8_lossy(&csv.body)
            .starts_with(
            "station_id,timestamp_utc,air_temperature_quality,temperature_air_2m,dew_point_quality,dew_point_temperature_air_2m\n"
        ),
        "{}",
        String::from_utf8_lossy(&csv.body)
    );
    assert!(
        v.get("meta")
            .is_some_and(|m| m.get("renamed.temperature_air_mean_2m").is_none())
    );
    s.get("/api/v1/values?lat=95&lon=11&resolution=hourly&parameters=temperature_air_2m")
        .problem(400, Some("lat/lon"));
    s.get("/api/v1/values?lat=50&lon=11&resolution=hourly&parameters=temperature_air_2m&method=kriging")
        .problem(400, Some("method"));
    s.get("/api/v1/values?lat=50&lon=11&resolution=hourly")
        .problem(400, Some("parameters"));
    s.get("/api/v1/values?lat=abc&lon=11&resolution=hourly&parameters=x")
        .problem(400, Some("lat"));

    // the tracker's reports, as `--json` prints them
    let status = s.get("/api/v1/status").json();
    let mut args = args_of("climastation --json status");
    args.retain(|a| a != "--json");
    args.insert(0, "--json".into());
    let out = command(w, &args).output().unwrap();
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["totals"], cli["totals"]);
    let check = s.get("/api/v1/check").json();
    assert_eq!(check["ok"], true, "{check}");

    // the API's description, the rest refused as problems
    let doc = s.get("/api/v1/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "datasets", "stations", "series", "export", "values", "status", "check",
    ] {
        assert!(
            doc["paths"][format!("/api/v1/{p}")]["get"].is_object(),
            "{p}"
        );
    }
    s.get("/api/v2/nothing").problem(404, None);
    s.request("POST", "/api/v1/status", &[]).problem(405, None);
    s.get(&format!("/api/v1/datasets?resolution={}", "x".repeat(9000)))
        .problem(414, None);
    // no CORS header unless the configuration lists the origin
    let a = s.request(
        "GET",
        "/api/v1/datasets",
        &[("Origin", "https://example.org")],
    );
    assert_eq!(a.header("access-control-allow-origin"), None);

    // read-only: nothing under the data folder changed
    assert_eq!(s.stop(), Some(130), "a clean stop exits 130");
    assert!(sha(&db) == db_before, "the progress database is untouched");
    for (p, b) in outputs_before {
        assert!(std::fs::read(&p).unwrap() == b, "{} changed", p.display());
    }
}

#[test]
fn limits_damage_and_addresses_are_answered_as_problems() {
    let work = sample_run();
    let w = work.path();
    let s = Served::start(
        w,
        &[
            ("CLIMASTATION_SERVE__MAX_JSON_ROWS", "5"),
            ("CLIMASTATION_SERVE__CORS_ORIGINS", "[https://example.org]"),
        ],
    );
    let q = "/api/v1/series?dataset=hourly/air_temperature&station=320";
    let p = s.get(q).problem(413, None);
    assert!(
        p["detail"].as_str().unwrap().contains("format=arrow"),
        "{p}"
    );
    assert_eq!(
        s.get(&format!("{q}&format=arrow")).status,
        200,
        "binary formats stream any number of rows"
    );
    let a = s.request(
        "GET",
        "/api/v1/datasets",
        &[("Origin", "https://example.org")],
    );
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://example.org")
    );

    // a series damaged under the running server: 409 naming it, never rows
    let series = w.join("data/output/daily/kl/series/04271.parquet");
    let len = std::fs::metadata(&series).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&series)
        .unwrap()
        .set_len(len - 100)
        .unwrap();
    for format in ["json", "csv", "arrow", "parquet"] {
        let p = s
            .get(&format!(
                "/api/v1/series?dataset=daily/kl&station=4271&format={format}"
            ))
            .problem(409, None);
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains("04271.parquet") && detail.contains("climastation run"),
            "{detail}"
        );
    }
    // two series swapped (the same station's of two datasets): each is
    // refused as not what the runs wrote
    let a = w.join("data/output/10_minutes/solar/series/01766.parquet");
    let b = w.join("data/output/10_minutes/extreme_wind/series/01766.parquet");
    let tmp = w.join("swap.parquet");
    std::fs::rename(&a, &tmp).unwrap();
    std::fs::rename(&b, &a).unwrap();
    std::fs::rename(&tmp, &b).unwrap();
    for dataset in ["10_minutes/solar", "10_minutes/extreme_wind"] {
        let p = s
            .get(&format!(
                "/api/v1/series?dataset={dataset}&station=1766&format=csv"
            ))
            .problem(409, None);
        assert!(
            p["detail"].as_str().unwrap().contains("01766.parquet"),
            "{p}"
        );
    }
    drop(s);

    // a run writing a dataset's outputs (its lock held): 503 after the
    // short wait, with Retry-After; the tracker in a write transaction:
    // reads still answer
    let s = Served::start(w, &[("CLIMASTATION_SERVE__LOCK_WAIT_SECONDS", "0.3")]);
    let lock = std::fs::File::open(w.join("data/output/hourly/air_temperature/.lock")).unwrap();
    lock.lock().unwrap();
    let busy = s.get("/api/v1/series?dataset=hourly/air_temperature&station=320&format=csv");
    let p = busy.problem(503, None);
    assert!(busy.header("retry-after").is_some());
    assert!(
        p["detail"].as_str().unwrap().contains("another process"),
        "{p}"
    );
    lock.unlock().unwrap();
    let free = s.get("/api/v1/series?dataset=hourly/air_temperature&station=320&format=csv");
    assert_eq!(free.status, 200, "{}", free.text());
    let db = rusqlite::Connection::open(w.join("progress.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE; UPDATE files SET attempts = attempts WHERE 0;")
        .unwrap();
    let status = s.get("/api/v1/status");
    assert_eq!(status.status, 200, "{}", status.text());
    let series = s.get("/api/v1/series?dataset=hourly/air_temperature&station=320&format=csv");
    assert_eq!(series.status, 200, "{}", series.text());
    db.execute_batch("ROLLBACK").unwrap();
    drop(s);

    // another address than loopback needs allowing
    let out = command(w, &args_of("climastation serve --listen 0.0.0.0:0"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("serve.allow_remote"));
}

/// README's `curl` lines of the Serve section, each asked of a server on
/// the sample: every one answers 200.
#[test]
fn readmes_curl_examples_answer_on_the_sample() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let urls: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("curl '"))
        .filter_map(|l| l.strip_suffix('\''))
        .collect();
    assert!(urls.len() >= 8, "{urls:?}");
    let work = sample_run();
    let s = Served::start(work.path(), &[]);
    for url in urls {
        let path = url
            .strip_prefix("http://127.0.0.1:8080")
            .unwrap_or_else(|| panic!("{url}: not on the default address"));
        let a = s.get(path);
        assert_eq!(a.status, 200, "{url}: {}", a.text());
        assert!(!a.body.is_empty(), "{url}");
    }
}

/// The status stream shows another process's writes as they happen: a
/// reset of a dataset (its files back to pending), then the run that
/// converts them again.
#[test]
fn the_status_stream_follows_another_process() {
    let work = sample_run();
    let w = work.path();
    let s = Served::start(w, &[]);
    let events = s.completed_events("daily/kl");
    let next = || events.recv_timeout(Duration::from_secs(30)).unwrap();
    let done = next();
    assert!(done > 0);
    crate::util::succeeds(&mut command(
        w,
        &args_of("climastation reset --dataset daily/kl"),
    ));
    let mut seen = next();
    for _ in 0..10 {
        if seen == 0 {
            break;
        }
        seen = next();
    }
    assert_eq!(seen, 0, "the reset shows in the stream");
    crate::util::succeeds(&mut command(
        w,
        &args_of("climastation run --dataset daily/kl"),
    ));
    for _ in 0..10 {
        if seen == done {
            break;
        }
        seen = next();
    }
    assert_eq!(seen, done, "the run shows in the stream");
    assert_eq!(
        s.stop(),
        Some(130),
        "an open event stream does not hold the stop"
    );
}

/// A request in flight when SIGTERM comes is answered in full before the
/// server exits 130; new connections are no longer taken. (The request is
/// kept in flight by a run's lock on the dataset, which the test holds.)
#[test]
fn a_request_in_flight_finishes_after_sigterm() {
    let work = sample_run();
    let w = work.path();
    let s = Served::start(w, &[("CLIMASTATION_SERVE__LOCK_WAIT_SECONDS", "20")]);
    let lock = std::fs::File::open(w.join("data/output/daily/kl/.lock")).unwrap();
    lock.lock().unwrap();
    let url = format!(
        "{}/api/v1/export?resolution=daily&stations=4271&format=csv",
        s.base
    );
    let asked = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut r = agent.get(&url).call().unwrap();
        let status = r.status().as_u16();
        (status, r.body_mut().read_to_vec().unwrap())
    });
    // the request waits for the lock; then the stop
    std::thread::sleep(Duration::from_millis(800));
    assert!(!asked.is_finished(), "the request is in flight");
    s.terminate();
    std::thread::sleep(Duration::from_millis(800));
    let refused = ureq::get(&format!("{}/api/v1/datasets", s.base)).call();
    assert!(refused.is_err(), "a stopping server takes no new request");
    lock.unlock().unwrap();
    let (status, body) = asked.join().unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cli = cli_file(
        w,
        "climastation export --resolution daily --station 4271 --format csv",
        "e.csv",
    );
    assert_eq!(body, cli, "the whole answer");
    assert_eq!(s.wait(), Some(130));
}

/// `/mcp` spoken as an MCP client speaks it (JSON-RPC over streamable
/// HTTP: initialize, initialized, then requests with the session id): the
/// tools are listed, and values at the sample's hourly place are the
/// numbers `climastation values` writes. (CI also drives it with the MCP
/// Python SDK: `tests/clients/mcp_check.py`.)
#[test]
fn the_mcp_tools_answer_as_the_command_line_does() {
    let work = sample_run();
    let w = work.path();
    let s = Served::start(w, &[]);
    let url = format!("{}/mcp", s.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |session: Option<&str>, body: serde_json::Value| {
        let mut req = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-06-18");
        if let Some(id) = session {
            req = req.header("Mcp-Session-Id", id);
        }
        let mut r = req.send(body.to_string()).unwrap();
        let status = r.status().as_u16();
        let id = r
            .headers()
            .get("mcp-session-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = r.body_mut().read_to_string().unwrap();
        // a JSON answer, or the `data:` event holding the response
        let message = text
            .lines()
            .filter_map(|l| l.strip_prefix("data: ").or(Some(l)))
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v.get("result").is_some() || v.get("error").is_some());
        (status, id, message)
    };
    let (status, session, init) = post(
        None,
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "climastation-tests", "version": "1"}}}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        init.unwrap()["result"]["serverInfo"]["name"],
        "climastation"
    );
    let session = session.expect("a session id");
    let (status, _, _) = post(
        Some(&session),
        serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    );
    assert!(status == 202 || status == 200, "{status}");
    let call = |id: u64, method: &str, params: serde_json::Value| {
        post(
            Some(&session),
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .2
        .unwrap_or_else(|| panic!("no answer to {method}"))
    };
    let tools = call(2, "tools/list", serde_json::json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for t in [
        "list_datasets",
        "find_stations",
        "station_series",
        "values_at_place",
    ] {
        assert!(names.contains(&t), "{names:?}");
    }
    let tool = |id: u64, name: &str, args: serde_json::Value| {
        let r = call(
            id,
            "tools/call",
            serde_json::json!({"name": name, "arguments": args}),
        );
        let result = r["result"].clone();
        let text = result["content"][0]["text"].as_str().unwrap().to_owned();
        (result["isError"] == true, text)
    };
    let (failed, text) = tool(
        3,
        "values_at_place",
        serde_json::json!({"latitude": 49.97, "longitude": 11.52, "resolution": "hourly",
            "parameters": ["temperature_air_2m"], "start": "2018-09-15", "end": "2018-09-16"}),
    );
    assert!(!failed, "{text}");
    let ours: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cli = cli_file(
        w,
        "climastation values --at 49.97,11.52 --resolution hourly --parameters temperature_air_2m --from 2018-09-15 --to 2018-09-16 --format jsonl",
        "v.jsonl",
    );
    let cli: Vec<serde_json::Value> = String::from_utf8(cli)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rows = ours["rows"].as_array().unwrap();
    assert!(!cli.is_empty());
    assert_eq!(rows.len(), cli.len());
    for (a, b) in rows.iter().zip(&cli) {
        for k in [
            "timestamp_utc",
            "temperature_air_2m",
            "temperature_air_2m_stations",
        ] {
            assert_eq!(a[k], b[k], "{k}");
        }
    }
    let (failed, text) = tool(
        4,
        "station_series",
        serde_json::json!({"dataset": "hourly/air_temperature", "station": 99999}),
    );
    assert!(failed && text.contains("99999"), "{text}");
    // DWD's normals, and a series against them
    let (failed, text) = tool(
        5,
        "climate_normals",
        serde_json::json!({"period": "1961-1990", "stations": [3987], "parameters": ["temperature_air_mean_2m"]}),
    );
    assert!(!failed, "{text}");
    let n: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(n["rows"][6]["value"], 17.9, "{n}");
    let (failed, text) = tool(
        6,
        "station_series",
        serde_json::json!({"dataset": "annual/kl", "station": 44, "parameters": ["temperature_air_mean_2m"], "anomaly": "1961-1990"}),
    );
    assert!(!failed, "{text}");
    let a: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        a["rows"][0]["temperature_air_mean_2m_anomaly"], 2.19,
        "10.89 - 8.7: {a}"
    );
    assert!(a.get("warnings").is_none(), "{a}");
    // a former name: answered under the new one, with the warning
    let (failed, text) = tool(
        7,
        "station_series",
        serde_json::json!({"dataset": "hourly/air_temperature", "station": 320, "parameters": ["temperature_air_mean_2m"], "limit": 2}),
    );
    assert!(!failed, "{text}");
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(r["rows"][0]["temperature_air_2m"].is_number(), "{r}");
    assert!(
        r["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("temperature_air_mean_2m is now temperature_air_2m")),
        "{r}"
    );
}

/// Normals and anomalies over HTTP are the command line's.
#[test]
fn normals_and_anomalies_are_served_as_the_command_line_writes_them() {
    let work = sample_run();
    let w = work.path();
    let s = Served::start(w, &[]);
    let http = s.get("/api/v1/normals?period=1961-1990&stations=3987,44&format=csv");
    assert_eq!(http.status, 200, "{}", http.text());
    let cli = crate::util::succeeds(&mut command(
        w,
        &args_of("climastation normals --period 1961-1990 --station 3987,44 --csv"),
    ));
    assert_eq!(http.text(), String::from_utf8(cli.stdout).unwrap());
    let j = s.get("/api/v1/normals?period=61-90&stations=44").json();
    assert!(
        j["meta"]["normals"]
            .as_str()
            .unwrap()
            .contains("Datenquelle")
    );
    s.get("/api/v1/normals?period=2001-2030")
        .problem(400, Some("period"));
    s.get("/api/v1/normals?period=1971-2000").problem(404, None);
    // DWD's older normals: the sample's real 1981-2010 sunshine table
    let http = s.get("/api/v1/normals?period=1981-2010&obsolete=true&stations=2932&format=csv");
    assert_eq!(http.status, 200, "{}", http.text());
    let cli = crate::util::succeeds(&mut command(
        w,
        &args_of("climastation normals --period 1981-2010 --obsolete --station 2932 --csv"),
    ));
    assert_eq!(http.text(), String::from_utf8(cli.stdout).unwrap());
    assert!(
        http.text()
            .contains("\n2932,Leipzig/Halle,1981-2010,sunshine_duration,h,7,228.0,,fixed\n")
    );
    let http = s.get(
        "/api/v1/export?resolution=daily&stations=4271&parameters=temperature_air_mean_2m,precipitation_height&anomaly=1961-1990&format=csv",
    );
    let cli = cli_file(
        w,
        "climastation export --resolution daily --station 4271 --parameters temperature_air_mean_2m,precipitation_height --anomaly 1961-1990 --format csv",
        "e.csv",
    );
    assert_eq!(http.body, cli, "the CSV of an export with anomalies");
    let j = s
        .get("/api/v1/export?resolution=daily&stations=4271&anomaly=1961-1990")
        .json();
    assert!(
        j["meta"]["no_anomaly.precipitation_height"]
            .as_str()
            .is_some_and(|m| m.contains("sum over 1 day")),
        "{}",
        j["meta"]
    );
    s.get("/api/v1/export?resolution=daily&anomaly=1950")
        .problem(400, Some("anomaly"));
    s.get("/api/v1/values?lat=49.97&lon=11.52&resolution=hourly&parameters=temperature_air_2m&anomaly=1971-2000&format=csv")
        .problem(404, None);
}

#[test]
fn the_page_and_a_stations_coverage_are_served() {
    let work = sample_run();
    let w = work.path();
    let s = Served::start(w, &[]);
    // the page: its own files only, offline by default
    let page = s.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    let policy = page.header("content-security-policy").unwrap().to_owned();
    assert!(
        policy.contains("default-src 'self'") && policy.contains("img-src 'self' data:;"),
        "{policy}"
    );
    let html = page.text();
    assert!(html.contains(r#"data-testid="map""#), "{html}");
    assert!(
        html.contains(r#"name="climastation-tiles" content="""#),
        "{html}"
    );
    for file in [
        "app.js",
        "charts.js",
        "vendor/leaflet.js",
        "vendor/uPlot.iife.min.js",
        "vendor/basemap.json",
    ] {
        let a = s.get(&format!("/static/{file}"));
        assert_eq!(a.status, 200, "{file}");
        assert!(a.body.len() > 1000, "{file}");
    }
    assert!(
        s.get("/static/app.js")
            .content_type
            .starts_with("text/javascript")
    );
    s.get("/static/no_such.js").problem(404, None);
    s.get("/static/vendor/../../Cargo.toml").problem(404, None);

    // a station's coverage: each dataset with a series, rows per year
    let c = s.get("/api/v1/coverage?station=4271").json();
    let daily = c["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dataset"] == "daily/kl")
        .unwrap_or_else(|| panic!("{c}"));
    let rows = s.get("/api/v1/series?dataset=daily/kl&station=4271").json()["rows"]
        .as_array()
        .unwrap()
        .len() as u64;
    let per_year: u64 = daily["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(
        (daily["rows"].as_u64(), per_year),
        (Some(rows), rows),
        "{c}"
    );
    let none = s.get("/api/v1/coverage?station=99999").json();
    assert_eq!(none["datasets"], serde_json::json!([]));
    assert!(
        none["empty"][0].as_str().unwrap().contains("99999"),
        "{none}"
    );
    s.get("/api/v1/coverage?station=abc")
        .problem(400, Some("station"));
    s.get("/api/v1/coverage").problem(400, Some("station"));
    drop(s);

    // a tile server from the configuration: named in the page and its policy
    let s = Served::start(
        w,
        &[(
            "CLIMASTATION_SERVE__TILE_URL",
            "https://tile.example.org/{z}/{x}/{y}.png",
        )],
    );
    let page = s.get("/");
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("img-src 'self' data: https://tile.example.org;")
    );
    assert!(
        page.text()
            .contains(r#"content="https://tile.example.org/{z}/{x}/{y}.png""#)
    );
}

/// A page showing progress keeps its event stream open: streams are
/// bounded by `serve.max_streams` and take no request slot, so open
/// streams never starve the other requests.
#[test]
fn event_streams_take_no_request_slot_and_are_bounded() {
    let work = sample_run();
    let s = Served::start(
        work.path(),
        &[
            ("CLIMASTATION_SERVE__MAX_CONCURRENT", "1"),
            ("CLIMASTATION_SERVE__QUEUE_SECONDS", "1"),
            ("CLIMASTATION_SERVE__MAX_STREAMS", "2"),
        ],
    );
    let first = s.completed_events("daily/kl");
    let second = s.completed_events("daily/kl");
    let wait = Duration::from_secs(15);
    assert!(first.recv_timeout(wait).is_ok() && second.recv_timeout(wait).is_ok());
    // a third is refused, naming the limit
    let p = s.get("/api/v1/status/stream").problem(503, None);
    assert!(
        p["detail"].as_str().unwrap().contains("serve.max_streams"),
        "{p}"
    );
    // two streams open, one request slot: requests are still answered
    for _ in 0..3 {
        assert_eq!(s.get("/api/v1/datasets?resolution=daily").status, 200);
    }
    assert_eq!(s.get("/").status, 200);
    assert_eq!(s.get("/static/app.js").status, 200);
    // the streams are still speaking
    assert!(first.recv_timeout(wait).is_ok());
}
