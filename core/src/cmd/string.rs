//! String commands: SET and GET and their variants, counters, ranges, LCS.
//! Semantics, replies and propagation as Redis 7.0's `t_string.c`.

use super::errors;
use super::object::shared_integers;
use super::parse::{self, is};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::Ctx;
use crate::keyspace::{StrRef, Value};
use crate::resp::reply::{DeferredKind, Reply};
use crate::resp::request::{Args, OwnedArgs};
use crate::util::number::{parse_i64, LongDouble};
use alloc::vec::Vec;

const S: Group = Group::String;
const ONE_RO: &[KeySpec] = &[KeySpec::one(1, RO | ACCESS)];
const ONE_RW: &[KeySpec] = &[KeySpec::one(1, RW | ACCESS | UPDATE)];

/// The string commands.
pub static COMMANDS: &[Command] = &[
    Command::new("append", 3, WRITE | DENYOOM | FAST, S, append)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, RW | INSERT)])
        .doc("2.0.0", "O(1)", "Appends a string to the value of a key. Creates the key if it doesn't exist."),
    Command::new("decr", 2, WRITE | DENYOOM | FAST, S, decr)
        .acl(acl::STRING)
        .keys(ONE_RW)
        .doc("1.0.0", "O(1)", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
    Command::new("decrby", 3, WRITE | DENYOOM | FAST, S, decrby)
        .acl(acl::STRING)
        .keys(ONE_RW)
        .doc("1.0.0", "O(1)", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist."),
    Command::new("get", 2, READONLY | FAST, S, get)
        .acl(acl::STRING)
        .keys(ONE_RO)
        .doc("1.0.0", "O(1)", "Returns the string value of a key."),
    Command::new("getdel", 2, WRITE | FAST, S, getdel)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, RW | ACCESS | DELETE)])
        .doc("6.2.0", "O(1)", "Returns the string value of a key after deleting the key."),
    Command::new("getex", -2, WRITE | FAST, S, getex)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, RW | ACCESS | UPDATE).notes("RW and UPDATE because it changes the TTL")])
        .doc("6.2.0", "O(1)", "Returns the string value of a key after setting its expiration time."),
    Command::new("getrange", 4, READONLY, S, getrange)
        .acl(acl::STRING)
        .keys(ONE_RO)
        .doc("2.4.0", "O(N) where N is the length of the returned string.", "Returns a substring of the string stored at a key."),
    Command::new("getset", 3, WRITE | DENYOOM | FAST, S, getset)
        .acl(acl::STRING)
        .keys(ONE_RW)
        .doc("1.0.0", "O(1)", "Returns the previous string value of a key after setting it to a new value.")
        .deprecated("6.2.0", "`SET` with the `!GET` argument"),
    Command::new("incr", 2, WRITE | DENYOOM | FAST, S, incr)
        .acl(acl::STRING)
        .keys(ONE_RW)
        .doc("1.0.0", "O(1)", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
    Command::new("incrby", 3, WRITE | DENYOOM | FAST, S, incrby)
        .acl(acl::STRING)
        .keys(ONE_RW)
        .doc("1.0.0", "O(1)", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
    Command::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, S, incrbyfloat)
        .acl(acl::STRING)
        .keys(ONE_RW)
        .doc("2.6.0", "O(1)", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
    Command::new("lcs", -3, READONLY, S, lcs)
        .acl(acl::STRING)
        .keys(&[KeySpec::range(1, 1, 1, 0, RO | ACCESS)])
        .doc("7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "Finds the longest common substring."),
    Command::new("mget", -2, READONLY | FAST, S, mget)
        .acl(acl::STRING)
        .keys(&[KeySpec::range(1, -1, 1, 0, RO | ACCESS)])
        .tips(&["request_policy:multi_shard"])
        .doc("1.0.0", "O(N) where N is the number of keys to retrieve.", "Atomically returns the string values of one or more keys."),
    Command::new("mset", -3, WRITE | DENYOOM, S, mset)
        .acl(acl::STRING)
        .keys(&[KeySpec::range(1, -1, 2, 0, OW | UPDATE)])
        .tips(&["request_policy:multi_shard", "response_policy:all_succeeded"])
        .doc("1.0.1", "O(N) where N is the number of keys to set.", "Atomically creates or modifies the string values of one or more keys."),
    Command::new("msetnx", -3, WRITE | DENYOOM, S, msetnx)
        .acl(acl::STRING)
        .keys(&[KeySpec::range(1, -1, 2, 0, OW | INSERT)])
        .tips(&["request_policy:multi_shard", "response_policy:agg_min"])
        .doc("1.0.1", "O(N) where N is the number of keys to set.", "Atomically modifies the string values of one or more keys only when all keys don't exist."),
    Command::new("psetex", 4, WRITE | DENYOOM, S, psetex)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, OW | UPDATE)])
        .doc("2.6.0", "O(1)", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist."),
    Command::new("set", -3, WRITE | DENYOOM, S, set)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, RW | ACCESS | UPDATE | VARIABLE_FLAGS).notes("RW and ACCESS due to the optional `GET` argument")])
        .doc("1.0.0", "O(1)", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
    Command::new("setex", 4, WRITE | DENYOOM, S, setex)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, OW | UPDATE)])
        .doc("2.0.0", "O(1)", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."),
    Command::new("setnx", 3, WRITE | DENYOOM | FAST, S, setnx)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, OW | INSERT)])
        .doc("1.0.0", "O(1)", "Set the string value of a key only when the key doesn't exist."),
    Command::new("setrange", 4, WRITE | DENYOOM, S, setrange)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, RW | UPDATE)])
        .doc("2.2.0", "O(1), not counting the time taken to copy the new string in place.", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist."),
    Command::new("strlen", 2, READONLY | FAST, S, strlen)
        .acl(acl::STRING)
        .keys(&[KeySpec::one(1, RO)])
        .doc("2.2.0", "O(1)", "Returns the length of a string value."),
    Command::new("substr", 4, READONLY, S, getrange)
        .acl(acl::STRING)
        .keys(ONE_RO)
        .doc("1.0.0", "O(N) where N is the length of the returned string.", "Returns a substring from a string value.")
        .deprecated("2.0.0", "`GETRANGE`"),
];

