//! Generic key commands (Redis's `generic` group): existence, deletion,
//! type, expiry and TTLs, renames, copies, iteration, OBJECT, SORT.
//! Semantics as Redis 7.0's `db.c`, `expire.c`, `object.c`, `sort.c`.

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::Ctx;
use crate::keyspace::ExpiryMode;
use crate::resp::reply::Reply;
use crate::resp::request::{Args, OwnedArgs};

const G: Group = Group::Generic;
const K: u64 = acl::KEYSPACE;
const EXPIRE_KEYS: &[KeySpec] = &[KeySpec::one(1, RW | UPDATE)];
const TTL_KEYS: &[KeySpec] = &[KeySpec::one(1, RO | ACCESS)];
const MULTI_KEY_TIPS: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];

/// The generic key commands.
pub static COMMANDS: &[Command] = &[
    Command::new("del", -2, WRITE, G, del)
        .acl(K)
        .keys(&[KeySpec::range(1, -1, 1, 0, RM | DELETE)])
        .tips(MULTI_KEY_TIPS)
        .doc("1.0.0", "O(N) where N is the number of keys that will be removed.", "Deletes one or more keys."),
    Command::new("unlink", -2, WRITE | FAST, G, del)
        .acl(K)
        .keys(&[KeySpec::range(1, -1, 1, 0, RM | DELETE)])
        .tips(MULTI_KEY_TIPS)
        .doc("4.0.0", "O(1) for each key removed regardless of its size.", "Asynchronously deletes one or more keys."),
    Command::new("exists", -2, READONLY | FAST, G, exists)
        .acl(K)
        .keys(&[KeySpec::range(1, -1, 1, 0, RO)])
        .tips(MULTI_KEY_TIPS)
        .doc("1.0.0", "O(N) where N is the number of keys to check.", "Determines whether one or more keys exist."),
    Command::new("type", 2, READONLY | FAST, G, type_)
        .acl(K)
        .keys(&[KeySpec::one(1, RO)])
        .doc("1.0.0", "O(1)", "Determines the type of value stored at a key."),
    Command::new("touch", -2, READONLY | FAST, G, touch)
        .acl(K)
        .keys(&[KeySpec::range(1, -1, 1, 0, RO)])
        .tips(MULTI_KEY_TIPS)
        .doc("3.2.1", "O(N) where N is the number of keys that will be touched.", "Returns the number of existing keys out of those specified after updating the time they were last accessed."),
    Command::new("expire", -3, WRITE | FAST, G, expire)
        .acl(K)
        .keys(EXPIRE_KEYS)
        .doc("1.0.0", "O(1)", "Sets the expiration time of a key in seconds."),
    Command::new("pexpire", -3, WRITE | FAST, G, pexpire)
        .acl(K)
        .keys(EXPIRE_KEYS)
        .doc("2.6.0", "O(1)", "Sets the expiration time of a key in milliseconds."),
    Command::new("expireat", -3, WRITE | FAST, G, expireat)
        .acl(K)
        .keys(EXPIRE_KEYS)
        .doc("1.2.0", "O(1)", "Sets the expiration time of a key to a Unix timestamp."),
    Command::new("pexpireat", -3, WRITE | FAST, G, pexpireat)
        .acl(K)
        .keys(EXPIRE_KEYS)
        .doc("2.6.0", "O(1)", "Sets the expiration time of a key to a Unix milliseconds timestamp."),
    Command::new("ttl", 2, READONLY | FAST, G, ttl)
        .acl(K)
        .keys(TTL_KEYS)
        .tips(&["nondeterministic_output"])
        .doc("1.0.0", "O(1)", "Returns the expiration time in seconds of a key."),
    Command::new("pttl", 2, READONLY | FAST, G, pttl)
        .acl(K)
        .keys(TTL_KEYS)
        .tips(&["nondeterministic_output"])
        .doc("2.6.0", "O(1)", "Returns the expiration time in milliseconds of a key."),
    Command::new("expiretime", 2, READONLY | FAST, G, expiretime)
        .acl(K)
        .keys(TTL_KEYS)
        .doc("7.0.0", "O(1)", "Returns the expiration time of a key as a Unix timestamp."),
    Command::new("pexpiretime", 2, READONLY | FAST, G, pexpiretime)
        .acl(K)
        .keys(TTL_KEYS)
        .doc("7.0.0", "O(1)", "Returns the expiration time of a key as a Unix milliseconds timestamp."),
    Command::new("persist", 2, WRITE | FAST, G, persist)
        .acl(K)
        .keys(EXPIRE_KEYS)
        .doc("2.2.0", "O(1)", "Removes the expiration time of a key."),
    Command::new("rename", 3, WRITE, G, rename)
        .acl(K)
        .keys(&[KeySpec::one(1, RW | ACCESS | DELETE), KeySpec::one(2, OW | UPDATE)])
        .doc("1.0.0", "O(1)", "Renames a key and overwrites the destination."),
    Command::new("renamenx", 3, WRITE | FAST, G, renamenx)
        .acl(K)
        .keys(&[KeySpec::one(1, RW | ACCESS | DELETE), KeySpec::one(2, OW | INSERT)])
        .doc("1.0.0", "O(1)", "Renames a key only when the target key name doesn't exist."),
    Command::new("copy", -3, WRITE | DENYOOM, G, copy)
        .acl(K)
        .keys(&[KeySpec::one(1, RO | ACCESS), KeySpec::one(2, OW | UPDATE)])
        .doc(
            "6.2.0",
            "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
            "Copies the value of a key to a new key.",
        ),
    Command::new("move", 3, WRITE | FAST, G, move_)
        .acl(K)
        .keys(&[KeySpec::one(1, RW | ACCESS | UPDATE)])
        .doc("1.0.0", "O(1)", "Moves a key to another database."),
];

