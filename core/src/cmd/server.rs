//! Server commands: INFO, TIME, SAVE, BGSAVE, LASTSAVE, SHUTDOWN, DEBUG,
//! CONFIG and COMMAND (Redis's `server.c`, `rdb.c`, `config.c`, `debug.c`).

use super::pubsub::reply_subcommand_syntax_error;
use super::spec::{acl, flag, flag::*, key_flag, BeginSearch, Command, FindKeys, Group};
use super::table::CommandEntry;
use super::{errors, parse, reply_help, Ctx};
use crate::config::{directive_flag, Config, ConfigError, Id, Source, DIRECTIVES};
use crate::engine::client::client_flag;
use crate::engine::persistence::{self, ShutdownFlags};
use crate::engine::{info, watch, HostEvent};
use crate::resp::reply::Reply;
use crate::resp::request::Args;
use alloc::string::String;
use alloc::vec::Vec;

const S: Group = Group::Server;
const NDO: &[&str] = &["nondeterministic_output_order"];

/// The server commands.
pub static COMMANDS: &[Command] = &[
    Command::new("info", -1, LOADING | STALE, S, info)
        .acl(acl::DANGEROUS)
        .tips(&[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ])
        .doc("1.0.0", "O(1)", "Returns information and statistics about the server."),
    Command::new("time", 1, LOADING | STALE | FAST, S, time)
        .tips(&["nondeterministic_output"])
        .doc("2.6.0", "O(1)", "Returns the server time."),
    Command::new("save", 1, NO_ASYNC_LOADING | ADMIN | NOSCRIPT | NO_MULTI, S, save).doc(
        "1.0.0",
        "O(N) where N is the total number of keys in all databases",
        "Writes the dataset to disk before replying.",
    ),
    Command::new("bgsave", -1, NO_ASYNC_LOADING | ADMIN | NOSCRIPT, S, bgsave).doc(
        "1.0.0",
        "O(1)",
        "Writes the dataset to disk in a background process.",
    ),
    Command::new("bgrewriteaof", 1, NO_ASYNC_LOADING | ADMIN | NOSCRIPT, S, bgrewriteaof).doc(
        "1.0.0",
        "O(1)",
        "Rewrites the append-only file in a background process.",
    ),
    Command::new("lastsave", 1, LOADING | STALE | FAST, S, lastsave)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc(
            "1.0.0",
            "O(1)",
            "Returns the Unix timestamp of the last successful save to disk.",
        ),
    Command::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        S,
        shutdown,
    )
    .doc(
        "1.0.0",
        "O(1) when not saving",
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
    ),
    Command::new("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED, S, debug).doc(
        "1.0.0",
        "Depends on subcommand.",
        "A container for debugging commands.",
    ),
    Command::container("config", S, CONFIG_SUBCOMMANDS).doc(
        "2.0.0",
        "Depends on subcommand.",
        "A container for server configuration commands.",
    ),
    Command::new("command", -1, LOADING | STALE, S, command)
        .acl(acl::CONNECTION)
        .tips(NDO)
        .doc(
            "2.8.13",
            "O(N) where N is the total number of Redis commands",
            "Returns detailed information about all commands.",
        )
        .with_subcommands(COMMAND_SUBCOMMANDS),
];

static CONFIG_SUBCOMMANDS: &[Command] = &[
    Command::new("get", -3, ADMIN | NOSCRIPT | LOADING | STALE, S, config_get).doc(
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Returns the effective values of configuration parameters.",
    ),
    Command::new("set", -4, ADMIN | NOSCRIPT | LOADING | STALE, S, config_set)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc(
            "2.0.0",
            "O(N) when N is the number of configuration parameters provided",
            "Sets configuration parameters in-flight.",
        ),
    Command::new("resetstat", 2, ADMIN | NOSCRIPT | LOADING | STALE, S, config_resetstat).doc(
        "2.0.0",
        "O(1)",
        "Resets the server's statistics.",
    ),
    Command::new("rewrite", 2, ADMIN | NOSCRIPT | LOADING | STALE, S, config_rewrite).doc(
        "2.8.0",
        "O(1)",
        "Persists the effective configuration to file.",
    ),
    Command::new("help", 2, LOADING | STALE, S, config_help).doc(
        "5.0.0",
        "O(1)",
        "Returns helpful text about the different subcommands.",
    ),
];