/// The string content of a key's value, or a WRONGTYPE reply.
fn string_of<'a>(value: &'a Value, reply: &mut Reply) -> Option<StrRef<'a>> {
    let string = value.as_str();
    if string.is_none() {
        reply.error(errors::WRONG_TYPE);
    }
    string
}

/// Writes a string value as a bulk reply.
#[inline]
pub fn reply_str(reply: &mut Reply, string: StrRef<'_>) {
    match string {
        StrRef::Bytes(bytes) => reply.bulk(bytes),
        StrRef::Int(n) => reply.bulk_integer(n),
    }
}

/// GET's body (`getGenericCommand`): false after a WRONGTYPE reply.
fn reply_get(ctx: &mut Ctx<'_>, key: &[u8], reply: &mut Reply) -> bool {
    match ctx.db().get_value(key) {
        None => {
            reply.null();
            true
        }
        Some(value) => match string_of(value, reply) {
            Some(string) => {
                reply_str(reply, string);
                true
            }
            None => false,
        },
    }
}

/// `GET key`
fn get(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply_get(ctx, args.get(1), reply);
}

/// Options shared by SET and GETEX (`parseExtendedStringArgumentsOrReply`).
#[derive(Default)]
struct SetOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    /// Expiry argument and whether it is in ms / absolute.
    expire: Option<(&'a [u8], bool, bool)>,
}

/// Parses SET (`for_set`) or GETEX options from `args[start..]`.
fn parse_set_options<'a>(args: &Args<'a>, start: usize, for_set: bool, reply: &mut Reply) -> Option<SetOptions<'a>> {
    let mut options = SetOptions::default();
    let mut i = start;
    while i < args.len() {
        let opt = args.get(i);
        let next = args.try_get(i + 1);
        let has_expire = options.expire.is_some();
        if is(opt, "nx") && !options.xx && for_set {
            options.nx = true;
        } else if is(opt, "xx") && !options.nx && for_set {
            options.xx = true;
        } else if is(opt, "get") && for_set {
            options.get = true;
        } else if is(opt, "keepttl") && !options.persist && !has_expire && for_set {
            options.keep_ttl = true;
        } else if is(opt, "persist") && !for_set && !has_expire && !options.keep_ttl {
            options.persist = true;
        } else if let (Some(value), false, false, false) = (next, options.keep_ttl, options.persist, has_expire) {
            let (ms, absolute) = if is(opt, "ex") {
                (false, false)
            } else if is(opt, "px") {
                (true, false)
            } else if is(opt, "exat") {
                (false, true)
            } else if is(opt, "pxat") {
                (true, true)
            } else {
                reply.error(errors::SYNTAX);
                return None;
            };
            options.expire = Some((value, ms, absolute));
            i += 1;
        } else {
            reply.error(errors::SYNTAX);
            return None;
        }
        i += 1;
    }
    Some(options)
}

