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
use common::repl::{info_field, live_writes, populate, run, wait_for};
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

/// Share of the pixels inside `area` (x, y, width, height, in pixels)
/// dark enough to be text: the page's text colours (#1d1d1f, #6b6b70)
/// are, its backgrounds, borders and the selected row's tint are not.
fn ink(png: &[u8], area: [usize; 4]) -> f64 {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("a frame");
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let [x, y, w, h] = area;
    let (mut total, mut inked) = (0, 0);
    for row in y..(y + h).min(height) {
        for column in x..(x + w).min(width) {
            let at = (row * width + column) * channels;
            total += 1;
            if pixels[at..at + 3].iter().all(|&channel| channel < 0x90) {
                inked += 1;
            }
        }
    }
    inked as f64 / total.max(1) as f64
}

/// Where the element `id` is drawn in a screenshot, in pixels.
fn area_of(browser: &Browser, id: &str) -> [usize; 4] {
    let rect = browser.eval(&format!(
        "const r = document.getElementById('{id}').getBoundingClientRect(), s = devicePixelRatio;
         return [r.x, r.y, r.width, r.height].map(v => Math.round(v * s));"
    ));
    serde_json::from_value(rect).expect("a rectangle")
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
    // The key list, the value and the feed each show text: 2.7%, 1.4% and
    // 4.4% of their pixels are text-dark here (an empty one takes no room
    // at all).
    for id in ["keylist", "valuebody", "feed"] {
        let area = area_of(&browser, id);
        let ink = ink(&png, area);
        assert!(
            ink > 0.005,
            "#{id} at {area:?} is nearly blank in the screenshot ({ink:.3} inked)"
        );
    }
}

