//! What tools read about the server must match Redis 7.0: the INFO field
//! names of every section, CONFIG GET * (every directive and its default),
//! and COMMAND INFO of every command vitrine implements.

mod common;

use common::{Conn, Kind, Server};
use vitrine_core::resp::frame::{self, Frame, FrameLimits};

fn parse(bytes: &[u8]) -> Frame {
    frame::parse(bytes, &FrameLimits::default()).expect("frame").0
}

/// COMMAND INFO without the subcommand list (Redis lists subcommands in
/// the order of a hash table seeded at random at every start, and
/// containers are compared subcommand by subcommand instead).
fn normalized_command_info(bytes: &[u8]) -> String {
    let mut frame = parse(bytes);
    if let Frame::Array(outer) = &mut frame {
        for info in outer.iter_mut() {
            if let Frame::Array(items) = info {
                if items.len() == 10 {
                    items[9] = Frame::Null;
                }
            }
        }
    }
    format!("{frame:?}")
}

fn bulk_text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(bytes) | Frame::Simple(bytes) | Frame::Verbatim(_, bytes) => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        other => format!("{other:?}"),
    }
}

fn pair() -> (Server, Server) {
    let extra = ["--enable-debug-command", "yes"];
    (Server::start(Kind::Redis, &extra), Server::start(Kind::Vitrine, &extra))
}

fn info_fields(conn: &mut Conn) -> Vec<String> {
    let text = bulk_text(&parse(&conn.cmd(&["INFO", "everything"])));
    let mut fields: Vec<String> = text
        .lines()
        .map(|line| line.split(':').next().unwrap_or("").to_string())
        .filter(|field| field != "vitrine_version")
        // Per-command latency percentiles need latency tracking, not built yet.
        .filter(|field| !field.starts_with("latency_percentiles_usec_"))
        .collect();
    // Redis lists commandstats in the order of its command table's hash,
    // seeded at random on every start: compare them as a set.
    let first = fields.iter().position(|f| f.starts_with("cmdstat_"));
    if let Some(first) = first {
        let end = first + fields[first..].iter().take_while(|f| f.starts_with("cmdstat_")).count();
        fields[first..end].sort();
    }
    fields
}

#[test]
fn info_has_redis_sections_and_fields_in_order() {
    let (redis, vitrine) = pair();
    let ours = info_fields(&mut vitrine.connect());
    let theirs = info_fields(&mut redis.connect());
    let missing: Vec<&String> = theirs.iter().filter(|f| !ours.contains(f)).collect();
    let extra: Vec<&String> = ours.iter().filter(|f| !theirs.contains(f)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(ours, theirs, "same fields, different order");
}

fn config_all(conn: &mut Conn) -> Vec<(String, String)> {
    let Frame::Array(items) = parse(&conn.cmd(&["CONFIG", "GET", "*"])) else {
        panic!("CONFIG GET * is not an array");
    };
    let mut pairs: Vec<(String, String)> = items
        .chunks(2)
        .map(|pair| (bulk_text(&pair[0]), bulk_text(&pair[1])))
        .filter(|(name, _)| !matches!(name.as_str(), "port" | "dir" | "logfile"))
        // vitrine's own directives (the WebSocket listener), not Redis's.
        .filter(|(name, _)| !name.starts_with("websocket-"))
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn config_get_star_lists_every_directive_with_redis_defaults() {
    let (redis, vitrine) = pair();
    assert_eq!(config_all(&mut vitrine.connect()), config_all(&mut redis.connect()));
}

#[test]
fn command_info_matches_for_every_implemented_command() {
    let (redis, vitrine) = pair();
    let mut ours = vitrine.connect();
    let mut theirs = redis.connect();
    // COMMAND LIST names every command and subcommand (`config|get`).
    let Frame::Array(names) = parse(&ours.cmd(&["COMMAND", "LIST"])) else {
        panic!("COMMAND LIST is not an array");
    };
    let mut differ = Vec::new();
    for name in names.iter().map(bulk_text) {
        let ours_info = normalized_command_info(&ours.cmd(&["COMMAND", "INFO", &name]));
        let theirs_info = normalized_command_info(&theirs.cmd(&["COMMAND", "INFO", &name]));
        if ours_info != theirs_info {
            differ.push(format!("{name}\n  redis:   {theirs_info}\n  vitrine: {ours_info}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} commands differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
