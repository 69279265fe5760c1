//! The dashboard in real headless Chromium, driven through chromedriver's
//! WebDriver HTTP API (a small client below: JSON over HTTP/1.1): the page
//! is loaded from vitrine's own WebSocket port, its replica
//! (`window.replica`, the wasm built into the binary) must hold the
//! master's dataset of every type in several dbs, follow live writes of
//! every family within a second, resume with a partial resync after
//! `CLIENT KILL TYPE replica`, show a refusal in words, and a screenshot of
//! it must show data.

mod common;

use common::dataset::{Data, Dataset};
use common::repl::{info_field, live_writes, populate, run, wait_for};
use common::{free_port, scratch_dir, Conn, Kind, Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A chromedriver process and one headless Chromium session.
struct Browser {
    driver: Child,
    port: u16,
    session: String,
    /// One browser at a time: two Chromiums on a loaded 2-core machine
    /// make each other's timings meaningless.
    _turn: std::sync::MutexGuard<'static, ()>,
}

static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Browser {
    /// Starts chromedriver and a headless Chromium (`None` when either is
    /// not installed: `scripts/test` installs both).
    fn start() -> Option<Browser> {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())?;
        let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _turn: turn,
        };
        wait_for("chromedriver ready", Duration::from_secs(30), || {
            browser
                .try_request("GET", "/status", None)
                .is_ok_and(|status| status["ready"] == json!(true))
        });
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1400,1000"]
            }
        }}});
        // A loaded machine may drop the first attempt.
        let mut created = browser.try_request("POST", "/session", Some(&capabilities));
        for _ in 0..2 {
            if created.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
            created = browser.try_request("POST", "/session", Some(&capabilities));
        }
        let created = created.unwrap_or_else(|error| panic!("no Chromium session: {error}"));
        browser.session = created["sessionId"].as_str().expect("a session id").to_string();
        browser.command("POST", "timeouts", json!({"script": 60_000, "pageLoad": 60_000}));
        Some(browser)
    }

    /// One WebDriver call; the response's `value`.
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.try_request(method, path, body)
            .unwrap_or_else(|error| panic!("WebDriver {method} {path}: {error}"))
    }

    /// One WebDriver call: the response's `value`, or what went wrong.
    fn try_request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let io = |e: std::io::Error| e.to_string();
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(io)?;
        stream.set_read_timeout(Some(Duration::from_secs(120))).map_err(io)?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(body.as_bytes()).map_err(io)?;
        let mut reader = BufReader::new(stream);
        let mut length = None;
        let mut status = String::new();
        reader.read_line(&mut status).map_err(io)?;
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(io)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let mut text = Vec::new();
        match length {
            Some(n) => {
                text.resize(n, 0);
                reader.read_exact(&mut text).map_err(io)?;
            }
            None => {
                reader.read_to_end(&mut text).map_err(io)?;
            }
        }
        let reply: Value = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
        let value = reply["value"].clone();
        if !status.starts_with("HTTP/1.1 200") {
            return Err(format!("{} {} {}", status.trim(), value["error"], value["message"]));
        }
        Ok(value)
    }

    /// A call on the session.
    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        self.request(method, &format!("/session/{}/{path}", self.session), Some(&body))
    }

    fn open(&self, url: &str) {
        self.command("POST", "url", json!({ "url": url }));
    }

    /// Runs `body` (an async function body) in the page; its result.
    fn eval(&self, body: &str) -> Value {
        let script = format!("return (async () => {{ {body} }})();");
        self.command("POST", "execute/sync", json!({"script": script, "args": []}))
    }

    /// Polls `condition` (a JS expression) every 25 ms until it holds.
    fn wait(&self, what: &str, condition: &str, within: Duration) {
        let ms = within.as_millis();
        let done = self.eval(&format!(
            "const end = Date.now() + {ms};
             while (Date.now() < end) {{
               try {{ if ({condition}) return true; }} catch (e) {{}}
               await new Promise(r => setTimeout(r, 25));
             }}
             return false;"
        ));
        assert_eq!(done, json!(true), "{what} within {ms} ms; page stats: {}", self.stats());
    }

    fn stats(&self) -> Value {
        self.eval("return window.replica ? window.replica.stats() : null;")
    }

    /// The page's replica as canonical entries (see [`canonical`]).
    fn dataset(&self) -> BTreeMap<(u64, String), Value> {
        let dump = self.eval(DUMP);
        let mut keys = BTreeMap::new();
        for entry in dump.as_array().expect("an array") {
            let db = entry[0].as_u64().expect("db");
            let key = entry[1].as_str().expect("key").to_string();
            let (kind, ttl, value) = (entry[2].clone(), entry[3].clone(), entry[4].clone());
            keys.insert((db, key), canonical(kind, ttl, value));
        }
        keys
    }

    /// A PNG of the page.
    fn screenshot(&self) -> Vec<u8> {
        let encoded = self.request("GET", &format!("/session/{}/screenshot", self.session), None);
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("base64 text"))
            .expect("base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = self.try_request("DELETE", &path, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Every key of every db through the replica's JavaScript API.
const DUMP: &str = r#"
const r = window.replica;
const out = [];
for (let db = 0; db < 16; db++) {
  let cursor = "0";
  do {
    const page = r.scan(cursor, { count: 1000, db });
    cursor = page.cursor;
    for (const key of page.keys) {
      const type = r.type(key, db);
      let value = null;
      if (type === "string") value = r.get(key, db);
      else if (type === "list") value = r.lrange(key, 0, -1, db);
      else if (type === "hash") value = Object.entries(r.hgetall(key, db));
      else if (type === "set") value = r.smembers(key, db);
      else if (type === "zset") value = r.zrange(key, 0, -1, true, db);
      out.push([db, key, type, r.pttl(key, db) >= 0, value]);
    }
  } while (cursor !== "0");
}
return out;
"#;

/// One key as both sides are compared: type, whether it expires, and the
/// value with hash fields and set members sorted, scores as numbers.
fn canonical(kind: Value, ttl: Value, value: Value) -> Value {
    let sorted = |mut items: Vec<Value>| {
        items.sort_by_key(|v| v.to_string());
        Value::Array(items)
    };
    let value = match (kind.as_str(), value) {
        (Some("hash") | Some("set"), Value::Array(items)) => sorted(items),
        // Scores as floats on both sides (JSON tells 1 from 1.0).
        (Some("zset"), Value::Array(pairs)) => pairs
            .into_iter()
            .map(|pair| json!([pair[0], pair[1].as_f64()]))
            .collect(),
        (_, value) => value,
    };
    json!([kind, ttl, value])
}

/// The master's dataset in the same form.
fn master_dataset(conn: &mut Conn) -> BTreeMap<(u64, String), Value> {
    let text = |b: &[u8]| Value::String(String::from_utf8_lossy(b).into_owned());
    let dataset = Dataset::read(conn);
    let mut keys = BTreeMap::new();
    for ((db, key), entry) in dataset.keys {
        let value = match entry.data {
            Data::String(bytes) => text(&bytes),
            Data::List(items) | Data::Set(items) => Value::Array(items.iter().map(|i| text(i)).collect()),
            Data::Hash(pairs) => Value::Array(pairs.iter().map(|(f, v)| json!([text(f), text(v)])).collect()),
            Data::ZSet(pairs) => Value::Array(
                pairs
                    .iter()
                    .map(|(m, s)| {
                        let score: f64 = String::from_utf8_lossy(s).parse().expect("a score");
                        json!([text(m), score])
                    })
                    .collect(),
            ),
            Data::Other(name) => panic!("unexpected type {name}"),
        };
        let ttl = Value::Bool(entry.expire_at_ms >= 0);
        keys.insert(
            (db as u64, String::from_utf8_lossy(&key).into_owned()),
            canonical(Value::String(entry.type_name), ttl, value),
        );
    }
    keys
}

/// Panics with the differing keys unless the page holds the master's data.
fn assert_page_equals_master(browser: &Browser, conn: &mut Conn) {
    let page = browser.dataset();
    let master = master_dataset(conn);
    if page != master {
        let mut lines = Vec::new();
        for (name, value) in &master {
            if page.get(name) != Some(value) {
                let page = page.get(name).map_or("nothing".into(), Value::to_string);
                let short = |text: String| text.chars().take(300).collect::<String>();
                lines.push(format!(
                    "{name:?}: master {} page {}",
                    short(value.to_string()),
                    short(page)
                ));
            }
        }
        for name in page.keys().filter(|k| !master.contains_key(*k)) {
            lines.push(format!("{name:?}: only in the page"));
        }
        lines.truncate(20);
        panic!("the page's replica differs from the master:\n{}", lines.join("\n"));
    }
}

/// Waits (up to `within`) until the page's data equals the master's.
fn wait_page_equals_master(browser: &Browser, conn: &mut Conn, within: Duration) -> Duration {
    let start = Instant::now();
    let master = master_dataset(conn);
    loop {
        if browser.dataset() == master {
            return start.elapsed();
        }
        if start.elapsed() > within {
            assert_page_equals_master(browser, conn);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A vitrine master with the dashboard on a free WebSocket port.
fn master(extra: &[&str]) -> (Server, u16) {
    let ws_port = free_port();
    let port = ws_port.to_string();
    let mut args = vec!["--websocket-port", &port, "--repl-diskless-sync-delay", "0"];
    args.extend_from_slice(extra);
    (Server::start(Kind::Vitrine, &args), ws_port)
}

/// Share of pixels that are neither of the page's two backgrounds.
fn ink(png: &[u8]) -> f64 {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("a frame");
    let channels = frame.color_type.samples();
    let pixels = &pixels[..frame.buffer_size()];
    let backgrounds = [[0xf7, 0xf7, 0xf5], [0xff, 0xff, 0xff]];
    let total = pixels.len() / channels;
    let inked = pixels
        .chunks(channels)
        .filter(|p| !backgrounds.iter().any(|b| p[..3] == b[..]))
        .count();
    inked as f64 / total as f64
}

#[test]
fn the_dashboard_replicates_follows_writes_and_resumes() {
    let Some(browser) = Browser::start() else {
        eprintln!("skipped: chromium and chromedriver are not installed (scripts/test installs them)");
        return;
    };
    let (server, ws_port) = master(&[]);
    let mut conn = server.connect();
    populate(&mut conn);

    browser.open(&format!("http://127.0.0.1:{ws_port}/"));
    browser.wait(
        "the page's replica synced",
        "window.replica && window.replica.stats().state === 'connected'",
        Duration::from_secs(30),
    );
    assert_page_equals_master(&browser, &mut conn);
    let stats = browser.stats();
    assert_eq!(
        (stats["fullSyncs"].clone(), stats["partialSyncs"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(info_field(&mut conn, "replication", "browser_replicas"), "1");

    // Live writes of every family: their change events and their data.
    browser.eval("window.seen = []; window.replica.on('change', e => window.seen.push(e)); return null;");
    for round in 0..3 {
        live_writes(&mut conn, round);
    }
    run(
        &mut conn,
        &[
            &["SELECT", "9"],
            &["FLUSHDB"],
            &["SELECT", "0"],
            &["SWAPDB", "3", "5"],
            &["PEXPIRE", "n", "100000"],
            &["LPOP", "biglist"],
            &["HDEL", "bighash", "field7"],
            &["SREM", "bigset", "m7"],
            &["ZREM", "bigzset", "z7"],
        ],
    );
    let took = wait_page_equals_master(&browser, &mut conn, Duration::from_secs(1));
    eprintln!("live writes reached the page within {took:?}");
    let seen = browser.eval("return window.seen.map(e => `${e.db} ${e.command} ${e.key}`);");
    let seen: Vec<String> = serde_json::from_value(seen).expect("strings");
    for expected in [
        "0 set live",
        "0 pexpireat live",
        "0 srem pop",
        "0 incr counter",
        "0 zincrby zset",
        "5 hset h5",
        "5 del gone",
        "9 flushdb null",
        "0 swapdb null",
        "0 lpop biglist",
    ] {
        assert!(seen.iter().any(|s| s == expected), "no '{expected}' event in {seen:?}");
    }

    // The link is cut: the tab resumes where it stopped.
    let killed = conn.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    assert_eq!(killed, b":1\r\n");
    run(&mut conn, &[&["SET", "while-away", "1"], &["HSET", "hash", "f3", "v3"]]);
    browser.wait(
        "a partial resync",
        "window.replica.stats().partialSyncs === 1 && window.replica.stats().state === 'connected'",
        Duration::from_secs(20),
    );
    let stats = browser.stats();
    assert_eq!(stats["fullSyncs"], json!(1), "{stats}");
    assert_eq!(info_field(&mut conn, "stats", "sync_full"), "1");
    live_writes(&mut conn, 3);
    wait_page_equals_master(&browser, &mut conn, Duration::from_secs(1));

    // What a person sees: status, keys, a value, the feed.
    browser.eval(
        "document.getElementById('pattern').value = 'big*';
         document.querySelector('#filters button').click();
         await new Promise(r => setTimeout(r, 100));
         document.querySelector('#keylist li[data-key=\"bighash\"]').click();
         await new Promise(r => setTimeout(r, 1200));
         return null;",
    );
    let shown = browser.eval(
        "return [document.getElementById('state').textContent,
                 document.querySelectorAll('#keylist li').length,
                 document.getElementById('valuemeta').textContent,
                 document.querySelectorAll('#feed li').length];",
    );
    assert_eq!(shown[0], json!("connected"), "{shown}");
    assert_eq!(shown[1], json!(4), "{shown}");
    // 300 fields less the one HDEL took.
    assert!(
        shown[2].as_str().is_some_and(|m| m.contains("hash · 299 fields")),
        "{shown}"
    );
    assert!(shown[3].as_u64().is_some_and(|n| n > 10), "{shown}");
    let png = browser.screenshot();
    let dir = scratch_dir("browser");
    std::fs::write(dir.join("dashboard.png"), &png).expect("save the screenshot");
    let ink = ink(&png);
    assert!(ink > 0.03, "the screenshot is nearly blank ({ink:.3} inked)");
}

#[test]
fn refusals_are_explained() {
    let Some(browser) = Browser::start() else {
        eprintln!("skipped: chromium and chromedriver are not installed (scripts/test installs them)");
        return;
    };
    let (server, ws_port) = master(&["--websocket-requirepass", "tab-secret"]);
    let mut conn = server.connect();
    run(&mut conn, &[&["SET", "k", "v"]]);

    // A wrong secret: the page says so; the right one replicates.
    browser.open(&format!("http://127.0.0.1:{ws_port}/?password=wrong"));
    browser.wait(
        "the refusal shown",
        "!document.getElementById('error').hidden",
        Duration::from_secs(20),
    );
    let error = browser.eval("return document.getElementById('error').textContent;");
    let error = error.as_str().expect("text");
    assert!(
        error.contains("refused this page's secret") && error.contains("WRONGPASS"),
        "{error}"
    );
    // `Replica.connect` rejects with the reason (the class is the
    // instance's constructor).
    let rejected = browser.eval(&format!(
        "try {{
           await window.replica.constructor.connect('ws://127.0.0.1:{ws_port}/replication', {{ password: 'nope' }});
           return 'connected';
         }} catch (e) {{ return String(e.message || e); }}"
    ));
    assert!(rejected.as_str().is_some_and(|e| e.contains("WRONGPASS")), "{rejected}");
    browser.eval(
        "document.getElementById('password').value = 'tab-secret';
         document.querySelector('#connect button').click(); return null;",
    );
    browser.wait(
        "the right secret",
        "window.replica.stats().state === 'connected' && window.replica.get('k') === 'v'",
        Duration::from_secs(20),
    );
    browser.wait(
        "the error cleared",
        "document.getElementById('error').hidden",
        Duration::from_secs(5),
    );

    // A page from another origin is refused by this server's listener.
    let (_other, other_port) = master(&[]);
    browser.open(&format!(
        "http://127.0.0.1:{other_port}/?url=ws://127.0.0.1:{ws_port}/replication&password=tab-secret"
    ));
    browser.wait(
        "the foreign origin refused",
        "document.getElementById('error').textContent.includes('refused the WebSocket connection')",
        Duration::from_secs(20),
    );
    // The page that left took its link along; the foreign one got none.
    let start = Instant::now();
    while info_field(&mut conn, "replication", "browser_replicas") != "0" {
        if start.elapsed() > Duration::from_secs(10) {
            let clients = conn.cmd(&["CLIENT", "LIST"]);
            panic!(
                "a browser replica is left: {}\n{}",
                String::from_utf8_lossy(&clients),
                server.log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Loads `count` keys into `port` (70% strings, 10% hashes, 10% lists, 5%
/// sets, 5% sorted sets, 5 elements each) through one pipelined connection.
fn load_keys(port: u16, count: usize) {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut reader = stream.try_clone().expect("clone");
    let drain = std::thread::spawn(move || {
        // Every reply is one short line (+OK or :n).
        let mut buffer = vec![0u8; 1 << 16];
        let mut lines = 0;
        while lines < count {
            let n = reader.read(&mut buffer).expect("replies");
            assert!(n > 0, "the server closed the loading connection");
            lines += buffer[..n].iter().filter(|&&b| b == b'\n').count();
        }
    });
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, stream);
    for i in 0..count {
        let key = format!("key:{i}");
        let args: Vec<String> = match i % 20 {
            0 | 1 => ["HSET", &key, "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]
                .map(String::from)
                .to_vec(),
            2 | 3 => ["RPUSH", &key, "a", "b", "c", "d", "e"].map(String::from).to_vec(),
            4 => ["SADD", &key, "a", "b", "c", "d", "e"].map(String::from).to_vec(),
            5 => ["ZADD", &key, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]
                .map(String::from)
                .to_vec(),
            _ => vec!["SET".into(), key.clone(), format!("value-{i:012}")],
        };
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        writer.write_all(&common::encode(&args)).expect("write");
    }
    writer.flush().expect("flush");
    drain.join().expect("the reply reader");
}

/// Measurements for the issue's benchmarks (not a pass/fail test; run
/// with `cargo test --release -p vitrine-server --test browser -- --ignored
/// --nocapture`, `BENCH_KEYS` keys, 1,000,000 by default): a full sync into
/// the tab against a native vitrine replica of the same master, the tab's
/// wasm memory per key against the master's `used_memory` per key, and the
/// change-event latency (master write → JavaScript callback) at 1,000
/// writes per second.
#[test]
#[ignore]
fn bench_tab_full_sync_memory_and_latency() {
    let Some(browser) = Browser::start() else {
        eprintln!("skipped: chromium and chromedriver are not installed");
        return;
    };
    let count: usize = std::env::var("BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (server, ws_port) = master(&[]);
    let mut conn = server.connect();
    let empty_memory: f64 = info_field(&mut conn, "memory", "used_memory")
        .parse()
        .expect("used_memory");
    load_keys(server.port, count);
    let used_memory: f64 = info_field(&mut conn, "memory", "used_memory")
        .parse()
        .expect("used_memory");
    assert_eq!(conn.cmd(&["DBSIZE"]), format!(":{count}\r\n").into_bytes());

    // A native vitrine replica of the same master, then the tab (the
    // page's own replica pointed nowhere, a fresh one timed): the median
    // of three full syncs each.
    let rounds = 3;
    let port = server.port.to_string();
    let mut native = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        let replica = Server::start(Kind::Vitrine, &["--replicaof", "127.0.0.1", &port]);
        let mut replica_conn = replica.connect();
        wait_for("the native replica", Duration::from_secs(600), || {
            info_field(&mut replica_conn, "replication", "master_link_status") == "up"
                && info_field(&mut replica_conn, "replication", "master_sync_in_progress") == "0"
        });
        native.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    browser.open(&format!("http://127.0.0.1:{ws_port}/?url=not-a-url"));
    browser.wait("the module", "window.replica !== undefined", Duration::from_secs(30));
    let measured = browser.eval(&format!(
        "const module = await import('/vitrine_web.js');
         const exports = await module.default();
         const times = [];
         let grown = 0, keys = 0;
         for (let round = 0; round < {rounds}; round++) {{
           if (window.bench) {{ window.bench.close(); window.bench.free(); }}
           const before = exports.memory.buffer.byteLength;
           const t0 = performance.now();
           window.bench = await module.Replica.connect('ws://127.0.0.1:{ws_port}/replication');
           times.push(performance.now() - t0);
           if (round === 0) grown = exports.memory.buffer.byteLength - before;
           keys = window.bench.stats().keys;
         }}
         return [times, keys, grown];"
    ));
    let median = |mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let tab_times: Vec<f64> = serde_json::from_value(measured[0].clone()).expect("times");
    let (tab, native) = (median(tab_times), median(native));
    let (keys, grown) = (
        measured[1].as_u64().expect("keys"),
        measured[2].as_f64().expect("bytes"),
    );
    assert_eq!(keys, count as u64);

    // Latency: each write carries its wall-clock time; the tab's change
    // listener reads it back on arrival.
    browser.eval(
        "window.latencies = [];
         window.bench.on('change', e => {
           if (e.key && e.key.startsWith('lat:')) window.latencies.push(Date.now() - Number(window.bench.get(e.key)));
         });
         return null;",
    );
    let rate = 1000;
    let writes = 3000;
    let start = Instant::now();
    for i in 0..writes {
        let due = start + Duration::from_micros(i * 1_000_000 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis()
            .to_string();
        conn.cmd(&["SET", &format!("lat:{}", i % 100), &now]);
    }
    browser.wait(
        "every event",
        &format!("window.latencies.length >= {writes}"),
        Duration::from_secs(30),
    );
    let mut latencies: Vec<f64> = serde_json::from_value(browser.eval("return window.latencies;")).expect("numbers");
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    eprintln!(
        "{count} keys: full sync native replica {native:.0} ms, tab {tab:.0} ms (ratio {:.2}); \
         memory per key: master {:.0} B, tab {:.0} B; \
         change events at {rate}/s: p50 {} ms, p99 {} ms, max {} ms",
        tab / native,
        (used_memory - empty_memory) / count as f64,
        grown / count as f64,
        at(0.5),
        at(0.99),
        at(1.0),
    );
}
