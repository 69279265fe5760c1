//! Replication ids: which history a dataset belongs to.
//!
//! A replication id names one history of writes; an offset counts bytes of
//! that history's replication stream. Two servers with the same id and the
//! same offset hold the same data. A master makes a new random id at start
//! (and whenever its history is broken off, e.g. after `FLUSHALL` on a
//! replica that became master); a replica adopts its master's id.
//!
//! PSYNC2: when a replica is promoted, its history so far is still valid
//! for its former siblings, up to the offset it reached. So it keeps the old
//! id as `replid2`, valid up to `second_replid_offset`, and starts a new id
//! ([`ReplicationIds::shift`]). Example: a replica of master `A` has read 50
//! bytes (`master_repl_offset` 50) when it is promoted; it takes id `B`,
//! keeps `A` as `replid2` with `second_replid_offset` 51. A sibling that also
//! read 50 bytes of `A` asks `PSYNC A 51` (the first byte it misses) and is
//! accepted; one that asks `PSYNC A 60` read bytes of `A` the new master
//! never saw, and must resync fully.

use core::fmt;

/// Length of a replication id (`CONFIG_RUN_ID_SIZE`).
pub const REPLID_LEN: usize = 40;

/// A replication id: 40 characters, hex for the ids we make.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplId([u8; REPLID_LEN]);

impl ReplId {
    /// A fresh id from host-supplied random bytes (two hex digits per byte),
    /// as `changeReplicationId` makes one.
    pub fn from_random(random: [u8; REPLID_LEN / 2]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut id = [0u8; REPLID_LEN];
        for (i, byte) in random.iter().enumerate() {
            id[2 * i] = HEX[usize::from(byte >> 4)];
            id[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
        }
        ReplId(id)
    }

    /// The all-`0` id Redis uses for "no secondary id"
    /// (`clearReplicationId2`).
    pub const fn zeros() -> Self {
        ReplId([b'0'; REPLID_LEN])
    }

    /// An id read from the wire or an RDB aux field: exactly 40 bytes.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        <[u8; REPLID_LEN]>::try_from(bytes).ok().map(ReplId)
    }

    /// The id's 40 bytes.
    pub fn as_bytes(&self) -> &[u8; REPLID_LEN] {
        &self.0
    }

    /// Whether `other` names this id. Redis compares ids ignoring case
    /// (`strcasecmp`).
    pub fn matches(&self, other: &[u8]) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Display for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&alloc::string::String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Debug for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplId({self})")
    }
}

/// The server's pair of ids: `master_replid`, and `master_replid2` valid
/// up to `second_repl_offset` (`INFO replication` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicationIds {
    /// The current history (`server.replid`).
    pub replid: ReplId,
    /// The previous history, still valid up to `second_replid_offset`
    /// (`server.replid2`); all `0` when there is none.
    pub replid2: ReplId,
    /// The first offset of `replid2` that is *not* shared, i.e. the largest
    /// offset a `PSYNC replid2 <offset>` may ask for; -1 when there is no
    /// secondary id.
    pub second_replid_offset: i64,
}

impl ReplicationIds {
    /// A new history with id `replid` and no secondary id.
    pub fn new(replid: ReplId) -> Self {
        ReplicationIds {
            replid,
            replid2: ReplId::zeros(),
            second_replid_offset: -1,
        }
    }

    /// Starts a new history (`changeReplicationId`): PSYNCs against the old
    /// one can no longer succeed, unless it was shifted to `replid2` first.
    pub fn change(&mut self, random: [u8; REPLID_LEN / 2]) {
        self.replid = ReplId::from_random(random);
    }

    /// Forgets the secondary id (`clearReplicationId2`), e.g. after a full
    /// resync starts a new history.
    pub fn clear_second(&mut self) {
        self.replid2 = ReplId::zeros();
        self.second_replid_offset = -1;
    }

    /// A replica becomes master (`shiftReplicationId`): the current id
    /// becomes `replid2`, valid up to `master_repl_offset + 1` (the first
    /// byte a sibling with the same history would ask for), and a new random
    /// id starts.
    pub fn shift(&mut self, master_repl_offset: i64, random: [u8; REPLID_LEN / 2]) {
        self.shift_to(ReplId::from_random(random), master_repl_offset);
    }

    /// As [`shift`](Self::shift) with a given new id: what a replica does
    /// when its master answers `+CONTINUE <new id>` (the master was promoted
    /// and changed id; our history up to here stays valid under the old id
    /// for our own sub-replicas).
    pub fn shift_to(&mut self, new_replid: ReplId, master_repl_offset: i64) {
        self.replid2 = self.replid;
        self.second_replid_offset = master_repl_offset.saturating_add(1);
        self.replid = new_replid;
    }

    /// Redis's log line for a shift: `Setting secondary replication ID to
    /// …, valid up to offset: …. New replication ID is …`.
    pub fn shift_log_line(&self) -> alloc::string::String {
        alloc::format!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.replid2,
            self.second_replid_offset,
            self.replid
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_become_hex() {
        let id = ReplId::from_random([0xab; 20]);
        assert_eq!(id.as_bytes(), &[b'a', b'b'].repeat(20)[..]);
        let id = ReplId::from_random(core::array::from_fn(|i| i as u8));
        assert_eq!(&id.as_bytes()[..8], b"00010203");
        assert_eq!(alloc::format!("{id}").len(), 40);
    }

    #[test]
    fn parse_needs_forty_bytes_and_matches_ignore_case() {
        assert!(ReplId::parse(b"abc").is_none());
        assert!(ReplId::parse(&[b'a'; 41]).is_none());
        let id = ReplId::parse(&[b'a'; 40]).unwrap();
        assert!(id.matches(&[b'A'; 40]));
        assert!(!id.matches(&[b'a'; 39]));
        assert!(!id.matches(b"?"));
    }

    #[test]
    fn new_change_clear() {
        let mut ids = ReplicationIds::new(ReplId::from_random([1; 20]));
        assert_eq!(ids.replid2, ReplId::zeros());
        assert_eq!(ids.second_replid_offset, -1);
        ids.change([2; 20]);
        assert_eq!(ids.replid, ReplId::from_random([2; 20]));
        assert_eq!(ids.replid2, ReplId::zeros());
    }

    #[test]
    fn shift_keeps_old_id_up_to_offset_plus_one() {
        let old = ReplId::from_random([1; 20]);
        let mut ids = ReplicationIds::new(old);
        ids.shift(50, [9; 20]);
        assert_eq!(ids.replid2, old);
        assert_eq!(ids.second_replid_offset, 51);
        assert_eq!(ids.replid, ReplId::from_random([9; 20]));
        assert!(ids.shift_log_line().starts_with(
            "Setting secondary replication ID to 0101010101010101010101010101010101010101, valid up to offset: 51. New replication ID is 0909"
        ));
        ids.clear_second();
        assert_eq!(ids.second_replid_offset, -1);
        assert_eq!(ids.replid2, ReplId::zeros());
    }
}