/// An absolute expiry in ms from an EX/PX/EXAT/PXAT argument
/// (`getExpireMillisecondsOrReply`).
fn expire_at_ms(
    ctx: &Ctx<'_>,
    command: &str,
    value: &[u8],
    ms: bool,
    absolute: bool,
    reply: &mut Reply,
) -> Option<i64> {
    let mut when = parse::integer(value, reply)?;
    let invalid = |reply: &mut Reply| {
        reply.error_parts(&[b"ERR invalid expire time in '", command.as_bytes(), b"' command"]);
    };
    if when <= 0 || (!ms && when > i64::MAX / 1000) {
        invalid(reply);
        return None;
    }
    if !ms {
        when *= 1000;
    }
    if !absolute {
        when = when.wrapping_add(ctx.now_ms());
    }
    if when <= 0 {
        invalid(reply);
        return None;
    }
    Some(when)
}

/// The common body of SET, SETNX, SETEX, PSETEX (`setGenericCommand`).
/// Returns whether the key was set.
fn set_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    key: &[u8],
    value: &[u8],
    options: &SetOptions<'_>,
    command: &str,
    reply: &mut Reply,
) -> Option<bool> {
    let expire_ms = match options.expire {
        Some((arg, ms, absolute)) => Some(expire_at_ms(ctx, command, arg, ms, absolute, reply)?),
        None => None,
    };
    if options.get && !reply_get(ctx, key, reply) {
        return None;
    }
    let share = shared_integers(ctx.config());
    let mut db = ctx.db();
    let found = db.contains(key);
    if (options.nx && found) || (options.xx && !found) {
        if !options.get {
            reply.null();
        }
        return Some(false);
    }
    db.set(key, Value::string(value).shared(share), options.keep_ttl);
    if let Some(when) = expire_ms {
        db.set_expiry(key, when);
        let mut propagated = OwnedArgs::with_capacity(5, key.len() + value.len() + 32);
        propagated.push(b"SET");
        propagated.push(key);
        propagated.push(value);
        propagated.push(b"PXAT");
        propagated.push(itoa::Buffer::new().format(when).as_bytes());
        ctx.propagate_as(propagated);
    } else if options.get {
        // Propagate without GET, which the replicas have no use for.
        let without_get: Vec<&[u8]> = args
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !is(a, "get"))
            .map(|(_, a)| a)
            .collect();
        ctx.propagate_as(OwnedArgs::from_slices(without_get));
    }
    ctx.dirty(1);
    Some(true)
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL]`
fn set(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(options) = parse_set_options(&args, 3, true, reply) else {
        return;
    };
    if set_generic(ctx, args, args.get(1), args.get(2), &options, "set", reply) == Some(true) && !options.get {
        reply.ok();
    }
}

/// `SETNX key value`
fn setnx(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let share = shared_integers(ctx.config());
    let mut db = ctx.db();
    let key = args.get(1);
    if db.contains(key) {
        reply.integer(0);
        return;
    }
    db.set(key, Value::string(args.get(2)).shared(share), false);
    ctx.dirty(1);
    reply.integer(1);
}

/// `SETEX key seconds value`
fn setex(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let options = SetOptions {
        expire: Some((args.get(2), false, false)),
        ..SetOptions::default()
    };
    if set_generic(ctx, args, args.get(1), args.get(3), &options, "setex", reply) == Some(true) {
        reply.ok();
    }
}

/// `PSETEX key milliseconds value`
fn psetex(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let options = SetOptions {
        expire: Some((args.get(2), true, false)),
        ..SetOptions::default()
    };
    if set_generic(ctx, args, args.get(1), args.get(3), &options, "psetex", reply) == Some(true) {
        reply.ok();
    }
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST]`
fn getex(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(options) = parse_set_options(&args, 2, false, reply) else {
        return;
    };
    let key = args.get(1);
    let mut db = ctx.db();
    let Some(value) = db.get_value(key) else {
        reply.null();
        return;
    };
    let Some(string) = string_of(value, reply).map(StrRef::to_vec) else {
        return;
    };
    let expire_ms = match options.expire {
        Some((arg, ms, absolute)) => match expire_at_ms(ctx, "getex", arg, ms, absolute, reply) {
            Some(when) => Some((when, absolute)),
            None => return,
        },
        None => None,
    };
    reply.bulk(&string);
    match expire_ms {
        Some((when, true)) if super::keys::already_expired(ctx, when) => {
            ctx.db().delete(key);
            ctx.propagate_as(OwnedArgs::from_slices([&b"DEL"[..], key]));
            ctx.dirty(1);
        }
        Some((when, _)) => {
            ctx.db().set_expiry(key, when);
            ctx.propagate_as(OwnedArgs::from_slices([
                &b"PEXPIREAT"[..],
                key,
                itoa::Buffer::new().format(when).as_bytes(),
            ]));
            ctx.dirty(1);
        }
        None if options.persist && ctx.db().remove_expiry(key) => {
            ctx.propagate_as(OwnedArgs::from_slices([&b"PERSIST"[..], key]));
            ctx.dirty(1);
        }
        None => {}
    }
}

