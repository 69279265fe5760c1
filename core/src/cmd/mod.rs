//! The command table and what every command shares: the execution context
//! ([`Ctx`]), Redis's standard error replies ([`errors`]) and argument
//! parsing ([`parse`]). One file per command family holds the commands;
//! each command is written once and serves the master, every replica and
//! the browser alike (`DESIGN.md`, principle 2).

pub mod client;
pub mod connection;
pub mod database;
pub mod dump;
pub mod errors;
pub mod hash;
pub mod keys;
pub mod list;
pub mod master;
pub mod multi;
pub mod object;
pub mod parse;
pub mod pubsub;
pub mod random;
pub mod replica;
pub mod scan;
pub mod server;
pub mod set;
pub mod sort;
pub mod spec;
pub mod string;
pub mod table;
pub mod zset;

use crate::config::Config;
use crate::engine::client::ClientState;
use crate::engine::Server;
use crate::keyspace::value::{Aggregate, Members};
use crate::keyspace::{DbMut, Keyspace, Value};
use crate::resp::reply::Reply;
use crate::resp::request::Args;
use crate::resp::request::OwnedArgs;

pub use spec::{Command, Handler};

/// What a command runs against.
pub struct Ctx<'a> {
    /// All databases.
    pub keyspace: &'a mut Keyspace,
    /// Server-wide state: configuration, other clients, statistics.
    pub server: &'a mut Server,
    /// The client running the command.
    pub client: &'a mut ClientState,
    /// Effects on the replication stream and the dirty counter.
    pub effects: &'a mut Effects,
}

/// What running commands changed, as Redis tracks it with `server.dirty`
/// and `alsoPropagate`.
#[derive(Debug, Default)]
pub struct Effects {
    /// Count of changes (Redis's `server.dirty`).
    pub dirty: u64,
    /// Commands to propagate instead of, or besides, the one that ran.
    pub(crate) extra: alloc::vec::Vec<OwnedArgs>,
    /// The command's own arguments must not be propagated.
    pub(crate) suppress_own: bool,
    /// Propagate even without a change (PUBLISH).
    pub(crate) force: bool,
    /// The command's own propagation replaced by these arguments.
    pub(crate) rewritten: Option<OwnedArgs>,
}

impl Ctx<'_> {
    /// The selected database.
    #[inline]
    pub fn db(&mut self) -> DbMut<'_> {
        self.keyspace.db(self.client.db)
    }

    /// The configuration.
    #[inline]
    pub fn config(&self) -> &Config {
        &self.server.config
    }

    /// The time the command runs at, in Unix milliseconds.
    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.keyspace.now_ms()
    }

    /// Records `n` changes to the dataset.
    #[inline]
    pub fn dirty(&mut self, n: u64) {
        self.effects.dirty += n;
    }

    /// Propagates `args` instead of the command's own arguments (Redis's
    /// `rewriteClientCommandVector`): relative expiries made absolute, …
    pub fn propagate_as(&mut self, args: OwnedArgs) {
        self.effects.rewritten = Some(args);
    }

    /// Propagates `args` in addition (Redis's `alsoPropagate`); combined
    /// with [`Ctx::suppress_propagation`] it replaces the command by
    /// several (SPOP with a count becomes SREMs).
    pub fn also_propagate(&mut self, args: OwnedArgs) {
        self.effects.extra.push(args);
    }

    /// The command's own arguments are not propagated.
    pub fn suppress_propagation(&mut self) {
        self.effects.suppress_own = true;
    }

    /// The command is propagated although it changed no data (PUBLISH
    /// reaches replicas' subscribers that way).
    pub fn force_propagation(&mut self) {
        self.effects.force = true;
    }
}

/// Checks the type of a looked-up value (`checkType`): `Ok(None)` when
/// the key is absent, `Err(())` after replying WRONGTYPE.
#[inline]
pub(crate) fn typed<'a, T: Aggregate>(value: Option<&'a Value>, reply: &mut Reply) -> Result<Option<&'a T>, ()> {
    match value {
        None => Ok(None),
        Some(value) => T::of(value).map(Some).ok_or_else(|| reply.error(errors::WRONG_TYPE)),
    }
}

/// [`typed`] for a value looked up for writing.
#[inline]
pub(crate) fn typed_mut<'a, T: Aggregate>(
    value: Option<&'a mut Value>,
    reply: &mut Reply,
) -> Result<Option<&'a mut T>, ()> {
    match value {
        None => Ok(None),
        Some(value) => T::of_mut(value)
            .map(Some)
            .ok_or_else(|| reply.error(errors::WRONG_TYPE)),
    }
}

/// HDEL, SREM and ZREM: removes the named members (`args[2..]`) of the
/// `T` under `args[1]`, deleting the key once it is empty; replies how
/// many were removed.
pub(crate) fn remove_members<T: Members>(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let key = args.get(1);
    let mut db = ctx.db();
    let (removed, emptied) = match typed_mut::<T>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => return reply.integer(0),
        Ok(Some(value)) => {
            let mut removed = 0;
            for member in args.iter().skip(2) {
                if value.remove_member(member) {
                    removed += 1;
                    if value.is_empty() {
                        break;
                    }
                }
            }
            (removed, value.is_empty())
        }
    };
    db.settle(key, emptied, removed > 0);
    ctx.dirty(removed);
    reply.integer(removed as i64);
}

/// A HELP reply: Redis's header line, `lines`, and the HELP entry
/// (`addReplyHelp`).
pub fn reply_help(reply: &mut Reply, command: &[u8], lines: &[&str]) {
    reply.array(lines.len() + 3);
    let mut header = command.to_ascii_uppercase();
    header.extend_from_slice(b" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    reply.simple(&header);
    for line in lines {
        reply.simple(line.as_bytes());
    }
    reply.simple(b"HELP");
    reply.simple(b"    Prints this help.");
}