/// Waits (up to 5 s) until `shown` (a script returning the page's offset
/// as text) equals the master's `master_repl_offset`, read each time: the
/// master's PINGs move it.
fn wait_master_offset_shown(browser: &Browser, conn: &mut Conn, shown: &str) {
    let start = Instant::now();
    loop {
        let master = info_field(conn, "replication", "master_repl_offset");
        let page = browser.eval(shown);
        if page == json!(master) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the page shows offset {page}, the master is at {master}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The keys the master's SCAN finds in `db` with `options`, sorted.
fn master_scan(conn: &mut Conn, db: u32, options: &[&str]) -> Vec<String> {
    use common::dataset::Resp;
    assert_eq!(conn.cmd(&["SELECT", &db.to_string()]), b"+OK\r\n");
    let (mut cursor, mut keys) = ("0".to_string(), Vec::new());
    loop {
        let mut command = vec!["SCAN", &cursor];
        command.extend_from_slice(options);
        let Resp::Array(Some(parts)) = Resp::parse(&conn.cmd(&command)) else {
            panic!("SCAN did not reply with an array");
        };
        keys.extend(
            parts[1]
                .strings()
                .iter()
                .map(|k| String::from_utf8_lossy(k).into_owned()),
        );
        cursor = parts[0].text();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(conn.cmd(&["SELECT", "0"]), b"+OK\r\n");
    keys.sort();
    keys
}

/// What the dashboard shows, against the master: the link's status, the
/// key browser's type and db filters, a selected value following writes,
/// the feed naming the keys written, the chart counting them.
#[test]
fn the_dashboard_shows_the_link_the_filtered_keys_and_live_values() {
    let Some(browser) = browser() else {
        return;
    };
    let (_server, ws_port, mut conn) = populated_master(&[]);
    open_synced_dashboard(&browser, ws_port);

    let replid = info_field(&mut conn, "replication", "master_replid");
    let keys = Dataset::read(&mut conn).keys.len();
    // The shown offset is the master's (read again: a PING moves it).
    wait_master_offset_shown(
        &browser,
        &mut conn,
        "return document.getElementById('offset').textContent;",
    );
    let status = browser.eval(
        "return ['state', 'replid', 'keys', 'syncs', 'lastsync', 'lag']
           .map(id => document.getElementById(id).textContent);",
    );
    assert_eq!(status[0], json!("connected"), "{status}");
    assert_eq!(status[1], json!(replid), "{status}");
    assert_eq!(status[2], json!(keys.to_string()), "{status}");
    assert_eq!(status[3], json!("1 / 0"), "{status}");
    assert!(status[4].as_str().is_some_and(|t| t.contains(':')), "{status}");
    assert!(status[5].as_str().is_some_and(|t| t.ends_with(" s")), "{status}");

    // The key browser's filters: a type, then a database.
    let listed = |browser: &Browser, pattern: &str, kind: &str, db: u32| -> Vec<String> {
        let keys = browser.eval(&format!(
            "document.getElementById('pattern').value = '{pattern}';
             document.getElementById('type').value = '{kind}';
             document.getElementById('db').value = '{db}';
             document.querySelector('#filters button').click();
             return [...document.querySelectorAll('#keylist li')].map(li => li.dataset.key);"
        ));
        let mut keys: Vec<String> = serde_json::from_value(keys).expect("keys");
        keys.sort();
        keys
    };
    assert_eq!(
        listed(&browser, "", "zset", 0),
        master_scan(&mut conn, 0, &["TYPE", "zset"])
    );
    assert_eq!(
        listed(&browser, "*i*", "set", 0),
        master_scan(&mut conn, 0, &["MATCH", "*i*", "TYPE", "set"])
    );
    assert_eq!(listed(&browser, "", "", 3), master_scan(&mut conn, 3, &[]));
    assert_eq!(listed(&browser, "", "", 9), vec!["h9".to_string()]);

    // A selected hash follows the master's writes; the feed names them.
    browser.eval("document.querySelector('#keylist li[data-key=\"h9\"]').click(); return null;");
    browser.wait(
        "the value shown",
        "document.getElementById('valuebody').textContent.includes('k')",
        Duration::from_secs(5),
    );
    run(
        &mut conn,
        &[
            &["SELECT", "9"],
            &["HSET", "h9", "added-live", "here"],
            &["SELECT", "0"],
        ],
    );
    browser.wait(
        "the new field in the value view",
        "document.getElementById('valuebody').textContent.includes('added-live')",
        Duration::from_secs(2),
    );
    browser.wait(
        "the write in the feed",
        "document.querySelector('#feed li')?.textContent.includes('hset') && document.querySelector('#feed li').textContent.includes('db 9 h9')",
        Duration::from_secs(2),
    );

    // The chart: bars in the chart's colour, scaled to the busiest second
    // (at least 10 writes). The one HSET drew a tenth of the height (10
    // pixels); 20 writes within two seconds make one full bar (104).
    let tallest_bar = "(() => {
           const canvas = document.getElementById('chart');
           const { width, height } = canvas;
           const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
           let tallest = 0;
           for (let x = 0; x < width; x++) {
             let bar = 0;
             for (let y = 16; y < height; y++) {
               const i = (y * width + x) * 4;
               if (pixels[i] === 0xb3 && pixels[i + 1] === 0x26 && pixels[i + 2] === 0x1e) bar++;
             }
             tallest = Math.max(tallest, bar);
           }
           return tallest;
         })()";
    let before = browser.eval(&format!("return {tallest_bar};"));
    assert!(
        before.as_u64().is_some_and(|px| px < 20),
        "{before} pixels before the writes"
    );
    for i in 0..20 {
        run(&mut conn, &[&["SET", &format!("chart:{i}"), "1"]]);
    }
    browser.wait(
        "a full bar in the chart",
        &format!("{tallest_bar} > 60"),
        Duration::from_secs(3),
    );
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

/// A tab away for longer than the master's backlog covers syncs again in
/// full; a master that is gone is retried with a growing backoff.
#[test]
fn past_the_backlog_a_tab_resyncs_in_full_and_a_gone_master_is_retried_with_backoff() {
    let Some(browser) = browser() else {
        return;
    };
    let (server, ws_port, mut conn) = populated_master(&["--repl-backlog-size", "16kb"]);
    open_synced_dashboard(&browser, ws_port);
    browser.eval(
        "window.syncs = []; window.replica.on('sync', e => window.syncs.push(e));
         window.states = []; window.replica.on('state', e => window.states.push([e.state, Date.now()]));
         return null;",
    );
    // Cut off, and 64 KB written before the first retry (250 ms later).
    assert_eq!(conn.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), b":1\r\n");
    let value = "w".repeat(1024);
    let writes: Vec<u8> = (0..64)
        .flat_map(|i| common::encode(&[b"SET", format!("away:{i}").as_bytes(), value.as_bytes()]))
        .collect();
    conn.send_raw(&writes);
    for _ in 0..64 {
        assert_eq!(conn.read_reply(), b"+OK\r\n");
    }
    browser.wait(
        "a second full sync",
        "window.replica.stats().fullSyncs === 2 && window.replica.stats().state === 'connected'",
        Duration::from_secs(20),
    );
    assert_eq!(browser.eval("return window.syncs;"), json!([{ "full": true }]));
    assert_eq!(browser.stats()["partialSyncs"], json!(0));
    assert_eq!(info_field(&mut conn, "stats", "sync_full"), "2");
    assert_eq!(info_field(&mut conn, "stats", "sync_partial_err"), "1");
    wait_page_equals_master(&browser, &mut conn, Duration::from_secs(1));

    // The master goes away: attempts at about 0.25, 0.5, 1 and 2 s apart.
    browser.eval("window.states = []; return null;");
    drop(conn);
    drop(server);
    // Attempts at about 0.25, 0.75, 1.75 and 3.75 s; the fifth at 7.75.
    std::thread::sleep(Duration::from_millis(5500));
    let attempts =
        browser.eval("return window.states.filter(([state]) => state === 'connecting').map(([, at]) => at);");
    let attempts: Vec<f64> = serde_json::from_value(attempts).expect("times");
    let gaps: Vec<f64> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() >= 3, "attempts at {attempts:?}");
    for (gap, backoff) in gaps.iter().zip([500.0, 1000.0, 2000.0]) {
        assert!(
            *gap >= backoff * 0.9 && *gap < backoff * 2.0,
            "retries {gaps:?} apart, not doubling from 250 ms"
        );
    }
    let state = browser.stats()["state"].clone();
    assert!(
        state == json!("disconnected") || state == json!("connecting"),
        "{state}"
    );
}

