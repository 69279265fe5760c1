//! The master's answer to `PSYNC <replid> <offset>` and `SYNC`
//! (`masterTryPartialResynchronization`).
//!
//! Point of view: the master. The replica says which history it has
//! (`replid`) and the first byte it misses (`offset`, i.e. its own offset
//! plus one). A partial resync is possible when the id is our current one, or
//! our previous one (`replid2`) and the replica does not ask beyond where
//! that history stopped (`second_replid_offset`), *and* the backlog still
//! holds every byte from `offset` on. Otherwise the replica needs a full
//! resync: `+FULLRESYNC <replid> <offset>` sent when the snapshot starts,
//! with the offset the snapshot corresponds to.
//!
//! Side effects stay with the caller: counting `sync_partial_ok` /
//! `sync_partial_err`, making the client a replica, sending the backlog
//! bytes ([`super::Backlog::chunk_from`]) after the `+CONTINUE` line, and
//! logging [`Decision::log_line`].

use super::backlog::Backlog;
use super::id::ReplicationIds;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// What a replica asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `PSYNC <replid> <offset>`; `replid` `?` forces a full resync.
    Psync {
        /// The history the replica has, or `?`.
        replid: &'a [u8],
        /// The first byte it misses.
        offset: i64,
    },
    /// Legacy `SYNC` (before 2.8): always a full resync, and no
    /// `+FULLRESYNC` line (`CLIENT_PRE_PSYNC`).
    Sync,
}

/// Why a PSYNC cannot continue partially.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FullResyncReason {
    /// `PSYNC ? -1`: the replica has no history to continue.
    Requested,
    /// Legacy `SYNC`.
    LegacySync,
    /// The replica's id is neither of ours.
    IdMismatch {
        /// The id the replica sent.
        asked: Vec<u8>,
    },
    /// The replica's id is our `replid2` but it asks past the point where
    /// that history ended.
    SecondIdOffset {
        /// The offset asked for.
        requested: i64,
        /// `second_replid_offset`.
        limit: i64,
    },
    /// No backlog, or it does not hold `offset`.
    LackOfBacklog {
        /// The offset asked for.
        requested: i64,
        /// Whether the replica asked beyond our `master_repl_offset` (Redis
        /// logs a warning too).
        beyond_master: bool,
    },
}

/// The decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// `+CONTINUE`: send [`Decision::reply`], then the backlog from
    /// `offset` (`len` bytes).
    Continue {
        /// First byte to send.
        offset: i64,
        /// Bytes of backlog that follow.
        len: usize,
    },
    /// A full resync is needed.
    FullResync(FullResyncReason),
}

/// Decides a PSYNC: `backlog` is `None` when the master has none yet.
pub fn decide(ids: &ReplicationIds, backlog: Option<&Backlog>, request: Request<'_>) -> Decision {
    let (replid, offset) = match request {
        Request::Sync => return Decision::FullResync(FullResyncReason::LegacySync),
        Request::Psync { replid, offset } => (replid, offset),
    };
    let current = ids.replid.matches(replid);
    let second = ids.replid2.matches(replid);
    if !current && (!second || offset > ids.second_replid_offset) {
        let reason = if replid.first() == Some(&b'?') {
            FullResyncReason::Requested
        } else if !second {
            FullResyncReason::IdMismatch { asked: replid.to_vec() }
        } else {
            FullResyncReason::SecondIdOffset {
                requested: offset,
                limit: ids.second_replid_offset,
            }
        };
        return Decision::FullResync(reason);
    }
    let Some(backlog) = backlog else {
        return Decision::FullResync(FullResyncReason::LackOfBacklog {
            requested: offset,
            beyond_master: false,
        });
    };
    if backlog.covers(offset) {
        Decision::Continue {
            offset,
            len: (backlog.master_repl_offset() + 1 - offset) as usize,
        }
    } else {
        Decision::FullResync(FullResyncReason::LackOfBacklog {
            requested: offset,
            beyond_master: offset > backlog.master_repl_offset(),
        })
    }
}