/// Whether an absolute deadline has passed so the key must be deleted now
/// rather than given the deadline (`checkAlreadyExpired`): only a master
/// does so; a replica keeps the key until its master's DEL.
pub fn already_expired(ctx: &Ctx<'_>, when_ms: i64) -> bool {
    when_ms <= ctx.now_ms() && ctx.keyspace.expiry_mode() == ExpiryMode::Delete
}

/// `DEL key [key ...]` and `UNLINK key [key ...]`
fn del(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let mut deleted = 0;
    for key in args.iter().skip(1) {
        if db.delete(key) {
            deleted += 1;
        }
    }
    ctx.dirty(deleted);
    reply.integer(deleted as i64);
}

/// `EXISTS key [key ...]`: a key named twice counts twice.
fn exists(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let count = args.iter().skip(1).filter(|key| db.get_no_touch(key).is_some()).count();
    reply.integer(count as i64);
}

/// `TOUCH key [key ...]`
fn touch(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let count = args.iter().skip(1).filter(|key| db.get(key).is_some()).count();
    reply.integer(count as i64);
}

/// `TYPE key`
fn type_(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    match ctx.db().get_no_touch(args.get(1)) {
        None => reply.simple(b"none"),
        Some(entry) => reply.simple(entry.value.value_type().name().as_bytes()),
    }
}

/// The EXPIRE family (`expireGenericCommand`): `base_ms` is the current
/// time for relative forms, 0 for absolute ones.
fn expire_generic(ctx: &mut Ctx<'_>, args: Args<'_>, base_ms: i64, seconds: bool, reply: &mut Reply) {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in args.iter().skip(3) {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            reply.error_parts(&[b"ERR Unsupported option ", opt]);
            return;
        }
    }
    if nx && (xx || gt || lt) {
        reply.error(b"ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if gt && lt {
        reply.error(b"ERR GT and LT options at the same time are not compatible");
        return;
    }
    let Some(mut when) = parse::integer(args.get(2), reply) else {
        return;
    };
    let name = args.get(0).to_ascii_lowercase();
    let invalid = |reply: &mut Reply| reply.error_parts(&[b"ERR invalid expire time in '", &name, b"' command"]);
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            invalid(reply);
            return;
        }
        when *= 1000;
    }
    if when > i64::MAX - base_ms {
        invalid(reply);
        return;
    }
    when += base_ms;
    let key = args.get(1);
    let mut db = ctx.db();
    if db.get_mut(key).is_none() {
        reply.integer(0);
        return;
    }
    let current = db.expire_at(key);
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        reply.integer(0);
        return;
    }
    if already_expired(ctx, when) {
        ctx.db().delete(key);
        ctx.propagate_as(OwnedArgs::from_slices([&b"DEL"[..], key]));
    } else {
        ctx.db().set_expiry(key, when);
        let mut propagated = OwnedArgs::with_capacity(args.len(), 64);
        propagated.push(b"PEXPIREAT");
        propagated.push(key);
        propagated.push(itoa::Buffer::new().format(when).as_bytes());
        for opt in args.iter().skip(3) {
            propagated.push(opt);
        }
        ctx.propagate_as(propagated);
    }
    ctx.dirty(1);
    reply.integer(1);
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`
fn expire(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, true, reply);
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`
fn pexpire(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, false, reply);
}

