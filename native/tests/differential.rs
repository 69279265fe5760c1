//! The differential suite: every case file under `tests/cases/` runs
//! against a real `redis-server` 7.0 and against `vitrine-server`, and the
//! replies must be the same bytes.
//!
//! A case file is a list of commands, one per line, written like
//! `redis-cli` input (quotes and `\xHH` escapes work). Lines starting with
//! `@` are directives:
//!
//! | directive | meaning |
//! |---|---|
//! | `@conn N` | later lines use connection N (1 by default) |
//! | `@unordered CMD` | compare the reply as a multiset (SMEMBERS, HGETALL, KEYS…) |
//! | `@shape CMD` | compare only types and lengths (random replies) |
//! | `@ignore CMD` | run it on both, compare nothing |
//! | `@send CMD` | send without reading (a blocking command) |
//! | `@read` | read the pending reply of the current connection and compare |
//! | `@noreply` | check that the current connection has no reply within 100 ms |
//! | `@raw BYTES` | send raw bytes (escapes allowed), then read and compare a reply |
//! | `@closed` | both servers must have closed the current connection |
//! | `@sleep MS` | wait |
//! | `@scan CMD` | run a SCAN-like command to completion, compare the elements |
//! | `@replies N CMD` | the command answers N replies (SUBSCRIBE a b): compare them all |
//! | `@ureplies N CMD` | as `@replies`, in any order |
//!
//! `#` starts a comment. Each file starts on fresh servers.

mod common;

use common::{Conn, Kind, Server};
use std::collections::HashMap;
use std::time::Duration;
use vitrine_core::resp::frame::{self, Frame, FrameLimits};
use vitrine_core::resp::request::split_args;

/// Server flags both sides get.
const EXTRA: &[&str] = &["--enable-debug-command", "yes", "--protected-mode", "no"];

struct Side {
    server: Server,
    conns: HashMap<usize, Conn>,
}

impl Side {
    fn conn(&mut self, n: usize) -> &mut Conn {
        let port = self.server.port;
        self.conns.entry(n).or_insert_with(|| Conn::connect(port))
    }
}

fn words(line: &str) -> Vec<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut ranges = Vec::new();
    split_args(line.as_bytes(), &mut bytes, &mut ranges).unwrap_or_else(|_| panic!("unbalanced quotes: {line}"));
    ranges.iter().map(|r| bytes[r.clone()].to_vec()).collect()
}

fn parse(reply: &[u8]) -> Frame {
    frame::parse(reply, &FrameLimits::default()).expect("valid frame").0
}

/// A canonical text of `frame` with aggregates sorted at every level.
fn unordered(frame: &Frame) -> String {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            let mut parts: Vec<String> = items.iter().map(unordered).collect();
            parts.sort();
            format!("[{}]", parts.join(","))
        }
        Frame::Map(pairs) => {
            let mut parts: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}=>{}", unordered(k), unordered(v)))
                .collect();
            parts.sort();
            format!("{{{}}}", parts.join(","))
        }
        other => format!("{:?}", other),
    }
}

/// Types and lengths only.
fn shape(frame: &Frame) -> String {
    match frame {
        Frame::Array(items) => format!("array{}", items.len()),
        Frame::Set(items) => format!("set{}", items.len()),
        Frame::Map(pairs) => format!("map{}", pairs.len()),
        Frame::Bulk(_) => "bulk".into(),
        Frame::Integer(_) => "int".into(),
        Frame::Error(e) => format!("error:{}", String::from_utf8_lossy(e)),
        other => format!("{:?}", other),
    }
}

fn scan_all(conn: &mut Conn, command: &[Vec<u8>]) -> Vec<String> {
    let mut cursor = b"0".to_vec();
    let mut seen = Vec::new();
    for _ in 0..100_000 {
        let mut args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
        let cursor_at = if command[0].eq_ignore_ascii_case(b"scan") { 1 } else { 2 };
        args[cursor_at] = &cursor;
        match parse(&conn.call(&args)) {
            Frame::Array(parts) if parts.len() == 2 => {
                if let (Frame::Bulk(next), Frame::Array(items)) = (&parts[0], &parts[1]) {
                    seen.extend(items.iter().map(|i| format!("{:?}", i)));
                    cursor = next.clone();
                    if cursor == b"0" {
                        seen.sort();
                        seen.dedup();
                        return seen;
                    }
                    continue;
                }
                panic!("bad scan reply")
            }
            other => return vec![format!("{:?}", other)],
        }
    }
    panic!("scan did not finish")
}

/// The next reply, or a marker when none comes within a few seconds.
fn reply_or_marker(conn: &mut Conn) -> Vec<u8> {
    conn.try_read_reply(Duration::from_secs(3))
        .unwrap_or_else(|| b"<no reply>".to_vec())
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}