/// `GETDEL key`
fn getdel(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let key = args.get(1);
    if !reply_get(ctx, key, reply) {
        return;
    }
    if ctx.db().delete(key) {
        ctx.propagate_as(OwnedArgs::from_slices([&b"DEL"[..], key]));
        ctx.dirty(1);
    }
}

/// `GETSET key value`
fn getset(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let key = args.get(1);
    if !reply_get(ctx, key, reply) {
        return;
    }
    let value = Value::string(args.get(2)).shared(shared_integers(ctx.config()));
    ctx.db().set(key, value, false);
    ctx.propagate_as(OwnedArgs::from_slices([&b"SET"[..], key, args.get(2)]));
    ctx.dirty(1);
}

/// Checks that a string of `size + append` bytes stays within
/// `proto-max-bulk-len` (`checkStringLength`).
fn check_string_length(ctx: &Ctx<'_>, size: u64, append: u64, reply: &mut Reply) -> bool {
    match size.checked_add(append) {
        Some(total) if total <= ctx.config().hot().proto_max_bulk_len => true,
        _ => {
            reply.error(b"ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            false
        }
    }
}

/// `SETRANGE key offset value`
fn setrange(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let (key, patch) = (args.get(1), args.get(3));
    let Some(offset) = parse::integer(args.get(2), reply) else {
        return;
    };
    if offset < 0 {
        reply.error(b"ERR offset is out of range");
        return;
    }
    let offset = offset as u64;
    let mut db = ctx.db();
    let existing_len = match db.get_value(key) {
        None => None,
        Some(value) => match string_of(value, reply) {
            Some(string) => Some(string.len()),
            None => return,
        },
    };
    if patch.is_empty() {
        reply.integer(existing_len.unwrap_or(0) as i64);
        return;
    }
    if !check_string_length(ctx, offset, patch.len() as u64, reply) {
        return;
    }
    let mut db = ctx.db();
    if existing_len.is_none() {
        db.add(key, Value::raw(Vec::new()));
    }
    let Some(bytes) = db.get_value_mut(key).and_then(Value::make_raw) else {
        return;
    };
    let end = offset as usize + patch.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[offset as usize..end].copy_from_slice(patch);
    let len = bytes.len();
    db.signal_modified(key);
    ctx.dirty(1);
    reply.integer(len as i64);
}

/// `GETRANGE key start end` (and the deprecated SUBSTR).
fn getrange(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(start) = parse::integer(args.get(2), reply) else {
        return;
    };
    let Some(end) = parse::integer(args.get(3), reply) else {
        return;
    };
    let mut db = ctx.db();
    let Some(value) = db.get_value(args.get(1)) else {
        reply.bulk(b"");
        return;
    };
    let Some(string) = string_of(value, reply) else {
        return;
    };
    string.with_bytes(|bytes| {
        let len = bytes.len() as i64;
        if start < 0 && end < 0 && start > end {
            reply.bulk(b"");
            return;
        }
        let mut start = if start < 0 { len + start } else { start };
        let mut end = if end < 0 { len + end } else { end };
        start = start.max(0);
        end = end.max(0);
        if end >= len {
            end = len - 1;
        }
        if start > end || len == 0 {
            reply.bulk(b"");
        } else {
            reply.bulk(&bytes[start as usize..=end as usize]);
        }
    });
}

/// `MGET key [key ...]`
fn mget(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply.array(args.len() - 1);
    let mut db = ctx.db();
    for key in args.iter().skip(1) {
        match db.get_value(key).and_then(Value::as_str) {
            Some(string) => reply_str(reply, string),
            None => reply.null(),
        }
    }
}

/// MSET and MSETNX (`msetGenericCommand`).
fn mset_generic(ctx: &mut Ctx<'_>, args: Args<'_>, nx: bool, reply: &mut Reply) {
    if args.len().is_multiple_of(2) {
        reply.error_parts(&[
            b"ERR wrong number of arguments for '",
            if nx { b"msetnx" } else { b"mset" },
            b"' command",
        ]);
        return;
    }
    let share = shared_integers(ctx.config());
    let mut db = ctx.db();
    if nx && (1..args.len()).step_by(2).any(|i| db.contains(args.get(i))) {
        reply.integer(0);
        return;
    }
    for i in (1..args.len()).step_by(2) {
        db.set(args.get(i), Value::string(args.get(i + 1)).shared(share), false);
    }
    ctx.dirty((args.len() as u64 - 1) / 2);
    if nx {
        reply.integer(1);
    } else {
        reply.ok();
    }
}

/// `MSET key value [key value ...]`
fn mset(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    mset_generic(ctx, args, false, reply);
}

/// `MSETNX key value [key value ...]`
fn msetnx(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    mset_generic(ctx, args, true, reply);
}

/// INCR, DECR, INCRBY, DECRBY (`incrDecrCommand`): the TTL is kept.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], increment: i64, reply: &mut Reply) {
    let share = shared_integers(ctx.config());
    let mut db = ctx.db();
    let current = match db.get_value_mut(key) {
        None => None,
        Some(value) => {
            let current = match value.as_str() {
                None => {
                    reply.error(errors::WRONG_TYPE);
                    return;
                }
                Some(StrRef::Int(n)) => Some(n),
                Some(StrRef::Bytes(bytes)) => match parse_i64(bytes) {
                    Some(n) => Some(n),
                    None => {
                        reply.error(errors::NOT_INTEGER);
                        return;
                    }
                },
            };
            let Some(updated) = current.and_then(|n| n.checked_add(increment)) else {
                reply.error(errors::OVERFLOW);
                return;
            };
            *value = Value::Int(updated).shared(share);
            Some(updated)
        }
    };
    let result = match current {
        Some(updated) => {
            db.signal_modified(key);
            updated
        }
        None => {
            db.add(key, Value::Int(increment).shared(share));
            increment
        }
    };
    ctx.dirty(1);
    reply.integer(result);
}

