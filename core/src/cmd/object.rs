//! OBJECT: what Redis 7.0's `object.c` reports about a key's value — its
//! encoding, reference count, idle time and access frequency.

use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::{reply_help, Ctx};
use crate::config::Config;
use crate::keyspace::{Entry, Value};
use crate::resp::reply::Reply;
use crate::resp::request::Args;

const G: Group = Group::Generic;
const K: u64 = acl::KEYSPACE;
const KEY: &[KeySpec] = &[KeySpec::one(2, RO)];
const NDO: &[&str] = &["nondeterministic_output"];

/// OBJECT and its subcommands.
pub static COMMANDS: &[Command] = &[Command::container("object", G, SUBCOMMANDS).doc(
    "2.2.3",
    "Depends on subcommand.",
    "A container for object introspection commands.",
)];

static SUBCOMMANDS: &[Command] = &[
    Command::new("encoding", 3, READONLY, G, encoding)
        .acl(K)
        .keys(KEY)
        .tips(NDO)
        .doc("2.2.3", "O(1)", "Returns the internal encoding of a Redis object."),
    Command::new("freq", 3, READONLY, G, freq)
        .acl(K)
        .keys(KEY)
        .tips(NDO)
        .doc(
            "4.0.0",
            "O(1)",
            "Returns the logarithmic access frequency counter of a Redis object.",
        ),
    Command::new("help", 2, LOADING | STALE, G, help).acl(K).doc(
        "6.2.0",
        "O(1)",
        "Returns helpful text about the different subcommands.",
    ),
    Command::new("idletime", 3, READONLY, G, idletime)
        .acl(K)
        .keys(KEY)
        .tips(NDO)
        .doc(
            "2.2.3",
            "O(1)",
            "Returns the time since the last access to a Redis object.",
        ),
    Command::new("refcount", 3, READONLY, G, refcount_command)
        .acl(K)
        .keys(KEY)
        .tips(NDO)
        .doc("2.2.3", "O(1)", "Returns the reference count of a value of a key."),
];

/// Whether small integer values are shared objects (`OBJ_SHARED_INTEGERS`):
/// always, unless `maxmemory` is set with an LRU or LFU policy, which needs
/// a private access field per value.
pub fn shared_integers(config: &Config) -> bool {
    let hot = config.hot();
    hot.maxmemory == 0 || !(hot.lru_policy || hot.lfu_policy)
}

/// The reference count Redis would report: shared integers count as
/// `INT_MAX` (`OBJ_SHARED_REFCOUNT`), every other value is owned by its key.
pub fn refcount(value: &Value) -> i64 {
    match value {
        Value::SharedInt(_) => i32::MAX as i64,
        _ => 1,
    }
}

/// Looks the key up without touching it; a missing key replies null.
fn lookup<'a>(ctx: &'a mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) -> Option<&'a Entry> {
    let entry = ctx.db().into_no_touch(args.get(2));
    if entry.is_none() {
        reply.null();
    }
    entry
}

/// `OBJECT ENCODING key`
fn encoding(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if let Some(entry) = lookup(ctx, args, reply) {
        reply.bulk(entry.value.encoding_name().as_bytes());
    }
}

/// `OBJECT REFCOUNT key`
fn refcount_command(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if let Some(entry) = lookup(ctx, args, reply) {
        reply.integer(refcount(&entry.value));
    }
}

/// `OBJECT IDLETIME key`: seconds since the last access, unless LFU
/// counters replace the access time.
fn idletime(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(field) = lookup(ctx, args, reply).map(|e| e.lru) else {
        return;
    };
    let access = ctx.keyspace.access();
    if access.is_lfu() {
        return reply.error(b"ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    reply.integer((access.idle_ms(field) / 1000) as i64);
}

/// `OBJECT FREQ key`: the decayed LFU counter.
fn freq(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(field) = lookup(ctx, args, reply).map(|e| e.lru) else {
        return;
    };
    let access = ctx.keyspace.access();
    if !access.is_lfu() {
        return reply.error(b"ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    reply.integer(access.frequency(field) as i64);
}

/// `OBJECT HELP`
fn help(_ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply_help(
        reply,
        args.get(0),
        &[
            "ENCODING <key>",
            "    Returns the internal representation of the value stored at <key>:",
            "    int, embstr, raw, quicklist, listpack, intset, hashtable or skiplist.",
            "FREQ <key>",
            "    Returns the logarithmic access frequency counter of <key>; only",
            "    tracked while maxmemory-policy is an LFU policy.",
            "IDLETIME <key>",
            "    Returns the seconds since <key> was last read or written; not",
            "    tracked while maxmemory-policy is an LFU policy.",
            "REFCOUNT <key>",
            "    Returns how many references share the value of <key> (small",
            "    integers are shared objects).",
        ],
    );
}
