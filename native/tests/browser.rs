//! The dashboard in real headless Chromium, driven through chromedriver's
//! WebDriver HTTP API (`common::webdriver`: JSON over HTTP/1.1): the page
//! is loaded from vitrine's own WebSocket port, its replica
//! (`window.replica`, the wasm built into the binary) must hold the
//! master's dataset of every type in several dbs, follow live writes of
//! every family within a second, resume with a partial resync after
//! `CLIENT KILL TYPE replica`, show a refusal in words, and a screenshot of
//! it must show data.

mod common;

use common::dataset::{Data, Dataset};
use common::repl::{info_field, live_writes, populate, run};
use common::webdriver::Browser;
use common::{free_port, scratch_dir, Conn, Kind, Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The page's replica as canonical entries (see [`canonical`]).
fn page_dataset(browser: &Browser) -> BTreeMap<(u64, String), Value> {
    let dump = browser.eval(DUMP);
    let mut keys = BTreeMap::new();
    for entry in dump.as_array().expect("an array") {
        let db = entry[0].as_u64().expect("db");
        let key = entry[1].as_str().expect("key").to_string();
        let (kind, ttl, value) = (entry[2].clone(), entry[3].clone(), entry[4].clone());
        keys.insert((db, key), canonical(kind, ttl, value));
    }
    keys
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
    let page = page_dataset(browser);
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
        if page_dataset(browser) == master {
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

/// [`master`] holding `populate`'s dataset, and a connection to it.
fn populated_master(extra: &[&str]) -> (Server, u16, Conn) {
    let (server, ws_port) = master(extra);
    let mut conn = server.connect();
    populate(&mut conn);
    (server, ws_port, conn)
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

/// Opens the dashboard of the master whose WebSocket port is `ws_port`
/// and waits until its replica is in sync.
fn open_synced_dashboard(browser: &Browser, ws_port: u16) {
    browser.open(&format!("http://127.0.0.1:{ws_port}/"));
    browser.wait(
        "the page's replica synced",
        "window.replica && window.replica.stats().state === 'connected'",
        Duration::from_secs(30),
    );
}

/// Headless Chromium over WebDriver, or `None` with a note where it is not
/// installed (`scripts/test` installs it).
fn browser() -> Option<Browser> {
    let browser = Browser::start(&[]);
    if browser.is_none() {
        common::skip_unless_required("chromium and chromedriver");
        eprintln!("skipped: chromium and chromedriver are not installed (scripts/test installs them)");
    }
    browser
}

#[test]
fn the_dashboard_replicates_follows_writes_and_resumes() {
    let Some(browser) = browser() else {
        return;
    };
    let (_server, ws_port, mut conn) = populated_master(&[]);

    open_synced_dashboard(&browser, ws_port);
    assert_page_equals_master(&browser, &mut conn);
    let stats = browser.stats();
    assert_eq!(
        (stats["fullSyncs"].clone(), stats["partialSyncs"].clone()),
        (json!(1), json!(0))
    );
    // The page's wasm memory, in whole 64 KiB pages.
    let memory = stats["memoryBytes"].as_u64().unwrap_or(0);
    assert!(memory > 0 && memory % 65536 == 0, "{stats}");
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

/// Back to the dashboard from another page: Chromium restores it from its
/// back-forward cache, and its replica, dropped when the page was hidden,
/// resumes with a partial resync as after a lost connection.
#[test]
fn the_dashboard_resumes_when_the_back_button_restores_it() {
    let Some(browser) = browser() else {
        return;
    };
    let (_server, ws_port, mut conn) = populated_master(&[]);
    open_synced_dashboard(&browser, ws_port);
    browser.eval("window.before = true; return null;");
    browser.open("data:text/html,<p>elsewhere</p>");
    run(&mut conn, &[&["SET", "while-away", "1"], &["DEL", "n"]]);
    browser.command("POST", "back", json!({}));
    browser.wait(
        "the page back, its replica resumed",
        "window.replica && window.replica.stats().state === 'connected' && window.replica.stats().partialSyncs === 1",
        Duration::from_secs(20),
    );
    assert_eq!(
        browser.eval("return window.before === true;"),
        json!(true),
        "the page was loaded again instead of restored"
    );
    assert_eq!(browser.stats()["fullSyncs"], json!(1));
    assert_eq!(info_field(&mut conn, "stats", "sync_full"), "1");
    wait_page_equals_master(&browser, &mut conn, Duration::from_secs(1));
}

/// A hidden tab's timers are throttled (in Chromium, after five minutes,
/// to once a minute): the replica's once-a-second `REPLCONF ACK` then
/// rides on the master's PINGs, so the master does not time the tab out.
/// Here no interval ever fires in the page, and the master's repl-timeout
/// is 3 s.
#[test]
fn a_tab_whose_timers_stall_still_acknowledges() {
    let Some(browser) = browser() else {
        return;
    };
    let (_server, ws_port, mut conn) = populated_master(&["--repl-timeout", "3", "--repl-ping-replica-period", "1"]);
    browser.command(
        "POST",
        "goog/cdp/execute",
        json!({"cmd": "Page.addScriptToEvaluateOnNewDocument",
               "params": {"source": "window.setInterval = () => 0;"}}),
    );
    open_synced_dashboard(&browser, ws_port);
    // Three repl-timeouts.
    std::thread::sleep(Duration::from_secs(9));
    run(&mut conn, &[&["SET", "still-here", "1"]]);
    wait_page_equals_master(&browser, &mut conn, Duration::from_secs(2));
    let stats = browser.stats();
    assert_eq!(
        (
            stats["state"].clone(),
            stats["fullSyncs"].clone(),
            stats["partialSyncs"].clone()
        ),
        (json!("connected"), json!(1), json!(0)),
        "{stats}"
    );
    assert_eq!(info_field(&mut conn, "stats", "sync_partial_ok"), "0");
}

#[test]
fn a_page_loaded_again_keeps_its_cached_wasm() {
    let Some(browser) = browser() else {
        return;
    };
    let (_server, ws_port) = master(&[]);
    // What the page's wasm cost on the wire: its whole body the first
    // time, only the headers of a `304 Not Modified` the second (the
    // browser keeps its copy, and what it compiled of it).
    let wasm_transfer = || {
        browser.open(&format!("http://127.0.0.1:{ws_port}/"));
        browser.wait("the module", "window.replica !== undefined", Duration::from_secs(30));
        browser.eval(
            "const [e] = performance.getEntriesByType('resource').filter(e => e.name.endsWith('.wasm'));
             return [e.transferSize, e.encodedBodySize];",
        )
    };
    let first = wasm_transfer();
    assert!(first[0].as_u64() > Some(100_000), "{first}");
    let again = wasm_transfer();
    let (transferred, body) = (again[0].as_u64().unwrap_or(0), again[1].as_u64().unwrap_or(0));
    assert!(
        transferred > 0 && transferred < 1000 && body == first[1].as_u64().unwrap_or(0),
        "{again}"
    );
}

#[test]
fn refusals_are_explained() {
    let Some(browser) = browser() else {
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
