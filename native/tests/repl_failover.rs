//! Failover as the notes describe it (`slaveof no one`, then the other
//! replicas pointed at the promoted one), with real processes: a
//! `redis-server` master with a vitrine replica and a `redis-server`
//! replica; the master goes away, the vitrine replica is promoted with
//! `REPLICAOF NO ONE`, and the other replica, re-pointed at it, continues
//! with a partial resync (PSYNC2: the promoted node accepts its former
//! master's id as `master_replid2`). Then a vitrine replica of the new
//! master does the same one level down.

mod common;

use common::repl::{assert_converged, info_field, live_writes, populate, wait_in_sync};
use common::{redis_available, Kind, Server};
use std::time::Duration;

#[test]
fn a_promoted_vitrine_replica_serves_its_former_sibling_partially() {
    if !redis_available() {
        return;
    }
    let within = Duration::from_secs(20);
    let master = Server::start(Kind::Redis, &["--repl-diskless-sync-delay", "0"]);
    let port = master.port.to_string();
    let mut m = master.connect();
    populate(&mut m);
    let promoted = Server::start(Kind::Vitrine, &["--replicaof", "127.0.0.1", &port]);
    let sibling = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &port]);
    let nephew = Server::start(Kind::Vitrine, &["--replicaof", "127.0.0.1", &port]);
    for round in 0..2 {
        live_writes(&mut m, round);
    }
    for replica in [&promoted, &sibling, &nephew] {
        wait_in_sync(&master, replica, within);
    }
    drop(m);
    drop(master);

    let mut p = promoted.connect();
    assert_eq!(p.cmd(&["REPLICAOF", "NO", "ONE"]), b"+OK\r\n");
    assert_eq!(info_field(&mut p, "replication", "role"), "master");
    let promoted_port = promoted.port.to_string();
    for replica in [&sibling, &nephew] {
        let mut r = replica.connect();
        assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &promoted_port]), b"+OK\r\n");
    }
    for round in 2..4 {
        live_writes(&mut p, round);
    }
    for replica in [&sibling, &nephew] {
        wait_in_sync(&promoted, replica, within);
        assert_converged(&promoted, replica);
    }
    // Both continued from the backlog: no snapshot was made.
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "0");
    assert_eq!(info_field(&mut p, "stats", "sync_partial_ok"), "2");
    assert!(promoted.log().contains("Partial resynchronization request from "));
    assert!(nephew
        .log()
        .contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."));
}
