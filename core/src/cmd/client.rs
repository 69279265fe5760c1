//! CLIENT: the connection's own settings and the administration of other
//! connections (Redis's `clientCommand` in `networking.c`).

use super::pubsub::reply_subcommand_syntax_error;
use super::spec::{acl, flag::*, Command, Group};
use super::{errors, parse, reply_help, Ctx};
use crate::engine::blocking;
use crate::engine::client::{client_flag, ClientState};
use crate::engine::process::client_info_line_at;
use crate::resp::reply::Reply;
use crate::resp::request::Args;
use alloc::string::String;
use alloc::vec::Vec;

const C: Group = Group::Connection;
const BASE: u64 = NOSCRIPT | LOADING | STALE;

/// The CLIENT container.
pub static COMMANDS: &[Command] = &[Command::container("client", C, SUBCOMMANDS).doc(
    "2.4.0",
    "Depends on subcommand.",
    "A container for client connection commands.",
)];

static SUBCOMMANDS: &[Command] = &[
    Command::new("id", 2, BASE, C, id).acl(acl::CONNECTION).doc(
        "5.0.0",
        "O(1)",
        "Returns the unique client ID of the connection.",
    ),
    Command::new("setname", 3, BASE, C, setname)
        .acl(acl::CONNECTION)
        .doc("2.6.9", "O(1)", "Sets the connection name."),
    Command::new("getname", 2, BASE, C, getname).acl(acl::CONNECTION).doc(
        "2.6.9",
        "O(1)",
        "Returns the name of the connection.",
    ),
    Command::new("list", -2, ADMIN | BASE, C, list)
        .acl(acl::CONNECTION)
        .tips(&["nondeterministic_output"])
        .doc(
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Lists open connections.",
        ),
    Command::new("info", 2, BASE, C, info)
        .acl(acl::CONNECTION)
        .tips(&["nondeterministic_output"])
        .doc("6.2.0", "O(1)", "Returns information about the connection."),
    Command::new("kill", -3, ADMIN | BASE, C, kill)
        .acl(acl::CONNECTION)
        .doc(
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Terminates open connections.",
        ),
    Command::new("pause", -3, ADMIN | BASE, C, pause)
        .acl(acl::CONNECTION)
        .doc("2.9.50", "O(1)", "Suspends commands processing."),
    Command::new("unpause", 2, ADMIN | BASE, C, unpause)
        .acl(acl::CONNECTION)
        .doc(
            "6.2.0",
            "O(N) Where N is the number of paused clients",
            "Resumes processing commands from paused clients.",
        ),
    Command::new("reply", 3, BASE, C, reply_mode).acl(acl::CONNECTION).doc(
        "3.2.0",
        "O(1)",
        "Instructs the server whether to reply to commands.",
    ),
    Command::new("unblock", -3, ADMIN | BASE, C, unblock)
        .acl(acl::CONNECTION)
        .doc(
            "5.0.0",
            "O(log N) where N is the number of client connections",
            "Unblocks a client blocked by a blocking command from a different connection.",
        ),
    Command::new("no-evict", 3, ADMIN | BASE, C, no_evict)
        .acl(acl::CONNECTION)
        .doc("7.0.0", "O(1)", "Sets the client eviction mode of the connection."),
    Command::new("getredir", 2, BASE, C, getredir).acl(acl::CONNECTION).doc(
        "6.0.0",
        "O(1)",
        "Returns the client ID to which the connection's tracking notifications are redirected.",
    ),
    Command::new("trackinginfo", 2, BASE, C, trackinginfo)
        .acl(acl::CONNECTION)
        .doc(
            "6.2.0",
            "O(1)",
            "Returns information about server-assisted client-side caching for the connection.",
        ),
    Command::new("help", 2, LOADING | STALE, C, help)
        .acl(acl::CONNECTION)
        .doc("5.0.0", "O(1)", "Returns helpful text about the different subcommands."),
];

/// Client types as CLIENT LIST/KILL TYPE name them (`getClientTypeByName`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

fn client_type_by_name(name: &[u8]) -> Option<ClientType> {
    match name.to_ascii_lowercase().as_slice() {
        b"normal" => Some(ClientType::Normal),
        b"slave" | b"replica" => Some(ClientType::Replica),
        b"pubsub" => Some(ClientType::PubSub),
        b"master" => Some(ClientType::Master),
        _ => None,
    }
}