const COMMAND_FLAGS: u64 = LOADING | STALE;

static COMMAND_SUBCOMMANDS: &[Command] = &[
    Command::new("count", 2, COMMAND_FLAGS, S, command_count)
        .acl(acl::CONNECTION)
        .doc("2.8.13", "O(1)", "Returns a count of commands."),
    Command::new("docs", -2, COMMAND_FLAGS, S, command_docs)
        .acl(acl::CONNECTION)
        .tips(NDO)
        .doc(
            "7.0.0",
            "O(N) where N is the number of commands to look up",
            "Returns documentary information about one, multiple or all commands.",
        ),
    Command::new("getkeys", -4, COMMAND_FLAGS, S, command_getkeys)
        .acl(acl::CONNECTION)
        .doc(
            "2.8.13",
            "O(N) where N is the number of arguments to the command",
            "Extracts the key names from an arbitrary command.",
        ),
    Command::new("getkeysandflags", -4, COMMAND_FLAGS, S, command_getkeysandflags)
        .acl(acl::CONNECTION)
        .doc(
            "7.0.0",
            "O(N) where N is the number of arguments to the command",
            "Extracts the key names and access flags for an arbitrary command.",
        ),
    Command::new("info", -2, COMMAND_FLAGS, S, command_info)
        .acl(acl::CONNECTION)
        .tips(NDO)
        .doc(
            "2.8.13",
            "O(N) where N is the number of commands to look up",
            "Returns information about one, multiple or all commands.",
        ),
    Command::new("list", -2, COMMAND_FLAGS, S, command_list)
        .acl(acl::CONNECTION)
        .tips(NDO)
        .doc(
            "7.0.0",
            "O(N) where N is the total number of Redis commands",
            "Returns a list of command names.",
        ),
    Command::new("help", 2, COMMAND_FLAGS, S, command_help)
        .acl(acl::CONNECTION)
        .doc("5.0.0", "O(1)", "Returns helpful text about the different subcommands."),
];

/// `INFO [section ...]`
fn info(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let sections: Vec<Vec<u8>> = args.iter().skip(1).map(<[u8]>::to_vec).collect();
    let text = info::generate(ctx.server, ctx.keyspace, ctx.client, &sections);
    reply.verbatim(text.as_bytes(), b"txt");
}

/// `TIME`
fn time(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    let now_us = ctx.server.host.unix_time_us();
    reply.array(2);
    reply.bulk_integer(now_us / 1_000_000);
    reply.bulk_integer(now_us % 1_000_000);
}

/// `LASTSAVE`
fn lastsave(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.integer(ctx.server.lastsave);
}

/// `SAVE`: writes the dump before replying (`saveCommand`).
fn save(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    if ctx.server.persistence.bgsave_in_progress() {
        reply.error(b"ERR Background save already in progress");
        return;
    }
    ctx.server.persistence.saves += 1;
    match persistence::save(ctx.keyspace, ctx.server) {
        Ok(()) => reply.ok(),
        Err(_) => reply.error(b"ERR"),
    }
}