/// `INCR key`
fn incr(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    incr_by(ctx, args.get(1), 1, reply);
}

/// `DECR key`
fn decr(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    incr_by(ctx, args.get(1), -1, reply);
}

/// `INCRBY key increment`
fn incrby(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if let Some(increment) = parse::integer(args.get(2), reply) {
        incr_by(ctx, args.get(1), increment, reply);
    }
}

/// `DECRBY key decrement`
fn decrby(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(decrement) = parse::integer(args.get(2), reply) else {
        return;
    };
    if decrement == i64::MIN {
        reply.error(b"ERR decrement would overflow");
        return;
    }
    incr_by(ctx, args.get(1), -decrement, reply);
}

/// A string value as a long double (`getLongDoubleFromObject`).
fn long_double_of(string: StrRef<'_>) -> Option<LongDouble> {
    match string {
        StrRef::Int(n) => Some(LongDouble::from_i64(n)),
        StrRef::Bytes(bytes) => LongDouble::parse(bytes),
    }
}

/// `INCRBYFLOAT key increment`: computed in x87 long double, replicated as
/// `SET key result KEEPTTL`.
fn incrbyfloat(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let key = args.get(1);
    let mut db = ctx.db();
    let current = match db.get_value(key) {
        None => None,
        Some(value) => match string_of(value, reply) {
            Some(string) => Some(long_double_of(string)),
            None => return,
        },
    };
    let current = match current {
        None => LongDouble::from_i64(0),
        Some(Some(value)) => value,
        Some(None) => {
            reply.error(errors::NOT_FLOAT);
            return;
        }
    };
    let Some(increment) = LongDouble::parse(args.get(2)) else {
        reply.error(errors::NOT_FLOAT);
        return;
    };
    let result = current.plus(increment);
    if !result.is_finite() {
        reply.error(b"ERR increment would produce NaN or Infinity");
        return;
    }
    let text = result.to_human_vec();
    let new_value = Value::string_no_int(&text);
    match db.get_value_mut(key) {
        Some(slot) => {
            *slot = new_value;
            db.signal_modified(key);
        }
        None => {
            db.add(key, new_value);
        }
    }
    ctx.dirty(1);
    reply.bulk(&text);
    ctx.propagate_as(OwnedArgs::from_slices([&b"SET"[..], key, &text, b"KEEPTTL"]));
}