fn client_type(state: &ClientState) -> ClientType {
    if state.has(client_flag::MASTER) {
        ClientType::Master
    } else if state.has(client_flag::REPLICA) {
        ClientType::Replica
    } else if state.has(client_flag::PUBSUB) {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

fn unknown_type(name: &[u8], reply: &mut Reply) {
    reply.error_parts(&[b"ERR Unknown client type '", name, b"'"]);
}

/// `CLIENT ID`
fn id(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.integer(ctx.client.id as i64);
}

/// `CLIENT SETNAME name`
fn setname(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if super::connection::set_client_name(ctx, args.get(2), reply) {
        reply.ok();
    }
}

/// `CLIENT GETNAME`
fn getname(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    match &ctx.client.name {
        Some(name) => reply.bulk(name),
        None => reply.null(),
    }
}

/// The CLIENT LIST line of every client passing `keep`, oldest first, the
/// running client included.
fn info_lines(ctx: &Ctx<'_>, current_output: usize, keep: impl Fn(&ClientState) -> bool) -> String {
    let now = ctx.server.now_ms();
    let mut out = String::new();
    // The master client (a replica's link) is listed in id order too.
    let mut master = ctx
        .server
        .replica
        .streaming_client()
        .filter(|c| keep(&c.state))
        .map(|c| (c.id, client_info_line_at(&c.state, c.query.len(), 0, now)));
    for (id, client) in ctx.server.clients.iter_ordered() {
        if master.as_ref().is_some_and(|(master_id, _)| *master_id < id) {
            if let Some((_, line)) = master.take() {
                out.push_str(&line);
                out.push('\n');
            }
        }
        let line = match client {
            Some(client) if keep(&client.state) => {
                client_info_line_at(&client.state, client.query.len(), client.reply.len(), now)
            }
            None if id == ctx.client.id && keep(ctx.client) => client_info_line_at(ctx.client, 0, current_output, now),
            _ => continue,
        };
        out.push_str(&line);
        out.push('\n');
    }
    if let Some((_, line)) = master {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `CLIENT LIST [TYPE type] [ID id [id ...]]`
fn list(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let text = if args.len() == 4 && parse::is(args.get(2), "type") {
        let Some(wanted) = client_type_by_name(args.get(3)) else {
            unknown_type(args.get(3), reply);
            return;
        };
        info_lines(ctx, reply.len(), |state| client_type(state) == wanted)
    } else if args.len() > 3 && parse::is(args.get(2), "id") {
        let mut ids = Vec::new();
        for arg in args.iter().skip(3) {
            match crate::util::number::parse_i64(arg) {
                Some(id) => ids.push(id as u64),
                None => {
                    reply.error(b"ERR Invalid client ID");
                    return;
                }
            }
        }
        // Redis lists the requested ids in the order given.
        let mut out = String::new();
        for id in ids {
            out.push_str(&info_lines(ctx, reply.len(), |state| state.id == id));
        }
        out
    } else if args.len() != 2 {
        reply.error(errors::SYNTAX);
        return;
    } else {
        info_lines(ctx, reply.len(), |_| true)
    };
    reply.verbatim(text.as_bytes(), b"txt");
}

/// `CLIENT INFO`
fn info(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    let mut line = client_info_line_at(ctx.client, 0, reply.len(), ctx.server.now_ms());
    line.push('\n');
    reply.verbatim(line.as_bytes(), b"txt");
}

/// `CLIENT KILL ip:port` or `CLIENT KILL [ID id] [TYPE type] [ADDR addr]
/// [LADDR addr] [USER user] [SKIPME yes|no] ...`
fn kill(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut kind: Option<ClientType> = None;
    let mut id: Option<u64> = None;
    let mut skip_me = true;
    let old_style = args.len() == 3;
    if old_style {
        addr = Some(args.get(2));
        skip_me = false;
    } else {
        let mut i = 2;
        while i < args.len() {
            let Some(value) = args.try_get(i + 1) else {
                reply.error(errors::SYNTAX);
                return;
            };
            let option = args.get(i);
            if parse::is(option, "id") {
                let message: &[u8] = b"ERR client-id should be greater than 0";
                let Some(n) = parse::integer_in_range(value, 1, i64::MAX, Some(message), reply) else {
                    return;
                };
                id = Some(n as u64);
            } else if parse::is(option, "type") {
                match client_type_by_name(value) {
                    Some(t) => kind = Some(t),
                    None => {
                        unknown_type(value, reply);
                        return;
                    }
                }
            } else if parse::is(option, "addr") {
                addr = Some(value);
            } else if parse::is(option, "laddr") {
                laddr = Some(value);
            } else if parse::is(option, "user") {
                if value != b"default" {
                    reply.error_parts(&[b"ERR No such user '", value, b"'"]);
                    return;
                }
            } else if parse::is(option, "skipme") {
                if parse::is(value, "yes") {
                    skip_me = true;
                } else if parse::is(value, "no") {
                    skip_me = false;
                } else {
                    reply.error(errors::SYNTAX);
                    return;
                }
            } else {
                reply.error(errors::SYNTAX);
                return;
            }
            i += 2;
        }
    }
    let matches = |state: &ClientState| {
        addr.is_none_or(|a| state.conn.addr.as_bytes() == a)
            && laddr.is_none_or(|a| state.conn.laddr.as_bytes() == a)
            && kind.is_none_or(|k| client_type(state) == k)
            && id.is_none_or(|i| state.id == i)
    };
    let mut killed = 0;
    let mut victims = Vec::new();
    for handle in ctx.server.clients.handles() {
        if handle.id == ctx.client.id {
            continue;
        }
        if let Some(client) = ctx.server.clients.get(handle) {
            if matches(&client.state) {
                victims.push(handle);
            }
        }
    }
    for handle in victims {
        if let Some(client) = ctx.server.clients.get_mut(handle) {
            client.state.flags |= client_flag::CLOSE_ASAP;
            killed += 1;
            ctx.server.wake(handle.id);
        }
    }
    if ctx.server.replica.streaming_client().is_some_and(|c| matches(&c.state)) {
        ctx.server.replica.kill_link();
        killed += 1;
    }
    let kill_self = !skip_me && matches(ctx.client);
    if kill_self {
        killed += 1;
    }
    if old_style {
        if killed == 0 {
            reply.error(b"ERR No such client");
        } else {
            reply.ok();
        }
    } else {
        reply.integer(killed);
    }
    if kill_self {
        ctx.client.flags |= client_flag::CLOSE_AFTER_REPLY;
    }
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`
fn pause(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 4 {
        reply_subcommand_syntax_error(args, reply);
        return;
    }
    let mut write_only = false;
    if let Some(mode) = args.try_get(3) {
        if parse::is(mode, "write") {
            write_only = true;
        } else if !parse::is(mode, "all") {
            reply.error(b"ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    let Some(ms) = crate::util::number::parse_i64(args.get(2)) else {
        reply.error(b"ERR timeout is not an integer or out of range");
        return;
    };
    if ms < 0 {
        reply.error(errors::TIMEOUT_NEGATIVE);
        return;
    }
    let end = if ms > 0 { ctx.now_ms().saturating_add(ms) } else { 0 };
    blocking::pause(ctx.server, write_only, end);
    reply.ok();
}

/// `CLIENT UNPAUSE`
fn unpause(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    blocking::unpause(ctx.server);
    reply.ok();
}

/// `CLIENT REPLY ON|OFF|SKIP`
fn reply_mode(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mode = args.get(2);
    if parse::is(mode, "on") {
        ctx.client.flags &= !(client_flag::REPLY_OFF | client_flag::REPLY_SKIP | client_flag::REPLY_SKIP_NEXT);
        reply.ok();
    } else if parse::is(mode, "off") {
        ctx.client.flags |= client_flag::REPLY_OFF;
    } else if parse::is(mode, "skip") {
        if !ctx.client.has(client_flag::REPLY_OFF) {
            ctx.client.flags |= client_flag::REPLY_SKIP_NEXT;
        }
    } else {
        reply.error(errors::SYNTAX);
    }
}

/// `CLIENT UNBLOCK client-id [TIMEOUT|ERROR]`
fn unblock(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 4 {
        reply_subcommand_syntax_error(args, reply);
        return;
    }
    let mut error = false;
    if let Some(how) = args.try_get(3) {
        if parse::is(how, "error") {
            error = true;
        } else if !parse::is(how, "timeout") {
            reply.error(b"ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    let Some(id) = parse::integer(args.get(2), reply) else {
        return;
    };
    let unblocked =
        id > 0 && id as u64 != ctx.client.id && blocking::unblock_client(ctx.server, ctx.keyspace, id as u64, error);
    reply.integer(unblocked as i64);
}

/// `CLIENT NO-EVICT ON|OFF`
fn no_evict(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mode = args.get(2);
    if parse::is(mode, "on") {
        ctx.client.flags |= client_flag::NO_EVICT;
        reply.ok();
    } else if parse::is(mode, "off") {
        ctx.client.flags &= !client_flag::NO_EVICT;
        reply.ok();
    } else {
        reply.error(errors::SYNTAX);
    }
}

/// `CLIENT GETREDIR`: -1, as tracking is never enabled here.
fn getredir(_ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.integer(-1);
}

/// `CLIENT TRACKINGINFO`: tracking is never enabled here.
fn trackinginfo(_ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(1);
    reply.bulk(b"off");
    reply.bulk(b"redirect");
    reply.integer(-1);
    reply.bulk(b"prefixes");
    reply.empty_array();
}

/// `CLIENT HELP`
fn help(_ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply_help(
        reply,
        args.get(0),
        &[
            "GETNAME",
            "    Returns the name of this connection.",
            "GETREDIR",
            "    Returns -1: client-side caching is not available.",
            "ID",
            "    Returns the id of this connection.",
            "INFO",
            "    Returns information about this connection.",
            "KILL <ip:port>",
            "    Closes the connection from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Closes the matching connections. Options: ID, TYPE, ADDR, LADDR, USER, SKIPME.",
            "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> ...]",
            "    Returns information about connections.",
            "NO-EVICT (ON|OFF)",
            "    Marks this connection as exempt from client eviction.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Holds all commands, or only writes, for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Controls the replies sent to this connection.",
            "SETNAME <name>",
            "    Names this connection.",
            "TRACKINGINFO",
            "    Reports the client-side caching state of this connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Ends the blocking command of another connection.",
            "UNPAUSE",
            "    Ends a CLIENT PAUSE.",
        ],
    );
}
