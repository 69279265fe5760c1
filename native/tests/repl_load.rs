//! How a vitrine replica of a real `redis-server` 7.0 master loads the
//! full sync's snapshot (`repl-diskless-load`): by default through a
//! temporary file renamed to `dbfilename`, so the replica's dump is the
//! master's snapshot and a restarted replica continues partially from
//! it; `on-empty-db` (while empty) and `swapdb` parse the socket and
//! leave no file.

mod common;

use common::repl::{assert_converged, info_field, wait_caught_up};

use common::{Conn, Kind, Server};
use std::path::Path;

fn writes(conn: &mut Conn, round: usize) {
    let r = round.to_string();
    for command in [
        vec!["SET", "s", &r],
        vec!["RPUSH", "list", &r],
        vec!["HSET", "hash", &r, &r],
        vec!["SADD", "set", &r],
        vec!["ZADD", "zset", &r, &r],
        vec!["INCR", "counter"],
        vec!["SET", "ttl", &r, "EX", "100000"],
    ] {
        let reply = conn.cmd(&command);
        assert!(!reply.starts_with(b"-"), "{}", String::from_utf8_lossy(&reply));
    }
}

/// Files whose name starts with `temp-` in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("temp-"))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_logged(log: &str, lines: &[&str]) {
    let mut from = 0;
    for line in lines {
        match log[from..].find(line) {
            Some(at) => from += at + line.len(),
            None => panic!("missing {line:?} (in this order) in:\n{log}"),
        }
    }
}

/// The default (`disabled`): the snapshot becomes the replica's dump, which
/// a restarted replica continues from. `diskless` picks the master's
/// framing (`$<len>` or `$EOF:`).
fn disk_load_then_resume(diskless: &str) {
    let master = Server::start(
        Kind::Redis,
        &["--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0"],
    );
    let mut m = master.connect();
    writes(&mut m, 0);
    assert_eq!(m.cmd(&["SELECT", "3"]), b"+OK\r\n");
    writes(&mut m, 1);
    let port = master.port.to_string();
    // `--save ""`: any dump in the directory comes from the sync.
    let replica = Server::start(Kind::Vitrine, &["--replicaof", "127.0.0.1", &port]);
    wait_caught_up(&master, &replica);
    assert_converged(&master, &replica);
    let dump = replica.dir.join("dump.rdb");
    assert!(dump.exists(), "no dump.rdb after the full sync");
    assert!(temp_files(&replica.dir).is_empty(), "{:?}", temp_files(&replica.dir));
    let received = if diskless == "yes" {
        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk".to_string()
    } else {
        "MASTER <-> REPLICA sync: receiving ".to_string()
    };
    assert_logged(
        &replica.log(),
        &[
            &received,
            "MASTER <-> REPLICA sync: Flushing old data",
            "MASTER <-> REPLICA sync: Loading DB in memory",
            "MASTER <-> REPLICA sync: Finished with success",
        ],
    );
    if diskless == "no" {
        assert!(
            replica.log().contains(" bytes from master to disk"),
            "{}",
            replica.log()
        );
    }
    writes(&mut m, 2);
    wait_caught_up(&master, &replica);

    // Restart from the dump the sync left (no SAVE).
    let dir = common::scratch_dir("vitrine-restart");
    std::fs::copy(&dump, dir.join("dump.rdb")).unwrap();
    drop(replica);
    writes(&mut m, 3);
    let replica = Server::start_in(
        Kind::Vitrine,
        None,
        dir,
        &["--save", "", "--appendonly", "no", "--replicaof", "127.0.0.1", &port],
    );
    wait_caught_up(&master, &replica);
    assert_converged(&master, &replica);
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
    assert!(
        replica
            .log()
            .contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."),
        "{}",
        replica.log()
    );
    writes(&mut m, 4);
    wait_caught_up(&master, &replica);
    assert_converged(&master, &replica);
}

#[test]
fn disk_load_from_a_disk_backed_master() {
    disk_load_then_resume("no");
}

#[test]
fn disk_load_from_a_diskless_master() {
    disk_load_then_resume("yes");
}

/// `on-empty-db` on an empty replica and `swapdb` parse the socket: no
/// file is written.
#[test]
fn diskless_load_modes_write_no_file() {
    let master = Server::start(
        Kind::Redis,
        &["--repl-diskless-sync", "no", "--repl-diskless-sync-delay", "0"],
    );
    let mut m = master.connect();
    writes(&mut m, 0);
    let port = master.port.to_string();
    for mode in ["on-empty-db", "swapdb"] {
        let replica = Server::start(
            Kind::Vitrine,
            &["--repl-diskless-load", mode, "--replicaof", "127.0.0.1", &port],
        );
        wait_caught_up(&master, &replica);
        assert_converged(&master, &replica);
        assert!(!replica.dir.join("dump.rdb").exists(), "{mode}: a dump was written");
        assert!(temp_files(&replica.dir).is_empty(), "{mode}");
        let log = replica.log();
        assert!(log.contains(" bytes from master to parser"), "{mode}:\n{log}");
        assert_logged(&log, &["Loading DB in memory", "Finished with success"]);
    }
}

/// `on-empty-db` with data already present goes through the file.
#[test]
fn on_empty_db_with_data_loads_from_disk() {
    let master = Server::start(
        Kind::Redis,
        &["--repl-diskless-sync", "no", "--repl-diskless-sync-delay", "0"],
    );
    let mut m = master.connect();
    writes(&mut m, 0);
    let replica = Server::start(Kind::Vitrine, &["--repl-diskless-load", "on-empty-db"]);
    let mut r = replica.connect();
    assert_eq!(r.cmd(&["SET", "old", "1"]), b"+OK\r\n");
    let port = master.port.to_string();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), b"+OK\r\n");
    wait_caught_up(&master, &replica);
    assert_converged(&master, &replica);
    assert!(replica.dir.join("dump.rdb").exists());
    assert!(
        replica.log().contains(" bytes from master to disk"),
        "{}",
        replica.log()
    );
}