/// `BGSAVE [SCHEDULE]`: starts a background save (`bgsaveCommand`).
/// Inside a transaction it is scheduled for the next cron tick, as Redis
/// does (a fork inside EXEC would snapshot a half-applied transaction).
fn bgsave(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 1 && !(args.len() == 2 && parse::is(args.get(1), "schedule")) {
        reply.error(errors::SYNTAX);
        return;
    }
    let schedule = args.len() == 2;
    if ctx.server.persistence.bgsave_in_progress() {
        reply.error(b"ERR Background save already in progress");
    } else if ctx.server.aof.rewrite_started.is_some() || ctx.server.call_depth > 1 {
        // One child at a time, as Redis: an AOF rewrite runs.
        if schedule || ctx.server.call_depth > 1 {
            ctx.server.persistence.bgsave_scheduled = true;
            reply.simple(b"Background saving scheduled");
        } else {
            reply.error(b"ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else if persistence::background_save(ctx.keyspace, ctx.server).is_ok() {
        reply.simple(b"Background saving started");
    } else {
        reply.error(b"ERR");
    }
}

/// `BGREWRITEAOF`: a new AOF base written by a child, the incremental
/// file switched at once; scheduled while a save runs or inside EXEC.
fn bgrewriteaof(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    if ctx.server.aof.rewrite_started.is_some() {
        reply.error(b"ERR Background append only file rewriting already in progress");
    } else if ctx.server.persistence.bgsave_in_progress() || ctx.server.call_depth > 1 {
        ctx.server.aof.rewrite_scheduled = true;
        ctx.server.aof.rewrite_failures = 0;
        reply.simple(b"Background append only file rewriting scheduled");
    } else if crate::engine::aof::start_rewrite(ctx.keyspace, ctx.server).is_ok() {
        reply.simple(b"Background append only file rewriting started");
    } else {
        reply.error(
            b"ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        );
    }
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: the final snapshot
/// when save points exist or SAVE is given (not with NOSAVE), then the
/// host stops. A failed save keeps the server running unless FORCE.
/// There are no replicas to wait for, so NOW changes nothing yet.
fn shutdown(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut flags = ShutdownFlags::default();
    let (mut now, mut abort, mut any) = (false, false, false);
    for arg in args.iter().skip(1) {
        if parse::is(arg, "nosave") {
            flags.nosave = true;
        } else if parse::is(arg, "save") {
            flags.save = true;
        } else if parse::is(arg, "now") {
            now = true;
        } else if parse::is(arg, "force") {
            flags.force = true;
        } else if parse::is(arg, "abort") {
            abort = true;
            continue;
        } else {
            reply.error(errors::SYNTAX);
            return;
        }
        any = true;
    }
    if (abort && any) || (flags.nosave && flags.save) {
        reply.error(errors::SYNTAX);
        return;
    }
    if abort {
        reply.error(b"ERR No shutdown in progress.");
        return;
    }
    if !now && ctx.client.has(client_flag::DENY_BLOCKING) {
        reply.error(b"ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
        return;
    }
    if persistence::prepare_shutdown(ctx.keyspace, ctx.server, flags).is_err() {
        reply.error(b"ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    ctx.client.flags |= client_flag::CLOSE_ASAP;
    ctx.server.push_event(HostEvent::Shutdown);
}

/// `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]`: saves (unless NOSAVE),
/// empties the databases (unless NOFLUSH) and loads the dump back.
fn debug_reload(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let (mut flush, mut save, mut merge) = (true, true, false);
    for option in args.iter().skip(2) {
        if parse::is(option, "merge") {
            merge = true;
        } else if parse::is(option, "noflush") {
            flush = false;
        } else if parse::is(option, "nosave") {
            save = false;
        } else {
            reply.error(b"ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    if save && persistence::save(ctx.keyspace, ctx.server).is_err() {
        reply.error(b"ERR");
        return;
    }
    if flush {
        for index in 0..ctx.keyspace.db_count() {
            watch::touch_all_in_db(ctx.server, ctx.keyspace, ctx.client, index, None);
            ctx.keyspace.flush_db(index, false);
        }
    }
    ctx.keyspace.set_load_replaces(merge);
    let loaded = persistence::load(ctx.keyspace, ctx.server);
    ctx.keyspace.set_load_replaces(false);
    if loaded.is_err() {
        reply.error(b"ERR Error trying to load the RDB dump");
        return;
    }
    ctx.server.log(3, "DB reloaded by DEBUG RELOAD");
    reply.ok();
}

/// `DEBUG subcommand ...`: SLEEP, SET-ACTIVE-EXPIRE, OBJECT, HELP.
fn debug(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let sub = args.get(1);
    if parse::is(sub, "help") && args.len() == 2 {
        reply_help(
            reply,
            args.get(0),
            &[
                "OBJECT <key>",
                "    Shows low level information about the value stored at <key>.",
                "RELOAD [option ...]",
                "    Saves the dump, empties the databases and loads the dump back. Options:",
                "    * MERGE: keys of the dump replace existing ones instead of being an error.",
                "    * NOFLUSH: keeps the current keys.",
                "    * NOSAVE: loads the dump on disk without saving first.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Turns active expiry off (0) or on (1).",
                "SLEEP <seconds>",
                "    Stops the whole server for <seconds> (decimals allowed).",
            ],
        );
    } else if parse::is(sub, "sleep") && args.len() == 3 {
        let seconds = crate::util::number::parse_f64(args.get(2)).unwrap_or(0.0).max(0.0);
        ctx.server.push_event(HostEvent::Sleep {
            ms: (seconds * 1000.0) as u64,
        });
        reply.ok();
    } else if parse::is(sub, "reload") {
        debug_reload(ctx, args, reply);
    } else if parse::is(sub, "set-active-expire") && args.len() == 3 {
        ctx.server.active_expire = args.get(2) != b"0";
        reply.ok();
    } else if parse::is(sub, "object") && args.len() == 3 {
        let Some(entry) = ctx.keyspace.db_ref(ctx.client.db).peek(args.get(2)) else {
            reply.error(b"ERR no such key");
            return;
        };
        let line = alloc::format!(
            "Value at:0x0 refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
            super::object::refcount(&entry.value),
            entry.value.encoding_name(),
            entry.value.heap_size() + 16,
            entry.lru & crate::keyspace::access::LRU_CLOCK_MAX,
            ctx.keyspace.access().idle_ms(entry.lru) / 1000
        );
        reply.simple(line.as_bytes());
    } else {
        reply_subcommand_syntax_error(args, reply);
    }
}

/// `CONFIG GET parameter [parameter ...]`
fn config_get(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let patterns: Vec<&[u8]> = args.iter().skip(2).collect();
    let matches = Config::get_matches(&patterns);
    reply.map(matches.len());
    for (name, id) in matches {
        reply.bulk(name.as_bytes());
        reply.bulk(ctx.config().render(id).as_bytes());
    }
}

/// `CONFIG SET parameter value [parameter value ...]`: all or nothing.
fn config_set(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() % 2 == 1 {
        reply.error(errors::SYNTAX);
        return;
    }
    let mut changes: Vec<(Id, &[u8], &[u8])> = Vec::new();
    let mut failure: Option<(String, String)> = None;
    for pair in (2..args.len()).step_by(2) {
        let (name, value) = (args.get(pair), args.get(pair + 1));
        let Some(id) = Config::lookup(name) else {
            reply.error_parts(&[
                b"ERR Unknown option or number of arguments for CONFIG SET - '",
                name,
                b"'",
            ]);
            return;
        };
        if failure.is_some() {
            continue;
        }
        let directive = &DIRECTIVES[id as usize];
        let name_text = String::from_utf8_lossy(name).into_owned();
        if directive.flags & directive_flag::IMMUTABLE != 0 {
            failure = Some((name_text, String::from("can't set immutable config")));
        } else if directive.flags & directive_flag::PROTECTED != 0 && !protected_allowed(ctx) {
            failure = Some((name_text, String::from("can't set protected config")));
        } else if changes.iter().any(|(other, _, _)| *other == id) {
            failure = Some((name_text, String::from("duplicate parameter")));
        } else {
            changes.push((id, name, value));
        }
    }
    if let Some((name, reason)) = failure {
        reply_config_error(reply, &name, &reason);
        return;
    }
    let backup = ctx.server.config.clone();
    let mut changed = Vec::new();
    for (id, _, value) in &changes {
        let directive = &DIRECTIVES[*id as usize];
        let words = split_value(directive, value);
        let words: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        match ctx.server.config.set(*id, &words, Source::Runtime) {
            Ok(true) => changed.push(*id),
            Ok(false) => {}
            Err(error) => {
                ctx.server.config = backup;
                reply_config_error(reply, directive.name, &config_error_text(&error));
                return;
            }
        }
    }
    if !changed.is_empty() {
        let server = &mut *ctx.server;
        if let Err(reason) = server.host.apply_config(&mut server.config, &changed) {
            let first = DIRECTIVES[changed[0] as usize].name;
            server.log(
                3,
                &alloc::format!(
                    "Failed applying new configuration. Possibly related to new {} setting. Restoring previous settings.",
                    first
                ),
            );
            server.config = backup;
            let _ = server.host.apply_config(&mut server.config, &changed);
            reply_config_error(reply, first, &reason);
            return;
        }
        crate::engine::master::config_changed(server, &changed);
        if changed.contains(&Id::Appendonly) && crate::engine::aof::config_changed(ctx.keyspace, server).is_err() {
            server.config = backup;
            reply_config_error(reply, "appendonly", "Unable to turn on AOF. Check server logs.");
            return;
        }
    }
    reply.ok();
}

/// Whether protected directives may be set by this client
/// (`enable-protected-configs`).
fn protected_allowed(ctx: &Ctx<'_>) -> bool {
    match ctx.config().int(Id::EnableProtectedConfigs) {
        1 => true,
        2 => ctx.client.conn.is_local,
        _ => false,
    }
}

/// A CONFIG SET value as the directive's arguments: multi-argument
/// directives split on spaces, others take the value whole.
fn split_value(directive: &crate::config::Directive, value: &[u8]) -> Vec<Vec<u8>> {
    if directive.flags & directive_flag::MULTI_ARG == 0 {
        return alloc::vec![value.to_vec()];
    }
    let mut bytes = Vec::new();
    let mut ranges = Vec::new();
    if crate::resp::request::split_args(value, &mut bytes, &mut ranges).is_err() {
        return alloc::vec![value.to_vec()];
    }
    if ranges.is_empty() {
        return alloc::vec![Vec::new()];
    }
    ranges.iter().map(|r| bytes[r.clone()].to_vec()).collect()
}

fn config_error_text(error: &ConfigError) -> String {
    error.reason()
}

fn reply_config_error(reply: &mut Reply, name: &str, reason: &str) {
    reply.error_parts(&[
        b"ERR CONFIG SET failed (possibly related to argument '",
        name.as_bytes(),
        b"') - ",
        reason.as_bytes(),
    ]);
}

/// `CONFIG RESETSTAT`
fn config_resetstat(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    ctx.server.stats.reset();
    ctx.keyspace.reset_stats();
    ctx.server.host.reset_lazyfree_stats();
    reply.ok();
}

/// `CONFIG REWRITE`
fn config_rewrite(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    let server = &mut *ctx.server;
    if server.host.info().config_file.is_empty() {
        reply.error(b"ERR The server is running without a config file");
        return;
    }
    match server.host.rewrite_config(&server.config) {
        Ok(()) => {
            server.log(3, "CONFIG REWRITE executed with success.");
            reply.ok();
        }
        Err(reason) => {
            server.log(3, &alloc::format!("CONFIG REWRITE failed: {}", reason));
            reply.error_parts(&[b"ERR Rewriting config file: ", reason.as_bytes()]);
        }
    }
}

/// `CONFIG HELP`
fn config_help(_ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply_help(
        reply,
        args.get(0),
        &[
            "GET <pattern>",
            "    Returns the parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Sets the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Resets the statistics reported by the INFO command.",
            "REWRITE",
            "    Writes the running configuration back to the configuration file.",
        ],
    );
}

/// The `COMMAND INFO` entry of a command (`addReplyCommandInfo`).
fn reply_command_info(reply: &mut Reply, entry: &'static CommandEntry, table: &super::table::CommandTable) {
    let command = entry.command;
    let ((first, last, step), movable) = command.legacy_range();
    reply.array(10);
    reply.bulk(entry.fullname.as_bytes());
    reply.integer(command.arity as i64);
    let flags = command.flags | if movable { flag::MOVABLE_KEYS } else { 0 };
    reply_flag_set(reply, flags, flag::NAMES, false);
    reply.integer(first as i64);
    reply.integer(last as i64);
    reply.integer(step as i64);
    reply_flag_set(reply, command.acl_categories(), acl::NAMES, true);
    reply.set(command.tips.len());
    for tip in command.tips {
        reply.bulk(tip.as_bytes());
    }
    reply_key_specs(reply, command);
    if command.subcommands.is_empty() {
        reply.set(0);
    } else {
        reply.array(command.subcommands.len());
        for sub in command.subcommands {
            if let Some(sub_entry) = table.get_subcommand(entry, sub.name.as_bytes()) {
                reply_command_info(reply, sub_entry, table);
            }
        }
    }
}

/// A set of status strings for the bits of `value` (flags, ACL categories).
fn reply_flag_set(reply: &mut Reply, value: u64, names: &[(u64, &str)], at_prefix: bool) {
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| value & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    reply.set(set.len());
    for name in set {
        if at_prefix {
            let mut text = alloc::vec![b'@'];
            text.extend_from_slice(name.as_bytes());
            reply.simple(&text);
        } else {
            reply.simple(name.as_bytes());
        }
    }
}

fn reply_key_specs(reply: &mut Reply, command: &Command) {
    reply.set(command.keys.len());
    for spec in command.keys {
        reply.map(3 + spec.notes.is_some() as usize);
        if let Some(notes) = spec.notes {
            reply.bulk(b"notes");
            reply.bulk(notes.as_bytes());
        }
        reply.bulk(b"flags");
        reply_flag_set(reply, spec.flags, key_flag::NAMES, false);
        reply.bulk(b"begin_search");
        reply.map(2);
        reply.bulk(b"type");
        match spec.begin {
            BeginSearch::Index(index) => {
                reply.bulk(b"index");
                reply.bulk(b"spec");
                reply.map(1);
                reply.bulk(b"index");
                reply.integer(index as i64);
            }
            BeginSearch::Keyword(keyword, start) => {
                reply.bulk(b"keyword");
                reply.bulk(b"spec");
                reply.map(2);
                reply.bulk(b"keyword");
                reply.bulk(keyword.as_bytes());
                reply.bulk(b"startfrom");
                reply.integer(start as i64);
            }
            BeginSearch::Unknown => {
                reply.bulk(b"unknown");
                reply.bulk(b"spec");
                reply.map(0);
            }
        }
        reply.bulk(b"find_keys");
        reply.map(2);
        reply.bulk(b"type");
        match spec.find {
            FindKeys::Range(last, step, limit) => {
                reply.bulk(b"range");
                reply.bulk(b"spec");
                reply.map(3);
                reply.bulk(b"lastkey");
                reply.integer(last as i64);
                reply.bulk(b"keystep");
                reply.integer(step as i64);
                reply.bulk(b"limit");
                reply.integer(limit as i64);
            }
            FindKeys::Keynum(index, first, step) => {
                reply.bulk(b"keynum");
                reply.bulk(b"spec");
                reply.map(3);
                reply.bulk(b"keynumidx");
                reply.integer(index as i64);
                reply.bulk(b"firstkey");
                reply.integer(first as i64);
                reply.bulk(b"keystep");
                reply.integer(step as i64);
            }
            FindKeys::Unknown => {
                reply.bulk(b"unknown");
                reply.bulk(b"spec");
                reply.map(0);
            }
        }
    }
}

/// The `COMMAND DOCS` entry of a command (`addReplyCommandDocs`).
fn reply_command_docs(reply: &mut Reply, entry: &'static CommandEntry, table: &super::table::CommandTable) {
    let command = entry.command;
    let has_subcommands = !command.subcommands.is_empty();
    let deprecated = command.deprecated.is_some();
    reply.map(5 + 2 * deprecated as usize + has_subcommands as usize);
    reply.bulk(b"summary");
    reply.bulk(command.summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(command.since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(command.group.name().as_bytes());
    reply.bulk(b"complexity");
    reply.bulk(command.complexity.as_bytes());
    reply.bulk(b"doc_flags");
    if deprecated {
        reply.set(1);
        reply.simple(b"deprecated");
    } else {
        reply.set(0);
    }
    if let Some((since, replacement)) = command.deprecated {
        reply.bulk(b"deprecated_since");
        reply.bulk(since.as_bytes());
        reply.bulk(b"replaced_by");
        reply.bulk(replacement.as_bytes());
    }
    if has_subcommands {
        reply.bulk(b"subcommands");
        reply.map(command.subcommands.len());
        for sub in command.subcommands {
            if let Some(sub_entry) = table.get_subcommand(entry, sub.name.as_bytes()) {
                reply.bulk(sub_entry.fullname.as_bytes());
                reply_command_docs(reply, sub_entry, table);
            }
        }
    }
}

/// `COMMAND`: every command's information.
fn command(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 1 {
        reply_subcommand_syntax_error(args, reply);
        return;
    }
    let table = &ctx.server.commands;
    reply.array(table.len());
    for entry in table.top_level() {
        reply_command_info(reply, entry, table);
    }
}

/// `COMMAND COUNT`
fn command_count(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.integer(ctx.server.commands.len() as i64);
}

/// `COMMAND INFO [command-name ...]`
fn command_info(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let table = &ctx.server.commands;
    if args.len() == 2 {
        reply.array(table.len());
        for entry in table.top_level() {
            reply_command_info(reply, entry, table);
        }
        return;
    }
    reply.array(args.len() - 2);
    for name in args.iter().skip(2) {
        match table.lookup_fullname(name) {
            Some(entry) => reply_command_info(reply, entry, table),
            None => reply.null(),
        }
    }
}

/// `COMMAND DOCS [command-name ...]`
fn command_docs(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let table = &ctx.server.commands;
    if args.len() == 2 {
        reply.map(table.len());
        for entry in table.top_level() {
            reply.bulk(entry.fullname.as_bytes());
            reply_command_docs(reply, entry, table);
        }
        return;
    }
    let found: Vec<&'static CommandEntry> = args.iter().skip(2).filter_map(|n| table.lookup_fullname(n)).collect();
    reply.map(found.len());
    for entry in found {
        reply.bulk(entry.fullname.as_bytes());
        reply_command_docs(reply, entry, table);
    }
}

/// `COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]`
fn command_list(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let table = &ctx.server.commands;
    let mut names: Vec<&str> = Vec::new();
    let filter = match args.len() {
        2 => None,
        5 if parse::is(args.get(2), "filterby") => Some((args.get(3), args.get(4))),
        _ => {
            reply.error(errors::SYNTAX);
            return;
        }
    };
    let category = match filter {
        Some((kind, value)) if parse::is(kind, "aclcat") => {
            match acl::NAMES
                .iter()
                .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(value))
            {
                Some((bit, _)) => Some(*bit),
                None => {
                    reply.empty_array();
                    return;
                }
            }
        }
        _ => None,
    };
    for entry in table.entries() {
        let top_visible = match entry.parent {
            None => table
                .get(entry.command.name.as_bytes())
                .is_some_and(|e| core::ptr::eq(e, entry)),
            Some(parent) => table.get(parent.name.as_bytes()).is_some(),
        };
        if !top_visible {
            continue;
        }
        let keep = match filter {
            None => true,
            Some((kind, _)) if parse::is(kind, "module") => false,
            Some((kind, _)) if parse::is(kind, "aclcat") => {
                category.is_some_and(|bit| entry.command.acl_categories() & bit != 0)
            }
            Some((kind, pattern)) if parse::is(kind, "pattern") => {
                crate::util::glob::glob_match(pattern, entry.fullname.as_bytes(), true)
            }
            Some(_) => {
                reply.error(errors::SYNTAX);
                return;
            }
        };
        if keep {
            names.push(&entry.fullname);
        }
    }
    reply.array(names.len());
    for name in names {
        reply.bulk(name.as_bytes());
    }
}

/// The positions of `args`' keys and their flags (`COMMAND GETKEYS`):
/// from the key specs, else from the command's own finder. `None` when
/// neither can tell. The browser replica names the keys of the master's
/// commands with it.
pub fn key_positions(command: &Command, args: &Args<'_>) -> Option<Vec<(usize, u64)>> {
    keys_from_specs(command, args).or_else(|| command.getkeys.map(|find| find(*args)))
}

/// The keys of `args` and their flags according to `command`'s key specs
/// (`getKeysUsingKeySpecs`); `None` when the arguments do not fit them.
fn keys_from_specs(command: &Command, args: &Args<'_>) -> Option<Vec<(usize, u64)>> {
    let argc = args.len() as i64;
    let mut keys = Vec::new();
    for spec in command.keys {
        if spec.flags & key_flag::NOT_KEY != 0 {
            continue;
        }
        let mut first = match spec.begin {
            BeginSearch::Index(index) => index as i64,
            BeginSearch::Keyword(keyword, start) => {
                let start = start as i64;
                let (from, to) = if start > 0 {
                    (start, argc - 1)
                } else {
                    (argc + start, 1)
                };
                let mut found = 0;
                let mut i = from;
                while i != to {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if args.get(i as usize).eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = i + 1;
                        break;
                    }
                    i = if from <= to { i + 1 } else { i - 1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            BeginSearch::Unknown => return None,
        };
        let (last, step) = match spec.find {
            FindKeys::Range(last, step, limit) => {
                let last = if last >= 0 {
                    first + last as i64
                } else if limit == 0 {
                    argc + last as i64
                } else {
                    first + ((argc - first) / limit as i64 + last as i64)
                };
                (last, step as i64)
            }
            FindKeys::Keynum(index, first_key, step) => {
                if index as i64 >= argc {
                    return None;
                }
                let count = args
                    .try_get((first + index as i64) as usize)
                    .and_then(crate::util::number::parse_i64)
                    .filter(|n| *n >= 0)?;
                first += first_key as i64;
                (first + count - 1, step as i64)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last && step > 0 {
            keys.push((i as usize, spec.flags));
            i += step;
        }
        if spec.flags & key_flag::INCOMPLETE != 0 {
            return None;
        }
    }
    Some(keys)
}

fn getkeys_generic(ctx: &mut Ctx<'_>, args: Args<'_>, with_flags: bool, reply: &mut Reply) {
    let target = args.tail(2);
    let Ok(entry) = ctx.server.commands.lookup(&target) else {
        reply.error(b"ERR Invalid command specified");
        return;
    };
    if entry.command.keys.iter().all(|k| k.flags & key_flag::NOT_KEY != 0) {
        reply.error(b"ERR The command has no key arguments");
        return;
    }
    if !entry.command.arity_ok(target.len()) {
        reply.error(b"ERR Invalid number of arguments specified for command");
        return;
    }
    let keys = match key_positions(entry.command, &target) {
        Some(keys) if !keys.is_empty() => keys,
        _ => {
            reply.error(b"ERR Invalid arguments specified for command");
            return;
        }
    };
    reply.array(keys.len());
    for (index, flags) in keys {
        if with_flags {
            reply.array(2);
            reply.bulk(target.get(index));
            reply_flag_set(reply, flags, key_flag::NAMES, false);
        } else {
            reply.bulk(target.get(index));
        }
    }
}

/// `COMMAND GETKEYS command [arg ...]`
fn command_getkeys(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    getkeys_generic(ctx, args, false, reply);
}

/// `COMMAND GETKEYSANDFLAGS command [arg ...]`
fn command_getkeysandflags(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    getkeys_generic(ctx, args, true, reply);
}

/// `COMMAND HELP`
fn command_help(_ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply_help(
        reply,
        args.get(0),
        &[
            "(no subcommand)",
            "    Returns the details of every command.",
            "COUNT",
            "    Returns the number of commands.",
            "DOCS [<command-name> ...]",
            "    Returns the documentation of the given commands, or of all.",
            "GETKEYS <full-command>",
            "    Returns the keys of a full command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    Returns the keys of a full command line and their access flags.",
            "INFO [<command-name> ...]",
            "    Returns the details of the given commands, or of all.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Returns the names of the commands, optionally filtered.",
        ],
    );
}
