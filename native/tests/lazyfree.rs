//! Lazy freeing of emptied databases, against `redis-server` 7.0:
//! `FLUSHALL ASYNC`, `FLUSHDB` under `lazyfree-lazy-user-flush yes`, and a
//! replica's full resync under `replica-lazy-flush yes` empty at once and
//! free later; `INFO memory`'s `lazyfree_pending_objects` drains and
//! `lazyfreed_objects` counts the keys, as Redis's lazyfree thread does.

mod common;

use common::dataset::{pipeline, Resp};
use common::repl::{info_field, wait_for};
use common::{Conn, Kind, Server};
use std::time::Duration;

/// Adds `count` keys `prefix:N` to the current database, every other
/// one with an expiry an hour away.
fn fill(conn: &mut Conn, prefix: &str, count: usize) {
    let keys: Vec<String> = (0..count).map(|i| format!("{prefix}:{i}")).collect();
    for chunk in keys.chunks(500) {
        let mut mset = vec!["MSET"];
        for key in chunk {
            mset.extend([key.as_str(), "value"]);
        }
        assert_eq!(conn.cmd(&mset), b"+OK\r\n");
    }
    let expires: Vec<Vec<&[u8]>> = keys
        .iter()
        .step_by(2)
        .map(|key| vec![&b"EXPIRE"[..], key.as_bytes(), b"3600"])
        .collect();
    for chunk in expires.chunks(500) {
        for reply in pipeline(conn, chunk) {
            assert_eq!(reply, Resp::Integer(1));
        }
    }
}

/// `lazyfreed_objects` once nothing is pending any more.
fn lazyfreed(conn: &mut Conn) -> String {
    wait_for("lazyfree_pending_objects:0", Duration::from_secs(20), || {
        info_field(conn, "memory", "lazyfree_pending_objects") == "0"
    });
    info_field(conn, "memory", "lazyfreed_objects")
}

/// What one server shows through a sequence of flushes.
fn flushes(kind: Kind) -> Vec<String> {
    let server = Server::start(kind, &[]);
    let mut conn = server.connect();
    let mut seen = Vec::new();
    fill(&mut conn, "a", 20_000);
    assert_eq!(conn.cmd(&["SELECT", "3"]), b"+OK\r\n");
    fill(&mut conn, "b", 3_000);
    // ASYNC: the keys are gone for clients at once.
    assert_eq!(conn.cmd(&["FLUSHALL", "ASYNC"]), b"+OK\r\n");
    seen.push(String::from_utf8_lossy(&conn.cmd(&["DBSIZE"])).into_owned());
    seen.push(lazyfreed(&mut conn));
    // No flag: lazyfree-lazy-user-flush decides.
    fill(&mut conn, "c", 1_000);
    assert_eq!(conn.cmd(&["FLUSHDB"]), b"+OK\r\n");
    seen.push(lazyfreed(&mut conn));
    assert_eq!(
        conn.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"]),
        b"+OK\r\n"
    );
    fill(&mut conn, "d", 2_000);
    assert_eq!(conn.cmd(&["FLUSHDB"]), b"+OK\r\n");
    seen.push(String::from_utf8_lossy(&conn.cmd(&["DBSIZE"])).into_owned());
    seen.push(lazyfreed(&mut conn));
    // SYNC overrides it.
    fill(&mut conn, "e", 500);
    assert_eq!(conn.cmd(&["FLUSHALL", "SYNC"]), b"+OK\r\n");
    seen.push(lazyfreed(&mut conn));
    // Counters start again from zero.
    assert_eq!(conn.cmd(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
    seen.push(info_field(&mut conn, "memory", "lazyfreed_objects"));
    seen
}

#[test]
fn flushes_free_lazily_and_count_as_redis_does() {
    let redis = flushes(Kind::Redis);
    assert_eq!(redis, [":0\r\n", "23000", "23000", ":0\r\n", "25000", "25000", "0"]);
    assert_eq!(flushes(Kind::Vitrine), redis);
}

/// The values `lazyfree_pending_objects` takes while `FLUSHALL ASYNC`
/// frees `keys` keys, polled every few milliseconds, in order, repeats
/// removed; at `hz 1`, so that a server freeing a slice per cron tick
/// would show the count going down a second at a time.
fn pending_while_freeing(kind: Kind, keys: usize) -> Vec<String> {
    let server = Server::start(kind, &["--hz", "1"]);
    let mut conn = server.connect();
    fill(&mut conn, "k", keys);
    assert_eq!(conn.cmd(&["FLUSHALL", "ASYNC"]), b"+OK\r\n");
    let mut seen: Vec<String> = Vec::new();
    wait_for("lazyfree_pending_objects:0", Duration::from_secs(60), || {
        let pending = info_field(&mut conn, "memory", "lazyfree_pending_objects");
        if seen.last() != Some(&pending) {
            seen.push(pending.clone());
        }
        pending == "0"
    });
    seen
}

/// Redis frees a flushed database on its lazyfree thread, all at once;
/// so does vitrine: the count of pending keys drops from all to none.
#[test]
fn a_flushed_database_is_freed_at_once_off_the_event_loop() {
    let keys = 200_000;
    for kind in [Kind::Redis, Kind::Vitrine] {
        let seen = pending_while_freeing(kind, keys);
        let first = seen.first().expect("one value at least");
        assert!(*first == keys.to_string() || *first == "0", "{kind:?}: {seen:?}");
        assert!(
            seen.len() <= 2,
            "{kind:?}: the pending count went down by slices: {seen:?}"
        );
    }
}

/// A replica of a master with `keys` keys: its keys once in sync.
fn replica_of(replica: &Server, master: &Server, keys: usize) {
    let mut conn = replica.connect();
    let port = master.port.to_string();
    assert_eq!(conn.cmd(&["REPLICAOF", "127.0.0.1", &port]), b"+OK\r\n");
    wait_for("the replica's sync", Duration::from_secs(20), || {
        info_field(&mut conn, "replication", "master_link_status") == "up"
            && conn.cmd(&["DBSIZE"]) == format!(":{keys}\r\n").into_bytes()
    });
}

/// `lazyfreed_objects` of a replica (with `replica-lazy-flush` as given)
/// after a full sync from a second master replaced its 4,000 keys.
fn resync(kind: Kind, lazy: &str) -> String {
    let now = ["--repl-diskless-sync-delay", "0"];
    let first = Server::start(Kind::Redis, &now);
    fill(&mut first.connect(), "old", 4_000);
    let second = Server::start(Kind::Redis, &now);
    fill(&mut second.connect(), "new", 10);
    let replica = Server::start(kind, &["--replica-lazy-flush", lazy]);
    replica_of(&replica, &first, 4_000);
    replica_of(&replica, &second, 10);
    lazyfreed(&mut replica.connect())
}

#[test]
fn a_replica_frees_its_old_data_lazily_as_redis_does() {
    for lazy in ["yes", "no"] {
        let redis = resync(Kind::Redis, lazy);
        assert_eq!(redis, if lazy == "yes" { "4000" } else { "0" });
        assert_eq!(resync(Kind::Vitrine, lazy), redis, "replica-lazy-flush {lazy}");
    }
}