/// `APPEND key value`
fn append(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let (key, suffix) = (args.get(1), args.get(2));
    let share = shared_integers(ctx.config());
    let mut db = ctx.db();
    let existing_len = match db.get_value(key) {
        None => None,
        Some(value) => match string_of(value, reply) {
            Some(string) => Some(string.len()),
            None => return,
        },
    };
    let total = match existing_len {
        None => {
            db.add(key, Value::string(suffix).shared(share));
            suffix.len()
        }
        Some(len) => {
            if !check_string_length(ctx, len as u64, suffix.len() as u64, reply) {
                return;
            }
            let mut db = ctx.db();
            let Some(bytes) = db.get_value_mut(key).and_then(Value::make_raw) else {
                return;
            };
            bytes.extend_from_slice(suffix);
            let total = bytes.len();
            db.signal_modified(key);
            total
        }
    };
    ctx.dirty(1);
    reply.integer(total as i64);
}

/// `STRLEN key`
fn strlen(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    match ctx.db().get_value(args.get(1)) {
        None => reply.integer(0),
        Some(value) => {
            if let Some(string) = string_of(value, reply) {
                reply.integer(string.len() as i64);
            }
        }
    }
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`
fn lcs(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let mut fetch = |key: &[u8]| -> Result<Vec<u8>, ()> {
        match db.get_value(key) {
            None => Ok(Vec::new()),
            Some(value) => value.as_str().map(StrRef::to_vec).ok_or(()),
        }
    };
    let (Ok(a), Ok(b)) = (fetch(args.get(1)), fetch(args.get(2))) else {
        reply.error(b"ERR The specified keys must contain string values");
        return;
    };
    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        let opt = args.get(i);
        if is(opt, "idx") {
            get_idx = true;
        } else if is(opt, "len") {
            get_len = true;
        } else if is(opt, "withmatchlen") {
            with_match_len = true;
        } else if is(opt, "minmatchlen") && i + 1 < args.len() {
            let Some(n) = parse::integer(args.get(i + 1), reply) else {
                return;
            };
            min_match_len = n.max(0);
            i += 1;
        } else {
            reply.error(errors::SYNTAX);
            return;
        }
        i += 1;
    }
    if get_len && get_idx {
        reply.error(b"ERR If you want both the length and indexes, please just use IDX.");
        return;
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        reply.error(b"ERR String too long for LCS");
        return;
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen + 1) as u64 * (blen + 1) as u64;
    if cells * 4 > ctx.config().hot().proto_max_bulk_len {
        reply.error(b"ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        reply.error(b"ERR Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    table.resize(cells as usize, 0);
    let at = |i: usize, j: usize| j + i * (blen + 1);
    for i in 1..=alen {
        for j in 1..=blen {
            table[at(i, j)] = if a[i - 1] == b[j - 1] {
                table[at(i - 1, j - 1)] + 1
            } else {
                table[at(i - 1, j)].max(table[at(i, j - 1)])
            };
        }
    }
    let total = table[at(alen, blen)];
    let compute = get_idx || !get_len;
    let mut result = alloc::vec![0u8; if compute { total as usize } else { 0 }];
    let matches = get_idx.then(|| {
        reply.map(2);
        reply.bulk(b"matches");
        reply.deferred(DeferredKind::Array)
    });
    let mut emitted = 0;
    let (mut idx, mut i, mut j) = (total as usize, alen, blen);
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0, 0, 0);
    while compute && i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == alen {
                a_start = i - 1;
                a_end = i - 1;
                b_start = j - 1;
                b_end = j - 1;
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[at(i - 1, j)] > table[at(i, j - 1)] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        let match_len = a_end.wrapping_sub(a_start).wrapping_add(1);
        if emit {
            if (min_match_len == 0 || match_len as i64 >= min_match_len) && matches.is_some() {
                reply.array(2 + with_match_len as usize);
                reply.array(2);
                reply.integer(a_start as i64);
                reply.integer(a_end as i64);
                reply.array(2);
                reply.integer(b_start as i64);
                reply.integer(b_end as i64);
                if with_match_len {
                    reply.integer(match_len as i64);
                }
                emitted += 1;
            }
            a_start = alen;
        }
    }
    if let Some(matches) = matches {
        reply.bulk(b"len");
        reply.integer(total as i64);
        // The array header goes before the matches and after "matches".
        reply.complete(matches, emitted);
    } else if get_len {
        reply.integer(total as i64);
    } else {
        reply.bulk(&result);
    }
}
