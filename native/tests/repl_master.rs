//! vitrine as a master, a real `redis-server` 7.0 as its replica: the
//! replica's full resync (disk-backed BGSAVE, `$<len>` + file) loads a
//! dataset of every type across several databases; live writes (expiries,
//! SPOP, MULTI, INCRBYFLOAT, writes in other dbs) arrive through the stream
//! and `WAIT` sees them acknowledged; the link killed from the replica's
//! side, then from the master's (`CLIENT KILL TYPE replica`), resumes
//! with a partial resync (`sync_full` unchanged). After each
//! step both datasets are compared key by key.

mod common;

use common::dataset::{assert_same, Dataset};
use common::repl::{info_field, live_writes, populate, wait_in_sync};
use common::{redis_available, Kind, Server};
use std::time::{Duration, Instant};

#[test]
fn redis_replica_follows_a_vitrine_master() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    let master = Server::start(
        Kind::Vitrine,
        &["--repl-ping-replica-period", "1", "--repl-diskless-sync", "no"],
    );
    let mut conn = master.connect();
    populate(&mut conn);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    wait_in_sync(&master, &replica, Duration::from_secs(20));
    assert_same(
        &Dataset::read_port(master.port),
        "vitrine master",
        &Dataset::read_port(replica.port),
        "redis replica",
    );
    let log = master.log();
    for line in [
        "asks for synchronization",
        "Full resync requested by replica 127.0.0.1:",
        "Replication backlog created, my new replication IDs are",
        "Starting BGSAVE for SYNC with target: disk",
        "Background saving terminated with success",
        "Synchronization with replica 127.0.0.1:",
    ] {
        assert!(log.contains(line), "master log lacks {line:?}:\n{log}");
    }

    // One good replica satisfies min-replicas-to-write 1; two do not.
    assert_eq!(conn.cmd(&["CONFIG", "SET", "min-replicas-to-write", "1"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["SET", "guarded", "1"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["CONFIG", "SET", "min-replicas-to-write", "2"]), b"+OK\r\n");
    assert_eq!(
        conn.cmd(&["SET", "guarded", "2"]),
        b"-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(conn.cmd(&["CONFIG", "SET", "min-replicas-to-write", "0"]), b"+OK\r\n");
    live_writes(&mut conn, 1);
    assert_eq!(conn.cmd(&["WAIT", "1", "5000"]), b":1\r\n");
    wait_in_sync(&master, &replica, Duration::from_secs(20));
    assert_same(
        &Dataset::read_port(master.port),
        "vitrine master",
        &Dataset::read_port(replica.port),
        "redis replica",
    );
    assert_eq!(info_field(&mut conn, "replication", "connected_slaves"), "1");
    let slave0 = info_field(&mut conn, "replication", "slave0");
    assert!(
        slave0.starts_with(&format!("ip=127.0.0.1,port={},state=online,offset=", replica.port)),
        "{slave0}"
    );

    // The link dropped by the replica: a partial resync continues it.
    let mut r = replica.connect();
    assert_eq!(r.cmd(&["CLIENT", "KILL", "TYPE", "master"]), b":1\r\n");
    live_writes(&mut conn, 2);
    wait_in_sync(&master, &replica, Duration::from_secs(20));
    assert_eq!(info_field(&mut conn, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut conn, "stats", "sync_partial_ok"), "1");
    assert!(master
        .log()
        .contains("Partial resynchronization request from 127.0.0.1:"));
    // The link dropped by the master: the replica comes back partially too.
    assert_eq!(conn.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), b":1\r\n");
    live_writes(&mut conn, 3);
    wait_in_sync(&master, &replica, Duration::from_secs(20));
    assert_eq!(info_field(&mut conn, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut conn, "stats", "sync_partial_ok"), "2");
    assert_same(
        &Dataset::read_port(master.port),
        "vitrine master",
        &Dataset::read_port(replica.port),
        "redis replica",
    );
}

#[test]
fn two_replicas_and_a_replica_arriving_during_the_snapshot() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    // A slow snapshot (1 ms per key), so the second replica arrives while
    // the first one's BGSAVE runs, and writes land in the kept stream.
    let master = Server::start(
        Kind::Vitrine,
        &["--rdb-key-save-delay", "1000", "--repl-diskless-sync", "no"],
    );
    let mut conn = master.connect();
    populate(&mut conn);
    let port = master.port.to_string();
    let first = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    let second = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    live_writes(&mut conn, 1);
    wait_in_sync(&master, &first, Duration::from_secs(20));
    wait_in_sync(&master, &second, Duration::from_secs(20));
    let on_master = Dataset::read_port(master.port);
    assert_same(
        &on_master,
        "vitrine master",
        &Dataset::read_port(first.port),
        "first replica",
    );
    assert_same(
        &on_master,
        "vitrine master",
        &Dataset::read_port(second.port),
        "second replica",
    );
    assert_eq!(info_field(&mut conn, "replication", "connected_slaves"), "2");
    assert_eq!(conn.cmd(&["WAIT", "2", "5000"]), b":2\r\n");
}