fn run_case_file(name: &str) {
    if !common::redis_available() {
        panic!("redis-server is not installed: run scripts/test, which installs it");
    }
    let path = format!("{}/tests/cases/{}.txt", env!("CARGO_MANIFEST_DIR"), name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut redis = Side {
        server: Server::start(Kind::Redis, EXTRA),
        conns: HashMap::new(),
    };
    let mut vitrine = Side {
        server: Server::start(Kind::Vitrine, EXTRA),
        conns: HashMap::new(),
    };
    let mut current = 1;
    let mut failures = Vec::new();
    let mut cases = 0;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let location = format!("{}:{}: {}", name, number + 1, line);
        let (directive, rest) = match line.strip_prefix('@') {
            Some(d) => match d.split_once(' ') {
                Some((d, rest)) => (d, rest.trim()),
                None => (d, ""),
            },
            None => ("", line),
        };
        let mut compare = |redis_reply: Vec<u8>, vitrine_reply: Vec<u8>, how: &str| {
            cases += 1;
            let same = match how {
                "unordered" => unordered(&parse(&redis_reply)) == unordered(&parse(&vitrine_reply)),
                "shape" => shape(&parse(&redis_reply)) == shape(&parse(&vitrine_reply)),
                _ => redis_reply == vitrine_reply,
            };
            if !same {
                failures.push(format!(
                    "{location}\n  redis:   {}\n  vitrine: {}",
                    show(&redis_reply),
                    show(&vitrine_reply)
                ));
            }
        };
        match directive {
            "conn" => current = rest.parse().expect("connection number"),
            "sleep" => std::thread::sleep(Duration::from_millis(rest.parse().expect("ms"))),
            "send" => {
                let args = words(rest);
                let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                redis.conn(current).send(&args);
                vitrine.conn(current).send(&args);
            }
            "read" => {
                let r = reply_or_marker(redis.conn(current));
                let v = reply_or_marker(vitrine.conn(current));
                compare(r, v, "exact");
            }
            "noreply" => {
                let r = redis.conn(current).try_read_reply(Duration::from_millis(100));
                let v = vitrine.conn(current).try_read_reply(Duration::from_millis(100));
                assert!(r.is_none(), "{location}: redis replied");
                if let Some(v) = v {
                    failures.push(format!("{location}\n  vitrine replied {}", show(&v)));
                }
            }
            "raw" => {
                let bytes = words(&format!("\"{}\"", rest.replace('"', "\\\""))).concat();
                redis.conn(current).send_raw(&bytes);
                vitrine.conn(current).send_raw(&bytes);
                let r = reply_or_marker(redis.conn(current));
                let v = reply_or_marker(vitrine.conn(current));
                compare(r, v, "exact");
            }
            "closed" => {
                let r = redis.conn(current).is_closed(Duration::from_secs(2));
                let v = vitrine.conn(current).is_closed(Duration::from_secs(2));
                assert!(r, "{location}: redis kept the connection");
                if !v {
                    failures.push(format!("{location}\n  vitrine kept the connection open"));
                }
                redis.conns.remove(&current);
                vitrine.conns.remove(&current);
            }
            "replies" | "ureplies" => {
                let (count, command) = rest.split_once(' ').expect("@replies N CMD");
                let count: usize = count.parse().expect("reply count");
                let args = words(command);
                let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                redis.conn(current).send(&args);
                vitrine.conn(current).send(&args);
                let mut r: Vec<String> = (0..count)
                    .map(|_| show(&reply_or_marker(redis.conn(current))))
                    .collect();
                let mut v: Vec<String> = (0..count)
                    .map(|_| show(&reply_or_marker(vitrine.conn(current))))
                    .collect();
                if directive == "ureplies" {
                    r.sort();
                    v.sort();
                }
                compare(r.concat().into_bytes(), v.concat().into_bytes(), "exact");
            }
            "scan" => {
                let args = words(rest);
                let r = scan_all(redis.conn(current), &args);
                let v = scan_all(vitrine.conn(current), &args);
                compare(r.join("\n").into_bytes(), v.join("\n").into_bytes(), "exact");
            }
            "" | "unordered" | "shape" | "ignore" => {
                let args = words(rest);
                let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                redis.conn(current).send(&args);
                vitrine.conn(current).send(&args);
                let r = reply_or_marker(redis.conn(current));
                let v = reply_or_marker(vitrine.conn(current));
                if directive != "ignore" {
                    compare(r, v, if directive.is_empty() { "exact" } else { directive });
                }
            }
            other => panic!("{location}: unknown directive @{other}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} replies differ in {}:\n\n{}",
        failures.len(),
        cases,
        name,
        failures.join("\n\n")
    );
}

macro_rules! case_files {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_case_file(stringify!($name));
            }
        )*
    };
}

case_files!(
    strings,
    keys,
    connection,
    protocol,
    lists,
    hashes,
    sets,
    zsets,
    server,
    transactions,
    pubsub,
    client,
    db,
    sort,
    dump,
    replica
);