/// A full sync of a million keys streams into the module in slices: the
/// page keeps running its own tasks between them.
#[test]
fn the_page_stays_responsive_while_a_million_keys_load() {
    let Some(browser) = browser() else {
        return;
    };
    let (server, ws_port) = master(&[]);
    let mut conn = server.connect();
    const KEYS: usize = 1_000_000;
    for batch in 0..KEYS / 1000 {
        let mut command: Vec<Vec<u8>> = vec![b"MSET".to_vec()];
        for i in batch * 1000..(batch + 1) * 1000 {
            command.push(format!("key:{i}").into_bytes());
            command.push(b"value".to_vec());
        }
        let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
        assert_eq!(conn.call(&args), b"+OK\r\n");
    }
    browser.open(&format!("http://127.0.0.1:{ws_port}/?url=ws://127.0.0.1:9/"));
    browser.wait("the module", "window.replica !== undefined", Duration::from_secs(20));
    // A task posted again and again: the longest time between two of them
    // is the longest the page could not answer input.
    let sync = browser.eval(&format!(
        "window.replica.close();
         const {{ Replica }} = await import('/vitrine_web.js');
         const channel = new MessageChannel();
         let last = performance.now(), longest = 0, beats = 0, beating = true;
         channel.port1.onmessage = () => {{
           const now = performance.now();
           longest = Math.max(longest, now - last);
           last = now;
           beats++;
           if (beating) channel.port2.postMessage(null);
         }};
         channel.port2.postMessage(null);
         const start = performance.now();
         const r = await Replica.connect('ws://127.0.0.1:{ws_port}/replication');
         const ms = performance.now() - start;
         // The task that completed the sync counts too.
         longest = Math.max(longest, performance.now() - last);
         beating = false;
         const keys = r.stats().keys;
         r.close();
         r.free();
         return {{ ms, longest, beats, keys }};"
    ));
    assert_eq!(sync["keys"], json!(KEYS), "{sync}");
    let (ms, longest) = (
        sync["ms"].as_f64().expect("ms"),
        sync["longest"].as_f64().expect("longest"),
    );
    // Slices of 16 ms; the whole load in one task would take the sync's
    // time (300 ms and more).
    assert!(
        longest < 150.0 && longest < ms / 2.0,
        "the page was held for {longest:.0} ms of a {ms:.0} ms sync: {sync}"
    );
    // The beat ran all along, not once.
    assert!(sync["beats"].as_f64().is_some_and(|n| n > ms / 50.0), "{sync}");
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

/// How a master's reply reads through the JavaScript API.
#[derive(Clone, Copy)]
enum Reads {
    /// A bulk string as text, or null.
    Text,
    /// A bulk string as its bytes (`getBytes`), or null.
    Bytes,
    /// An integer as a number.
    Number,
    /// An integer 0 or 1 as a boolean.
    Flag,
    /// An array of bulk strings.
    Texts,
    /// `HGETALL`'s pairs as an object (compared as its sorted entries).
    Record,
    /// `ZRANGE … WITHSCORES` as [member, score] pairs.
    Scored,
    /// A score as a number, or null.
    Score,
}

/// What the page's method should return for the master's `reply`; an
/// error reply is what the method throws.
fn as_read(reply: &[u8], reads: Reads) -> Value {
    use common::dataset::Resp;
    let reply = Resp::parse(reply);
    let text = |b: &[u8]| Value::String(String::from_utf8_lossy(b).into_owned());
    // As JSON writes a JavaScript number: integral ones without a fraction.
    let score = |b: &[u8]| {
        let score: f64 = String::from_utf8_lossy(b).parse().expect("a score");
        if score.fract() == 0.0 && score.abs() < 1e15 {
            json!(score as i64)
        } else {
            json!(score)
        }
    };
    match (reply, reads) {
        (Resp::Error(message), _) => json!({ "threw": String::from_utf8_lossy(&message) }),
        (Resp::Bulk(None), Reads::Text | Reads::Bytes | Reads::Score) => Value::Null,
        (Resp::Bulk(Some(b)) | Resp::Simple(b), Reads::Text) => text(&b),
        (Resp::Bulk(Some(b)), Reads::Bytes) => json!(b),
        (Resp::Bulk(Some(b)), Reads::Score) => score(&b),
        (Resp::Integer(n), Reads::Number) => json!(n),
        (Resp::Integer(n), Reads::Flag) => json!(n == 1),
        (Resp::Array(Some(items)), Reads::Texts) => items.iter().map(|i| text(&i.bytes())).collect(),
        (Resp::Array(Some(items)), Reads::Record) => {
            let mut pairs: Vec<(String, String)> = items.chunks(2).map(|p| (p[0].text(), p[1].text())).collect();
            pairs.sort();
            json!(pairs)
        }
        (Resp::Array(Some(items)), Reads::Scored) => items
            .chunks(2)
            .map(|p| json!([text(&p[0].bytes()), score(&p[1].bytes())]))
            .collect(),
        (reply, _) => panic!("no read of {}", reply.describe()),
    }
}

#[test]
fn every_read_of_the_javascript_api_answers_as_the_master_does() {
    let Some(browser) = browser() else {
        return;
    };
    let (server, ws_port) = master(&[]);
    let mut conn = server.connect();
    run(
        &mut conn,
        &[
            &["SET", "s", "héllo"],
            &["HSET", "h", "f1", "v1", "f2", "v2", "__proto__", "p"],
            &["RPUSH", "l", "a", "b", "c", "d"],
            &["SADD", "st", "x", "y", "z"],
            &["ZADD", "z", "1.5", "m1", "-2", "m2", "10000000000", "m3"],
            &["SET", "e", "soon", "PX", "100000"],
            &["SELECT", "3"],
            &["SET", "other", "3"],
            &["SET", "s", "in three"],
            &["SELECT", "0"],
        ],
    );
    // Not UTF-8: `get` replaces it, `getBytes` does not.
    assert_eq!(conn.call(&[b"SET", b"bin", b"\xff\x00a"]), b"+OK\r\n");

    // The module from the master's page; the dashboard's own replica off.
    browser.open(&format!("http://127.0.0.1:{ws_port}/?url=ws://127.0.0.1:9/"));
    browser.wait("the module", "window.replica !== undefined", Duration::from_secs(20));
    browser.eval(&format!(
        "window.replica.close();
         const {{ Replica }} = await import('/vitrine_web.js');
         const r = new Replica('ws://127.0.0.1:{ws_port}/replication');
         window.events = {{ state: [], sync: [], change: [] }};
         for (const name of ['state', 'sync', 'change']) r.on(name, e => window.events[name].push(e));
         window.api = r;
         await r.ready();
         return null;"
    ));

    // (JavaScript call on `r`, the command the master answers, its db, how
    // the reply reads.)
    let cases: &[(&str, &[&str], u32, Reads)] = &[
        ("r.get('s')", &["GET", "s"], 0, Reads::Text),
        ("r.get('s', 3)", &["GET", "s"], 3, Reads::Text),
        ("r.get(new TextEncoder().encode('s'))", &["GET", "s"], 0, Reads::Text),
        ("r.get('bin')", &["GET", "bin"], 0, Reads::Text),
        ("r.get('nothing')", &["GET", "nothing"], 0, Reads::Text),
        ("r.get('l')", &["GET", "l"], 0, Reads::Text),
        ("r.getBytes('bin')", &["GET", "bin"], 0, Reads::Bytes),
        ("r.getBytes('nothing')", &["GET", "nothing"], 0, Reads::Bytes),
        ("r.hget('h', 'f2')", &["HGET", "h", "f2"], 0, Reads::Text),
        ("r.hget('h', 'f9')", &["HGET", "h", "f9"], 0, Reads::Text),
        ("r.hgetall('h')", &["HGETALL", "h"], 0, Reads::Record),
        ("r.hgetall('nothing')", &["HGETALL", "nothing"], 0, Reads::Record),
        ("r.lrange('l', 1, -2)", &["LRANGE", "l", "1", "-2"], 0, Reads::Texts),
        ("r.lrange('l', 0, -1)", &["LRANGE", "l", "0", "-1"], 0, Reads::Texts),
        ("r.llen('l')", &["LLEN", "l"], 0, Reads::Number),
        ("r.llen('s')", &["LLEN", "s"], 0, Reads::Number),
        ("r.smembers('st').sort()", &["SMEMBERS", "st"], 0, Reads::Texts),
        ("r.sismember('st', 'y')", &["SISMEMBER", "st", "y"], 0, Reads::Flag),
        ("r.sismember('st', 'w')", &["SISMEMBER", "st", "w"], 0, Reads::Flag),
        ("r.scard('st')", &["SCARD", "st"], 0, Reads::Number),
        ("r.zrange('z', 0, -1)", &["ZRANGE", "z", "0", "-1"], 0, Reads::Texts),
        (
            "r.zrange('z', 0, 1, true)",
            &["ZRANGE", "z", "0", "1", "WITHSCORES"],
            0,
            Reads::Scored,
        ),
        ("r.zscore('z', 'm3')", &["ZSCORE", "z", "m3"], 0, Reads::Score),
        ("r.zscore('z', 'm9')", &["ZSCORE", "z", "m9"], 0, Reads::Score),
        ("r.zcard('z')", &["ZCARD", "z"], 0, Reads::Number),
        ("r.type('z')", &["TYPE", "z"], 0, Reads::Text),
        ("r.type('h')", &["TYPE", "h"], 0, Reads::Text),
        ("r.type('nothing')", &["TYPE", "nothing"], 0, Reads::Text),
        ("r.ttl('s')", &["TTL", "s"], 0, Reads::Number),
        ("r.ttl('nothing')", &["TTL", "nothing"], 0, Reads::Number),
        ("r.pttl('nothing')", &["PTTL", "nothing"], 0, Reads::Number),
        ("r.exists('st')", &["EXISTS", "st"], 0, Reads::Flag),
        ("r.exists('other')", &["EXISTS", "other"], 0, Reads::Flag),
        ("r.exists('other', 3)", &["EXISTS", "other"], 3, Reads::Flag),
        ("r.dbsize()", &["DBSIZE"], 0, Reads::Number),
        ("r.dbsize(3)", &["DBSIZE"], 3, Reads::Number),
    ];
    let calls: Vec<&str> = cases.iter().map(|(call, ..)| *call).collect();
    let page = browser.eval(&format!(
        "const r = window.api;
         const read = call => {{
           try {{
             const value = call();
             if (value instanceof Uint8Array) return Array.from(value);
             // A record's entries, sorted: WebDriver's JSON would drop a
             // `__proto__` field.
             if (value !== null && typeof value === 'object' && !Array.isArray(value)) {{
               return Object.entries(value).sort();
             }}
             return value;
           }} catch (e) {{ return {{ threw: e.message }}; }}
         }};
         return [{}].map(read);",
        calls
            .iter()
            .map(|c| format!("() => {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for ((call, command, db, reads), got) in cases.iter().zip(page.as_array().expect("an array")) {
        assert_eq!(conn.cmd(&["SELECT", &db.to_string()]), b"+OK\r\n");
        let mut expected = as_read(&conn.cmd(command), *reads);
        if call.ends_with(".sort()") {
            let mut items = expected.as_array().cloned().unwrap_or_default();
            items.sort_by_key(Value::to_string);
            expected = Value::Array(items);
        }
        assert_eq!(got, &expected, "{call} against {command:?} in db {db}");
    }
    assert_eq!(conn.cmd(&["SELECT", "0"]), b"+OK\r\n");
    // The expiring key counts down as on the master (same deadline).
    let master_pttl = common::dataset::Resp::parse(&conn.cmd(&["PTTL", "e"])).integer();
    let ttls = browser.eval("return [window.api.ttl('e'), window.api.pttl('e')];");
    let (ttl, pttl) = (ttls[0].as_i64().unwrap_or(-9), ttls[1].as_i64().unwrap_or(-9));
    assert!(
        (master_pttl - 2000..=master_pttl).contains(&pttl) && (ttl * 1000 - pttl).abs() <= 1000,
        "page {ttls}, master PTTL {master_pttl}"
    );

    // SCAN with every option: the pages together hold what the master's
    // SCAN finds.
    let scanned = browser.eval(
        "const keys = [];
         for (const options of [{ match: '*t*', count: 2 }, { type: 'string', db: 3 }, { type: 'zset' }]) {
           let cursor = 0, found = [];
           do {
             const page = window.api.scan(cursor, options);
             cursor = page.cursor;
             found.push(...page.keys);
           } while (cursor !== '0');
           keys.push(found.sort());
         }
         return keys;",
    );
    let expected = [
        master_scan(&mut conn, 0, &["MATCH", "*t*", "COUNT", "2"]),
        master_scan(&mut conn, 3, &["TYPE", "string"]),
        master_scan(&mut conn, 0, &["TYPE", "zset"]),
    ];
    assert_eq!(scanned, json!(expected));
    assert_eq!(scanned, json!([["st"], ["other", "s"], ["z"]]));

    // stats() against the master's INFO.
    let stats = browser.eval("return window.api.stats();");
    assert_eq!(stats["state"], json!("connected"), "{stats}");
    assert_eq!(
        stats["replid"],
        json!(info_field(&mut conn, "replication", "master_replid"))
    );
    wait_master_offset_shown(&browser, &mut conn, "return String(window.api.stats().offset);");
    assert_eq!(stats["keys"], json!(9), "{stats}");
    assert_eq!(
        (stats["fullSyncs"].clone(), stats["partialSyncs"].clone()),
        (json!(1), json!(0))
    );
    assert!(stats["bytesReceived"].as_u64().is_some_and(|n| n > 100), "{stats}");
    assert!(stats["lag"].as_f64().is_some_and(|ms| ms >= 0.0), "{stats}");
    let now = browser.eval("return Date.now();").as_f64().expect("now");
    let last = stats["lastSync"].as_f64().expect("lastSync");
    assert!(last <= now && now - last < 30_000.0, "{stats}");
    assert!(stats["error"].is_null(), "{stats}");

    // State and sync events from the start; change events, until `off`.
    let events = browser.eval("return window.events;");
    let states: Vec<&str> = events["state"]
        .as_array()
        .expect("states")
        .iter()
        .filter_map(|e| e["state"].as_str())
        .collect();
    // (A small snapshot can load within the message that starts it: the
    // `sync` state is then never seen.)
    assert_eq!(states.last(), Some(&"connected"), "{events}");
    assert!(
        states.contains(&"handshake")
            && states
                .iter()
                .all(|s| ["connecting", "handshake", "sync", "connected"].contains(s)),
        "{events}"
    );
    assert_eq!(events["sync"], json!([{ "full": true }]), "{events}");
    run(
        &mut conn,
        &[
            &["SET", "s", "new"],
            &["SELECT", "3"],
            &["DEL", "other"],
            &["SELECT", "0"],
        ],
    );
    browser.wait(
        "two changes",
        "window.events.change.length === 2",
        Duration::from_secs(5),
    );
    let changes = browser.eval(
        "const listener = () => window.events.change.push('after off');
         window.api.on('change', listener);
         window.api.off('change', listener);
         return window.events.change;",
    );
    assert_eq!(
        changes,
        json!([{ "db": 0, "key": "s", "command": "set" }, { "db": 3, "key": "other", "command": "del" }])
    );
    run(&mut conn, &[&["HSET", "h", "f3", "v3"]]);
    browser.wait(
        "the third change",
        "window.events.change.length === 3",
        Duration::from_secs(5),
    );
    assert_eq!(browser.eval("return window.api.hget('h', 'f3');"), json!("v3"));

    // close(): the link ends for good, and the master sees it go.
    browser.eval("window.api.close(); return null;");
    assert_eq!(browser.eval("return window.api.stats().state;"), json!("closed"));
    wait_for("the master to drop the closed tab", Duration::from_secs(10), || {
        info_field(&mut conn, "replication", "browser_replicas") == "0"
    });
    let states = browser.eval("return window.events.state.map(e => e.state);");
    assert_eq!(
        states.as_array().and_then(|s| s.last()),
        Some(&json!("closed")),
        "{states}"
    );
}