/// `EXPIREAT key unix-time-seconds [NX|XX|GT|LT]`
fn expireat(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    expire_generic(ctx, args, 0, true, reply);
}

/// `PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]`
fn pexpireat(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    expire_generic(ctx, args, 0, false, reply);
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME (`ttlGenericCommand`).
fn ttl_generic(ctx: &mut Ctx<'_>, args: Args<'_>, milliseconds: bool, absolute: bool, reply: &mut Reply) {
    let now = ctx.now_ms();
    let mut db = ctx.db();
    if db.get_no_touch(args.get(1)).is_none() {
        reply.integer(-2);
        return;
    }
    let Some(expire_at) = db.expire_at(args.get(1)) else {
        reply.integer(-1);
        return;
    };
    let ttl = if absolute { expire_at } else { expire_at - now }.max(0);
    reply.integer(if milliseconds { ttl } else { (ttl + 500) / 1000 });
}

/// `TTL key`
fn ttl(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    ttl_generic(ctx, args, false, false, reply);
}

/// `PTTL key`
fn pttl(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    ttl_generic(ctx, args, true, false, reply);
}

/// `EXPIRETIME key`
fn expiretime(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    ttl_generic(ctx, args, false, true, reply);
}

/// `PEXPIRETIME key`
fn pexpiretime(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    ttl_generic(ctx, args, true, true, reply);
}

/// `PERSIST key`
fn persist(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let key = args.get(1);
    let mut db = ctx.db();
    if db.get_mut(key).is_some() && db.remove_expiry(key) {
        ctx.dirty(1);
        reply.integer(1);
    } else {
        reply.integer(0);
    }
}

/// RENAME and RENAMENX (`renameGenericCommand`): the value moves with its
/// expiry and access field.
fn rename_generic(ctx: &mut Ctx<'_>, args: Args<'_>, nx: bool, reply: &mut Reply) {
    let (from, to) = (args.get(1), args.get(2));
    let mut db = ctx.db();
    if db.get_mut(from).is_none() {
        return reply.error(errors::NO_SUCH_KEY);
    }
    if from == to {
        return if nx { reply.integer(0) } else { reply.ok() };
    }
    if db.get_mut(to).is_some() {
        if nx {
            return reply.integer(0);
        }
        db.delete(to);
    }
    if let Some((entry, expire_at)) = db.remove(from) {
        db.add_entry(to, entry, expire_at);
    }
    ctx.dirty(1);
    if nx {
        reply.integer(1)
    } else {
        reply.ok()
    }
}

/// `RENAME key newkey`
fn rename(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    rename_generic(ctx, args, false, reply);
}

/// `RENAMENX key newkey`
fn renamenx(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    rename_generic(ctx, args, true, reply);
}

/// A database number argument (`getIntFromObjectOrReply` + `selectDb`).
fn parse_db_index(ctx: &Ctx<'_>, arg: &[u8], reply: &mut Reply) -> Option<usize> {
    let index = parse::integer_in_range(arg, i32::MIN as i64, i32::MAX as i64, None, reply)?;
    if index < 0 || index as usize >= ctx.keyspace.db_count() {
        reply.error(errors::DB_INDEX_OUT_OF_RANGE);
        return None;
    }
    Some(index as usize)
}

/// `COPY source destination [DB destination-db] [REPLACE]`: a deep copy
/// in the same encoding, with the source's expiry.
fn copy(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut replace = false;
    let mut target_db = ctx.client.db;
    let mut j = 3;
    while j < args.len() {
        if is(args.get(j), "replace") {
            replace = true;
        } else if is(args.get(j), "db") && j + 1 < args.len() {
            let Some(index) = parse_db_index(ctx, args.get(j + 1), reply) else {
                return;
            };
            target_db = index;
            j += 1;
        } else {
            return reply.error(errors::SYNTAX);
        }
        j += 1;
    }
    let (from, to) = (args.get(1), args.get(2));
    if target_db == ctx.client.db && from == to {
        return reply.error(errors::SAME_OBJECT);
    }
    let mut db = ctx.db();
    let Some(source) = db.get(from) else {
        return reply.integer(0);
    };
    let value = source.value.duplicate();
    let expire_at = db.expire_at(from);
    let mut target = ctx.keyspace.db(target_db);
    if target.get_mut(to).is_some() {
        if !replace {
            return reply.integer(0);
        }
        target.delete(to);
    }
    target.add(to, value);
    if let Some(at) = expire_at {
        target.set_expiry(to, at);
    }
    ctx.dirty(1);
    reply.integer(1);
}

/// `MOVE key db`
fn move_(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(target_db) = parse_db_index(ctx, args.get(2), reply) else {
        return;
    };
    if target_db == ctx.client.db {
        return reply.error(errors::SAME_OBJECT);
    }
    let key = args.get(1);
    if ctx.db().get_mut(key).is_none() || ctx.keyspace.db(target_db).get_mut(key).is_some() {
        return reply.integer(0);
    }
    if let Some((entry, expire_at)) = ctx.db().remove(key) {
        ctx.keyspace.db(target_db).add_entry(key, entry, expire_at);
    }
    ctx.dirty(1);
    reply.integer(1);
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{connect, engine_with_client, propagated, send};
    use std::vec;

    #[test]
    fn renames_copies_and_moves_propagate_only_when_they_act() {
        let (mut engine, _) = engine_with_client();
        engine.record_propagation(true);
        let client = connect(&mut engine);
        send(&mut engine, client, "SET a 1");
        send(&mut engine, client, "SET b 2");
        assert_eq!(send(&mut engine, client, "RENAME a a"), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "RENAMENX a b"), b":0\r\n");
        assert_eq!(send(&mut engine, client, "RENAME nokey c"), b"-ERR no such key\r\n");
        assert_eq!(send(&mut engine, client, "RENAME a c"), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "COPY c b"), b":0\r\n");
        assert_eq!(send(&mut engine, client, "COPY c c DB 2 REPLACE"), b":1\r\n");
        assert_eq!(send(&mut engine, client, "MOVE c 2"), b":0\r\n");
        assert_eq!(send(&mut engine, client, "MOVE c 1"), b":1\r\n");
        assert_eq!(
            propagated(&mut engine),
            vec!["SET a 1", "SET b 2", "RENAME a c", "COPY c c DB 2 REPLACE", "MOVE c 1"]
        );
    }

    #[test]
    fn rename_keeps_the_expiry_and_clears_the_destination() {
        let (mut engine, client) = engine_with_client();
        send(&mut engine, client, "SET a 1 PX 3000");
        send(&mut engine, client, "SET b 2 PX 9000");
        assert_eq!(send(&mut engine, client, "RENAME a b"), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "PTTL b"), b":3000\r\n");
        assert_eq!(send(&mut engine, client, "EXISTS a"), b":0\r\n");
        send(&mut engine, client, "SET c 3");
        assert_eq!(send(&mut engine, client, "RENAME c b"), b"+OK\r\n");
        assert_eq!(send(&mut engine, client, "PTTL b"), b":-1\r\n");
        assert_eq!(send(&mut engine, client, "COPY b d DB 5"), b":1\r\n");
        assert_eq!(send(&mut engine, client, "MOVE d 5"), b":0\r\n");
    }
}