#[test]
fn a_vitrine_vitrine_redis_chain_carries_the_same_stream() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    let master = Server::start(
        Kind::Vitrine,
        &["--repl-ping-replica-period", "1", "--repl-diskless-sync", "no"],
    );
    let mut conn = master.connect();
    populate(&mut conn);
    let master_port = master.port.to_string();
    let middle = Server::start(
        Kind::Vitrine,
        &["--replicaof", "127.0.0.1", &master_port, "--repl-diskless-sync", "no"],
    );
    wait_in_sync(&master, &middle, Duration::from_secs(20));
    let middle_port = middle.port.to_string();
    let tail = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &middle_port]);
    wait_in_sync(&middle, &tail, Duration::from_secs(20));
    for round in 1..=2 {
        live_writes(&mut conn, round);
        wait_in_sync(&master, &middle, Duration::from_secs(20));
        wait_in_sync(&middle, &tail, Duration::from_secs(20));
        // INCRBYFLOAT leaves an `embstr` "3" on the master and its
        // propagated SET makes an `int` on any replica, a Redis one too:
        // the master is compared without encodings, the replicas exactly.
        let middle_data = Dataset::read_port(middle.port);
        assert_same(
            &Dataset::read_port(master.port).normalized(),
            "vitrine master",
            &middle_data.normalized(),
            "vitrine replica",
        );
        assert_same(
            &middle_data,
            "vitrine replica",
            &Dataset::read_port(tail.port),
            "redis sub-replica",
        );
    }
    // The chain forwards the stream verbatim: the same offsets all along.
    let mut m = master.connect();
    let mut t = tail.connect();
    assert_eq!(
        info_field(&mut m, "replication", "master_repl_offset"),
        info_field(&mut t, "replication", "master_repl_offset")
    );
}

#[test]
fn the_backlog_is_freed_after_repl_backlog_ttl_without_replicas() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    let master = Server::start(
        Kind::Vitrine,
        &["--repl-backlog-ttl", "1", "--repl-diskless-sync", "no"],
    );
    let mut conn = master.connect();
    conn.cmd(&["SET", "k", "v"]);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    wait_in_sync(&master, &replica, Duration::from_secs(20));
    let replid = info_field(&mut conn, "replication", "master_replid");
    assert_eq!(info_field(&mut conn, "replication", "repl_backlog_active"), "1");
    drop(replica);
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut conn, "replication", "repl_backlog_active") != "0" {
        assert!(Instant::now() < deadline, "backlog kept:\n{}", master.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_ne!(
        info_field(&mut conn, "replication", "master_replid"),
        replid,
        "a new history"
    );
    assert!(master
        .log()
        .contains("Replication backlog freed after 1 seconds without connected replicas."));
}

/// `rdb-del-sync-files yes` on servers without persistence: the master
/// removes the RDB file it wrote only to feed a replica, and a replica the
/// file it received, each logging it as Redis does; a replica with the
/// directive off keeps its file. Redis pairs and vitrine pairs alike.
#[test]
fn rdb_del_sync_files_removes_the_files_of_a_persistence_less_pair() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    for kind in [Kind::Redis, Kind::Vitrine] {
        let no_persistence = ["--save", "", "--appendonly", "no", "--repl-diskless-sync", "no"];
        let mut args = no_persistence.to_vec();
        args.extend(["--rdb-del-sync-files", "yes"]);
        let master = Server::start(kind, &args);
        let mut conn = master.connect();
        populate(&mut conn);
        let port = master.port.to_string();
        let replica = |delete: &str| {
            let mut args = no_persistence.to_vec();
            args.extend(["--repl-diskless-load", "disabled", "--rdb-del-sync-files", delete]);
            args.extend(["--replicaof", "127.0.0.1", &port]);
            Server::start(kind, &args)
        };
        let (deleting, keeping) = (replica("yes"), replica("no"));
        wait_in_sync(&master, &deleting, Duration::from_secs(20));
        wait_in_sync(&master, &keeping, Duration::from_secs(20));
        let dump = |server: &Server| server.dir.join("dump.rdb").exists();
        common::repl::wait_for("the files to be removed", Duration::from_secs(10), || {
            !dump(&master) && !dump(&deleting)
        });
        assert!(
            dump(&keeping),
            "{kind:?}: the replica with rdb-del-sync-files no lost its file"
        );
        let lines = [
            (
                &master,
                "Removing the RDB file used to feed replicas in a persistence-less instance",
            ),
            (
                &deleting,
                "Removing the RDB file obtained from the master. This replica has persistence disabled",
            ),
        ];
        for (server, line) in lines {
            assert!(
                server.log().contains(line),
                "{kind:?} log lacks {line:?}:\n{}",
                server.log()
            );
        }
        assert!(!keeping.log().contains("Removing the RDB file"), "{kind:?}");
    }
}
