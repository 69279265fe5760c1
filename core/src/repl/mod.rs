//! Replication, sans-IO: the pieces both roles are built from.
//!
//! - [`id`]: replication ids, `master_replid`/`master_replid2`/
//!   `second_repl_offset`, and the PSYNC2 shift on promotion.
//! - [`backlog`]: the shared replication buffer: the backlog and every
//!   replica's pending stream, read at per-replica offsets.
//! - [`psync`]: the master's decision for `PSYNC replid offset` / `SYNC`,
//!   with Redis's reply bytes and log lines.
//! - [`link`]: [`ReplicaLink`], the replica's handshake, RDB transfer (both
//!   framings) and command stream, with `REPLCONF ACK` and timeouts.
//!
//! # How hosts and the engine use them
//!
//! As **master**, the engine owns one [`ReplicationIds`] and, once a
//! replica has connected, one [`Backlog`]. Every propagated command's bytes
//! are fed once to the backlog; each online replica sends from it at its own
//! offset. On `PSYNC` the engine calls [`psync::decide`]: for `Continue` it
//! writes [`psync::Decision::reply`] and the replica then sends from the
//! asked offset ([`Backlog::chunk_from`]); for `FullResync` it starts (or joins) a snapshot
//! and writes [`psync::fullresync_reply`] with the offset of that snapshot,
//! then `$<len>\r\n<rdb>` or `$EOF:<mark>\r\n<rdb><mark>`.
//! `REPLCONF ACK <offset>` from replicas updates their acknowledged offset
//! (for `WAIT`, `INFO` `slaveN:…offset=`).
//!
//! As **replica**, the host (tokio task or browser WebSocket) drives a
//! [`ReplicaLink`]: socket bytes in, events out, bytes to send back. RDB
//! chunks go to [`crate::rdb::load::Loader`]; on `FullResync` the engine
//! adopts the master's id (`ReplicationIds::new` + clear the backlog at the
//! offset: [`Backlog::reset`]); on `Continue { new_replid: Some(id) }` it
//! calls [`ReplicationIds::shift_to`]. `Stream` bytes go to the engine's
//! master client, which executes them with the same command table as any
//! client and reports each applied command's length back to the link
//! ([`ReplicaLink::handle_applied`]); the applied bytes are also fed to the
//! replica's own backlog, verbatim, so sub-replicas see the same offsets.
//!
//! Nothing here reads a clock, a socket or an RNG: times are `now_ms`
//! arguments and new ids are made from host-supplied random bytes.

pub mod backlog;
pub mod id;
pub mod link;
pub mod psync;
#[cfg(test)]
mod tests;

pub use backlog::Backlog;
pub use id::{ReplId, ReplicationIds};
pub use link::{Event, LinkConfig, ReplicaLink};
