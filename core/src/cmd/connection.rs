//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET.
//! (CLIENT lives in [`super::client`].)

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, Command, Group};
use super::Ctx;
use crate::engine::browser::required_password;
use crate::engine::client::client_flag;
use crate::engine::REDIS_VERSION;
use crate::resp::reply::Reply;
use crate::resp::request::Args;

const C: Group = Group::Connection;
const CON: u64 = acl::CONNECTION;

/// The connection commands.
pub static COMMANDS: &[Command] = &[
    Command::new("ping", -1, FAST, C, ping)
        .acl(CON)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc("1.0.0", "O(1)", "Returns the server's liveliness response."),
    Command::new("echo", 2, LOADING | STALE | FAST, C, echo)
        .acl(CON)
        .doc("1.0.0", "O(1)", "Returns the given string."),
    Command::new("select", 2, LOADING | STALE | FAST, C, select)
        .acl(CON)
        .doc("1.0.0", "O(1)", "Changes the selected database."),
    Command::new(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        C,
        quit,
    )
    .acl(CON)
    .doc("1.0.0", "O(1)", "Closes the connection."),
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        C,
        hello,
    )
    .acl(CON)
    .doc("6.0.0", "O(1)", "Handshakes with the Redis server."),
    Command::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        C,
        auth,
    )
    .acl(CON)
    .doc(
        "1.0.0",
        "O(N) where N is the number of passwords defined for the user",
        "Authenticates the connection.",
    ),
    Command::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        C,
        reset,
    )
    .acl(CON)
    .doc("6.2.0", "O(1)", "Resets the connection."),
];

/// `PING [message]`: in RESP2 subscribed mode, a `pong` array.
fn ping(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 2 {
        reply.error(b"ERR wrong number of arguments for 'ping' command");
        return;
    }
    if ctx.client.has(client_flag::PUBSUB) && !reply.is_resp3() {
        reply.array(2);
        reply.bulk(b"pong");
        reply.bulk(args.try_get(1).unwrap_or(b""));
    } else {
        match args.try_get(1) {
            Some(message) => reply.bulk(message),
            None => reply.raw(b"+PONG\r\n"),
        }
    }
}

/// `ECHO message`
fn echo(_ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply.bulk(args.get(1));
}

/// `SELECT index`
fn select(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(index) = parse::integer_in_range(args.get(1), i32::MIN as i64, i32::MAX as i64, None, reply) else {
        return;
    };
    if index < 0 || index as usize >= ctx.keyspace.db_count() {
        reply.error(errors::DB_INDEX_OUT_OF_RANGE);
        return;
    }
    ctx.client.db = index as usize;
    reply.ok();
}

/// `QUIT`
fn quit(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.ok();
    ctx.client.flags |= client_flag::CLOSE_AFTER_REPLY;
}

/// Checks a user and password against the only user, `default`, whose
/// password is `requirepass` (`websocket-requirepass` for a browser
/// replica; none: any password is accepted).
fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], password: &[u8]) -> bool {
    let ok = user == b"default"
        && match required_password(&ctx.server.config, ctx.client) {
            None => true,
            Some(required) => required.as_bytes() == password,
        };
    if ok {
        ctx.client.authenticated = true;
    }
    ok
}

/// `AUTH [username] password`
fn auth(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 3 {
        reply.error(errors::SYNTAX);
        return;
    }
    let (user, password) = if args.len() == 2 {
        if required_password(&ctx.server.config, ctx.client).is_none() {
            reply.error(b"ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        (&b"default"[..], args.get(1))
    } else {
        (args.get(1), args.get(2))
    };
    if authenticate(ctx, user, password) {
        reply.ok();
    } else {
        reply.error(errors::WRONG_PASS);
    }
}

/// Whether a client name is valid: printable ASCII without spaces.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// Sets (or clears, when empty) the client name, replying the error for
/// invalid names.
pub fn set_client_name(ctx: &mut Ctx<'_>, name: &[u8], reply: &mut Reply) -> bool {
    if !valid_client_name(name) {
        reply.error(b"ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    ctx.client.name = (!name.is_empty()).then(|| crate::keyspace::CompactBytes::new(name));
    true
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
fn hello(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut version = 0;
    let mut next = 1;
    if args.len() >= 2 {
        match crate::util::number::parse_i64(args.get(1)) {
            Some(v) => version = v,
            None => {
                reply.error(b"ERR Protocol version is not an integer or out of range");
                return;
            }
        }
        next = 2;
        if !(2..=3).contains(&version) {
            reply.error(b"NOPROTO unsupported protocol version");
            return;
        }
    }
    let mut i = next;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args.get(i);
        if is(opt, "auth") && more >= 2 {
            if !authenticate(ctx, args.get(i + 1), args.get(i + 2)) {
                reply.error(errors::WRONG_PASS);
                return;
            }
            i += 3;
        } else if is(opt, "setname") && more >= 1 {
            if !set_client_name(ctx, args.get(i + 1), reply) {
                return;
            }
            i += 2;
        } else {
            reply.error_parts(&[b"ERR Syntax error in HELLO option '", opt, b"'"]);
            return;
        }
    }
    if !ctx.client.authenticated {
        reply.error(b"NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if version != 0 {
        ctx.client.resp = version as u8;
        reply.set_resp3(version == 3);
    }
    reply.map(7);
    reply.bulk(b"server");
    reply.bulk(b"redis");
    reply.bulk(b"version");
    reply.bulk(REDIS_VERSION.as_bytes());
    reply.bulk(b"proto");
    reply.integer(ctx.client.resp as i64);
    reply.bulk(b"id");
    reply.integer(ctx.client.id as i64);
    reply.bulk(b"mode");
    reply.bulk(b"standalone");
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"modules");
    reply.empty_array();
}

/// `RESET`: back to a freshly connected client.
fn reset(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    crate::engine::process::reset_client(ctx);
    reply.set_resp3(false);
    reply.simple(b"RESET");
}
