//! The replication state both roles share: the ids (`master_replid`,
//! `master_replid2`, `second_repl_offset`), the replication offset and
//! the backlog, and what `INFO replication` prints of them.
//!
//! The master's side (replicas, PSYNC, streaming) and the replica's side
//! (the link to a master, the master client) build on this state; see
//! [`crate::repl`] for the pieces.

use crate::repl::{Backlog, ReplId, ReplicationIds};
use core::fmt::Write;

/// Ids, offset and backlog.
pub struct Replication {
    /// `master_replid`, `master_replid2`, `second_repl_offset`.
    pub ids: ReplicationIds,
    /// The replication offset when there is no backlog yet
    /// (`master_repl_offset`); the backlog's own offset once there is one.
    offset: i64,
    /// Created when the first replica attaches (Redis's
    /// `createReplicationBacklog`), sized by `repl-backlog-size`.
    pub backlog: Option<Backlog>,
}

impl Replication {
    /// A new history with an id made of `random`.
    pub fn new(random: [u8; 20]) -> Self {
        Replication {
            ids: ReplicationIds::new(ReplId::from_random(random)),
            offset: 0,
            backlog: None,
        }
    }

    /// `master_repl_offset`.
    pub fn offset(&self) -> i64 {
        self.backlog.as_ref().map_or(self.offset, Backlog::master_repl_offset)
    }

    /// Sets `master_repl_offset` while there is no backlog (a replica
    /// restoring its history from a dump).
    pub fn set_offset(&mut self, offset: i64) {
        if self.backlog.is_none() {
            self.offset = offset;
        }
    }

    /// Frees the backlog and starts a new history with an id made of
    /// `random` (`repl-backlog-ttl` expired on a master without replicas):
    /// nobody can continue the old one any more. The offset stays.
    pub fn free_backlog(&mut self, random: [u8; 20]) {
        if let Some(backlog) = self.backlog.take() {
            self.offset = backlog.master_repl_offset();
        }
        self.ids.change(random);
        self.ids.clear_second();
    }

    /// Writes the id, offset and backlog fields of `INFO replication`, from
    /// `master_replid` to `repl_backlog_histlen`.
    pub fn write_info(&self, out: &mut alloc::string::String, backlog_size: i64) {
        let replid = core::str::from_utf8(self.ids.replid.as_bytes()).unwrap_or("");
        let replid2 = core::str::from_utf8(self.ids.replid2.as_bytes()).unwrap_or("");
        let (active, first, histlen) = match &self.backlog {
            Some(backlog) => (1, backlog.first_byte_offset(), backlog.histlen()),
            None => (0, 0, 0),
        };
        let _ = write!(
            out,
            "master_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
            replid,
            replid2,
            self.offset(),
            self.ids.second_replid_offset,
            active,
            backlog_size,
            first,
            histlen,
        );
    }
}