impl Decision {
    /// The `+CONTINUE` line for a partial resync: with our current id when
    /// the replica announced `capa psync2` (so a replica that asked by our
    /// old id learns the new one), bare otherwise. Nothing for a full
    /// resync: its line is [`fullresync_reply`], sent when the snapshot
    /// starts.
    pub fn reply(&self, ids: &ReplicationIds, replica_psync2: bool, out: &mut Vec<u8>) {
        if let Decision::Continue { .. } = self {
            out.extend_from_slice(b"+CONTINUE");
            if replica_psync2 {
                out.push(b' ');
                out.extend_from_slice(ids.replid.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Redis's log lines for this decision about `replica` (its
    /// `ip:port` name), as `masterTryPartialResynchronization` writes them.
    pub fn log_lines(&self, ids: &ReplicationIds, replica: &str) -> Vec<String> {
        let mut lines = Vec::new();
        match self {
            Decision::Continue { offset, len } => lines.push(format!(
                "Partial resynchronization request from {replica} accepted. Sending {len} bytes of backlog starting from offset {offset}."
            )),
            Decision::FullResync(reason) => match reason {
                FullResyncReason::Requested => lines.push(format!("Full resync requested by replica {replica}")),
                FullResyncReason::LegacySync => {}
                FullResyncReason::IdMismatch { asked } => lines.push(format!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                    String::from_utf8_lossy(asked),
                    ids.replid,
                    ids.replid2
                )),
                FullResyncReason::SecondIdOffset { requested, limit } => lines.push(format!(
                    "Partial resynchronization not accepted: Requested offset for second ID was {requested}, but I can reply up to {limit}"
                )),
                FullResyncReason::LackOfBacklog { requested, beyond_master } => {
                    lines.push(format!(
                        "Unable to partial resync with replica {replica} for lack of backlog (Replica request was: {requested})."
                    ));
                    if *beyond_master {
                        lines.push(format!(
                            "Warning: replica {replica} tried to PSYNC with an offset that is greater than the master replication offset."
                        ));
                    }
                }
            },
        }
        lines
    }
}

/// `+FULLRESYNC <replid> <offset>\r\n`, where `offset` is the master's
/// `master_repl_offset` when the snapshot for this replica starts
/// (`replicationSetupSlaveForFullResync`). Not sent to legacy `SYNC`
/// replicas.
pub fn fullresync_reply(ids: &ReplicationIds, offset: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"+FULLRESYNC ");
    out.extend_from_slice(ids.replid.as_bytes());
    out.push(b' ');
    out.extend_from_slice(itoa::Buffer::new().format(offset).as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repl::id::ReplId;

    fn setup() -> (ReplicationIds, Backlog) {
        let mut ids = ReplicationIds::new(ReplId::from_random([0xaa; 20]));
        // Old history 0xbb valid up to offset 51.
        ids.replid2 = ReplId::from_random([0xbb; 20]);
        ids.second_replid_offset = 51;
        let mut backlog = Backlog::new(0, 0);
        backlog.feed(&[b'x'; 100]);
        (ids, backlog)
    }

    fn psync(replid: &[u8], offset: i64) -> Request<'_> {
        Request::Psync { replid, offset }
    }

    #[test]
    fn matching_id_continues() {
        let (ids, backlog) = setup();
        let d = decide(&ids, Some(&backlog), psync(&[b'a'; 40], 41));
        assert_eq!(d, Decision::Continue { offset: 41, len: 60 });
        let mut out = Vec::new();
        d.reply(&ids, true, &mut out);
        assert_eq!(out, [b"+CONTINUE ".as_slice(), &[b'a'; 40], b"\r\n"].concat());
        out.clear();
        d.reply(&ids, false, &mut out);
        assert_eq!(out, b"+CONTINUE\r\n");
        assert_eq!(
            d.log_lines(&ids, "127.0.0.1:6380"),
            ["Partial resynchronization request from 127.0.0.1:6380 accepted. Sending 60 bytes of backlog starting from offset 41."]
        );
        // Upper-case id, and asking for exactly the next byte (nothing to send).
        assert_eq!(
            decide(&ids, Some(&backlog), psync(&[b'A'; 40], 101)),
            Decision::Continue { offset: 101, len: 0 }
        );
    }

    #[test]
    fn second_id_up_to_its_limit() {
        let (ids, backlog) = setup();
        let old = [b'b'; 40];
        assert_eq!(
            decide(&ids, Some(&backlog), psync(&old, 51)),
            Decision::Continue { offset: 51, len: 50 }
        );
        let d = decide(&ids, Some(&backlog), psync(&old, 52));
        assert_eq!(
            d,
            Decision::FullResync(FullResyncReason::SecondIdOffset {
                requested: 52,
                limit: 51
            })
        );
        assert_eq!(
            d.log_lines(&ids, "r"),
            ["Partial resynchronization not accepted: Requested offset for second ID was 52, but I can reply up to 51"]
        );
    }

    #[test]
    fn unknown_id_is_a_mismatch() {
        let (ids, backlog) = setup();
        let d = decide(&ids, Some(&backlog), psync(&[b'c'; 40], 10));
        assert!(matches!(d, Decision::FullResync(FullResyncReason::IdMismatch { .. })));
        let line = &d.log_lines(&ids, "r")[0];
        assert_eq!(
            line,
            &format!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                "c".repeat(40),
                "a".repeat(40),
                "b".repeat(40)
            )
        );
        let mut out = Vec::new();
        d.reply(&ids, true, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn question_mark_and_sync_force_full() {
        let (ids, backlog) = setup();
        let d = decide(&ids, Some(&backlog), psync(b"?", -1));
        assert_eq!(d, Decision::FullResync(FullResyncReason::Requested));
        assert_eq!(
            d.log_lines(&ids, "10.0.0.1:7000"),
            ["Full resync requested by replica 10.0.0.1:7000"]
        );
        let d = decide(&ids, Some(&backlog), Request::Sync);
        assert_eq!(d, Decision::FullResync(FullResyncReason::LegacySync));
        assert!(d.log_lines(&ids, "r").is_empty());
    }

    #[test]
    fn offset_outside_backlog() {
        let (ids, mut backlog) = setup();
        let me = [b'a'; 40];
        let d = decide(&ids, Some(&backlog), psync(&me, 102));
        assert_eq!(
            d,
            Decision::FullResync(FullResyncReason::LackOfBacklog {
                requested: 102,
                beyond_master: true
            })
        );
        assert_eq!(d.log_lines(&ids, "r").len(), 2);
        assert_eq!(
            d.log_lines(&ids, "r")[1],
            "Warning: replica r tried to PSYNC with an offset that is greater than the master replication offset."
        );
        // Bytes trimmed out of the backlog.
        backlog.feed(&[b'y'; 40_000]);
        backlog.trim(None);
        let d = decide(&ids, Some(&backlog), psync(&me, 50));
        assert_eq!(
            d,
            Decision::FullResync(FullResyncReason::LackOfBacklog {
                requested: 50,
                beyond_master: false
            })
        );
        assert_eq!(
            d.log_lines(&ids, "r"),
            ["Unable to partial resync with replica r for lack of backlog (Replica request was: 50)."]
        );
        assert!(matches!(
            decide(&ids, None, psync(&me, 1)),
            Decision::FullResync(FullResyncReason::LackOfBacklog { .. })
        ));
    }

    #[test]
    fn fullresync_line() {
        let (ids, _) = setup();
        let mut out = Vec::new();
        fullresync_reply(&ids, 12345, &mut out);
        assert_eq!(out, [b"+FULLRESYNC ".as_slice(), &[b'a'; 40], b" 12345\r\n"].concat());
    }
}
