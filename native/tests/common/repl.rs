//! Helpers of the replication tests: INFO fields, polling, and waiting for
//! a replica to catch up with its master.

use super::{Conn, Server};
use std::time::{Duration, Instant};

/// The value of `field` in `INFO section`, trimmed; empty when absent.
pub fn info_field(conn: &mut Conn, section: &str, field: &str) -> String {
    let reply = conn.cmd(&["INFO", section]);
    let text = String::from_utf8_lossy(&reply).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Polls `check` every 50 ms until it holds; panics naming `what` after
/// `within`.
pub fn wait_for(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Waits (up to 20 s) until the replica's link is up and it applied all
/// the master sent: its `slave_repl_offset` and its own
/// `master_repl_offset` both equal the master's `master_repl_offset`.
pub fn wait_caught_up(master: &Server, replica: &Server) {
    let mut m = master.connect();
    let mut r = replica.connect();
    wait_for("the replica to catch up", Duration::from_secs(20), || {
        let target = info_field(&mut m, "replication", "master_repl_offset");
        info_field(&mut r, "replication", "master_link_status") == "up"
            && info_field(&mut r, "replication", "slave_repl_offset") == target
            && info_field(&mut r, "replication", "master_repl_offset") == target
    });
}
