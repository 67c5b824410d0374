//! A small HTTP/1.1 server on 127.0.0.1 for tests: serves a directory like
//! nginx serves DWD's archive (`/dir/` → `dir/index.html`, `Range` for
//! resumes), one connection a thread, stopped when dropped. Faults can be
//! queued per path. Only loopback; every test bounds its own requests.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What to do instead of (or before) serving a request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status and no body.
    Status(u16),
    /// Send the headers of the whole response, then only this many bytes, then close.
    DropAfter(usize),
    /// Wait this long before answering.
    Slow(Duration),
    /// Answer with this status and `Retry-After: <value>`.
    RetryAfter(u16, String),
    /// Answer a Range request with 206 from this offset, whatever was asked.
    PartialFrom(usize),
    /// Send only the first this many bytes, with a Content-Length that
    /// matches them: a complete-looking response of a shorter file.
    ShortBody(usize),
    /// Send this many bytes of the whole response, then nothing for this
    /// long (a stalled connection), then close.
    StallAfter(usize, Duration),
}

#[derive(Default)]
struct State {
    faults: HashMap<String, VecDeque<Fault>>,
    /// Every request: (path, Range header).
    log: Vec<(String, Option<String>)>,
}

pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<State>>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    pub fn serve_dir(root: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new(State::default()));
        let root = root.to_path_buf();
        let (s, st) = (stop.clone(), state.clone());
        let handle = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(conn) = conn {
                    let (root, st) = (root.clone(), st.clone());
                    std::thread::spawn(move || {
                        let _ = handle(conn, &root, &st);
                    });
                }
            }
        });
        Server {
            addr,
            stop,
            state,
            handle: Some(handle),
        }
    }

    /// `http://127.0.0.1:PORT/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// Queues faults for requests of `path` (the URL path, with leading `/`).
    pub fn fault(&self, path: &str, faults: &[Fault]) {
        let mut st = self.state.lock().unwrap();
        st.faults
            .entry(path.to_owned())
            .or_default()
            .extend(faults.iter().cloned());
    }

    /// Requests seen so far for paths ending with `suffix`, with their Range header.
    pub fn requests(&self, suffix: &str) -> Vec<Option<String>> {
        let st = self.state.lock().unwrap();
        st.log
            .iter()
            .filter(|(p, _)| p.ends_with(suffix))
            .map(|(_, r)| r.clone())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn handle(mut conn: TcpStream, root: &Path, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_owned());
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let fault = {
        let mut st = state.lock().unwrap();
        st.log.push((path.clone(), range.clone()));
        st.faults.get_mut(&path).and_then(VecDeque::pop_front)
    };
    let mut drop_after = None;
    let mut partial_from = None;
    let mut short = None;
    let mut stall = None;
    match fault {
        Some(Fault::Status(code)) => {
            return write!(
                conn,
                "HTTP/1.1 {code} Fault\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Some(Fault::RetryAfter(code, after)) => {
            return write!(
                conn,
                "HTTP/1.1 {code} Fault\r\nRetry-After: {after}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Some(Fault::Slow(d)) => std::thread::sleep(d),
        Some(Fault::PartialFrom(n)) => partial_from = Some(n),
        Some(Fault::DropAfter(n)) => drop_after = Some(n),
        Some(Fault::ShortBody(n)) => short = Some(n),
        Some(Fault::StallAfter(n, d)) => {
            drop_after = Some(n);
            stall = Some(d);
        }
        None => {}
    }
    let Some(mut body) = resolve(root, &path).and_then(|f| std::fs::read(f).ok()) else {
        return write!(
            conn,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    };
    if let Some(n) = short {
        body.truncate(n);
    }
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .map(|asked| partial_from.unwrap_or(asked));
    let (status, part) = match start {
        Some(s) if s >= body.len() => {
            return write!(
                conn,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Some(s) => (
            format!(
                "206 Partial Content\r\nContent-Range: bytes {s}-{}/{}",
                body.len() - 1,
                body.len()
            ),
            &body[s..],
        ),
        None => ("200 OK".to_owned(), &body[..]),
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        part.len()
    )?;
    match drop_after {
        Some(n) => {
            conn.write_all(&part[..n.min(part.len())])?;
            conn.flush()?;
            if let Some(d) = stall {
                std::thread::sleep(d);
            }
            Ok(())
        }
        None => conn.write_all(part),
    }
}

/// Never serves anything outside `root`.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let rel = url_path.trim_start_matches('/');
    if rel.split('/').any(|c| c == "..") {
        return None;
    }
    let p = root.join(rel);
    if url_path.ends_with('/') {
        Some(p.join("index.html"))
    } else {
        Some(p)
    }
}
