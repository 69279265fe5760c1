//! A vitrine replica of a real `redis-server` 7.0 master keeps its place:
//! restarted from its own dump it continues partially (the dump carries
//! `repl-id`, `repl-offset`, `repl-stream-db`), and its master client is
//! visible to `CLIENT LIST` and killable with `CLIENT KILL TYPE master`,
//! after which the link comes back with a partial resync. A vitrine
//! master restarted from its dump keeps its old history as
//! `master_replid2`, so its replica continues partially.

mod common;

use common::repl::{assert_converged, info_field, wait_caught_up};

use common::{Conn, Kind, Server};

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

fn redis_master() -> Server {
    Server::start(
        Kind::Redis,
        &["--repl-diskless-sync", "no", "--repl-diskless-sync-delay", "0"],
    )
}

#[test]
fn a_restarted_replica_continues_from_its_dump() {
    let master = redis_master();
    let mut m = master.connect();
    writes(&mut m, 0);
    // The stream ends in db 9: after the restart the master sends no
    // SELECT, so the replica must remember the stream's database.
    assert_eq!(m.cmd(&["SELECT", "9"]), b"+OK\r\n");
    writes(&mut m, 1);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Vitrine, &["--replicaof", "127.0.0.1", &port]);
    wait_caught_up(&master, &replica);
    writes(&mut m, 2);
    wait_caught_up(&master, &replica);
    assert_converged(&master, &replica);

    let mut r = replica.connect();
    assert_eq!(r.cmd(&["SAVE"]), b"+OK\r\n");
    let dir = common::scratch_dir("vitrine-restart");
    std::fs::copy(replica.dir.join("dump.rdb"), dir.join("dump.rdb")).unwrap();
    drop(r);
    drop(replica);

    // Written while the replica is away: only in the master's backlog.
    writes(&mut m, 3);
    assert_eq!(m.cmd(&["SELECT", "0"]), b"+OK\r\n");
    writes(&mut m, 4);

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
    let log = replica.log();
    for line in [
        "Before turning into a replica, using my own master parameters to synthesize a cached master",
        "Trying a partial resynchronization (request ",
        "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
    ] {
        assert!(log.contains(line), "missing {line:?} in:\n{log}");
    }
    // And it keeps following.
    writes(&mut m, 5);
    wait_caught_up(&master, &replica);
    assert_converged(&master, &replica);
}

#[test]
fn the_master_client_is_listed_and_killable() {
    let master = redis_master();
    let mut m = master.connect();
    writes(&mut m, 0);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Vitrine, &["--replicaof", "127.0.0.1", &port]);
    wait_caught_up(&master, &replica);
    let mut r = replica.connect();

    let list = String::from_utf8_lossy(&r.cmd(&["CLIENT", "LIST"])).into_owned();
    let line = list
        .lines()
        .find(|l| l.contains(" flags=M "))
        .unwrap_or_else(|| panic!("no master client in:\n{list}"));
    assert!(line.contains(&format!(" addr=127.0.0.1:{port} ")), "{line}");
    assert!(line.contains(" laddr=127.0.0.1:"), "{line}");
    let typed = String::from_utf8_lossy(&r.cmd(&["CLIENT", "LIST", "TYPE", "master"])).into_owned();
    assert_eq!(typed.lines().filter(|l| l.contains("id=")).count(), 1, "{typed}");
    assert!(typed.contains(" flags=M "), "{typed}");
    let normal = String::from_utf8_lossy(&r.cmd(&["CLIENT", "LIST", "TYPE", "normal"])).into_owned();
    assert!(!normal.contains(" flags=M "), "{normal}");

    for round in 1..4 {
        assert_eq!(r.cmd(&["CLIENT", "KILL", "TYPE", "master"]), b":1\r\n");
        writes(&mut m, round);
        wait_caught_up(&master, &replica);
        assert_converged(&master, &replica);
    }
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "3");
    let log = replica.log();
    assert!(log.contains("Caching the disconnected master state."), "{log}");
    assert!(
        log.contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."),
        "{log}"
    );
}

/// A vitrine master shut down with a replica and restarted from its dump
/// keeps the old history as `master_replid2`: the replica, pointed at the
/// restarted master, continues with a partial resync.
#[test]
fn a_restarted_master_keeps_its_history_for_its_replicas() {
    if !common::redis_available() {
        return;
    }
    let mut master = Server::start(Kind::Vitrine, &["--repl-diskless-sync", "no"]);
    let mut m = master.connect();
    writes(&mut m, 0);
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &master.port.to_string()]);
    wait_caught_up(&master, &replica);
    writes(&mut m, 1);
    wait_caught_up(&master, &replica);
    let old_replid = info_field(&mut m, "replication", "master_replid");
    let old_offset: i64 = info_field(&mut m, "replication", "master_repl_offset").parse().unwrap();

    // SHUTDOWN writes the dump with the replication fields.
    m.send(&[b"SHUTDOWN", b"SAVE"]);
    assert!(master.wait_exit(std::time::Duration::from_secs(10)).is_some());
    let dir = common::scratch_dir("vitrine-master-restart");
    std::fs::copy(master.dir.join("dump.rdb"), dir.join("dump.rdb")).unwrap();
    drop(m);
    drop(master);
    let master = Server::start_in(Kind::Vitrine, None, dir, &["--save", "", "--appendonly", "no"]);
    let mut m = master.connect();
    assert_eq!(info_field(&mut m, "replication", "master_replid2"), old_replid);
    assert_eq!(
        info_field(&mut m, "replication", "second_repl_offset"),
        (old_offset + 1).to_string()
    );
    assert_eq!(
        info_field(&mut m, "replication", "master_repl_offset"),
        old_offset.to_string()
    );

    let mut r = replica.connect();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]), b"+OK\r\n");
    writes(&mut m, 2);
    wait_caught_up(&master, &replica);
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "0");
    assert_converged(&master, &replica);
}
