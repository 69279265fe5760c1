//! The command table: every family's commands, looked up by name
//! (case-insensitive) in one hash probe, with Redis's lookup rules for
//! subcommands (`CONFIG GET`) and `rename-command`.

use super::spec::Command;
use crate::keyspace::dict::Dict;
use crate::keyspace::CompactBytes;
use crate::resp::request::Args;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// One entry: a command or subcommand with its full name (`config|get`)
/// and its index for per-command statistics.
#[derive(Debug)]
pub struct CommandEntry {
    /// The command.
    pub command: &'static Command,
    /// The container, for subcommands.
    pub parent: Option<&'static Command>,
    /// `name` or `parent|name`.
    pub fullname: String,
    /// Position in [`CommandTable::entries`].
    pub index: usize,
}

impl core::fmt::Debug for Command {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every command family's table, concatenated. Without the `server`
/// feature (the browser replica) the families that only a server process
/// answers are left out, and with them their code: administration (INFO,
/// CONFIG, DEBUG, SAVE, COMMAND, CLIENT, OBJECT), serving replicas (SYNC,
/// PSYNC, REPLCONF, WAIT) and REPLICAOF/ROLE, and so are the read-only
/// commands its API does not make (see [`Command::new`]). A tab only
/// applies its master's stream and reads; every command it runs is the
/// server's own.
fn families() -> impl Iterator<Item = &'static Command> {
    [
        super::connection::COMMANDS,
        super::keys::COMMANDS,
        super::dump::COMMANDS,
        #[cfg(feature = "server")]
        super::object::COMMANDS,
        super::scan::COMMANDS,
        super::database::COMMANDS,
        super::sort::COMMANDS,
        super::string::COMMANDS,
        super::list::COMMANDS,
        super::hash::COMMANDS,
        super::set::COMMANDS,
        super::zset::COMMANDS,
        super::multi::COMMANDS,
        super::pubsub::COMMANDS,
        #[cfg(feature = "server")]
        super::client::COMMANDS,
        #[cfg(feature = "server")]
        super::server::COMMANDS,
        #[cfg(feature = "server")]
        super::replica::COMMANDS,
        #[cfg(feature = "server")]
        super::master::COMMANDS,
    ]
    .into_iter()
    .flatten()
    .filter(|command| command.is_built())
}

/// Why a lookup failed.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupError {
    /// No such command.
    Unknown,
    /// A container command with an unknown subcommand.
    UnknownSubcommand,
}

/// The command table.
pub struct CommandTable {
    entries: &'static [CommandEntry],
    /// Lower-case top-level name → entry index (after renames).
    by_name: Dict<usize>,
    /// Subcommand entries: `parent index` → (lower-case name → entry).
    subcommands: Dict<usize>,
}

impl Default for CommandTable {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandTable {
    /// The table of every command. Entries live for the whole program
    /// (they are built once and leaked, like Redis's static table).
    pub fn new() -> Self {
        let mut entries = Vec::new();
        for command in families() {
            entries.push(CommandEntry {
                command,
                parent: None,
                fullname: String::from(command.name),
                index: entries.len(),
            });
            for sub in command.subcommands.iter().filter(|sub| sub.is_built()) {
                let mut fullname = String::from(command.name);
                fullname.push('|');
                fullname.push_str(sub.name);
                entries.push(CommandEntry {
                    command: sub,
                    parent: Some(command),
                    fullname,
                    index: entries.len(),
                });
            }
        }
        let entries: &'static [CommandEntry] = Box::leak(entries.into_boxed_slice());
        let mut by_name = Dict::with_capacity(entries.len());
        let mut subcommands = Dict::new();
        for entry in entries {
            match entry.parent {
                None => {
                    by_name.insert(CompactBytes::from(entry.command.name), entry.index);
                }
                Some(_) => {
                    subcommands.insert(CompactBytes::from(entry.fullname.as_str()), entry.index);
                }
            }
        }
        CommandTable {
            entries,
            by_name,
            subcommands,
        }
    }

    /// Every entry (commands and subcommands).
    pub fn entries(&self) -> &'static [CommandEntry] {
        self.entries
    }

    /// Top-level commands as currently named (renames applied).
    pub fn top_level(&self) -> impl Iterator<Item = &'static CommandEntry> + '_ {
        let entries = self.entries;
        self.by_name.iter().map(move |(_, &index)| &entries[index])
    }

    /// Number of top-level commands (COMMAND COUNT).
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The top-level command called `name` (any case).
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<&'static CommandEntry> {
        let mut buffer = [0u8; 32];
        let lower = lowercase(name, &mut buffer)?;
        self.by_name.get(lower).map(|&i| &self.entries[i])
    }

    /// The subcommand `sub` of `parent`.
    pub fn get_subcommand(&self, parent: &'static CommandEntry, sub: &[u8]) -> Option<&'static CommandEntry> {
        let mut name = Vec::with_capacity(parent.fullname.len() + 1 + sub.len());
        name.extend_from_slice(parent.command.name.as_bytes());
        name.push(b'|');
        name.extend(sub.iter().map(u8::to_ascii_lowercase));
        self.subcommands.get(&name).map(|&i| &self.entries[i])
    }

    /// The command `args` invoke (`lookupCommand`): a container with a
    /// second argument resolves to its subcommand.
    #[inline]
    pub fn lookup(&self, args: &Args<'_>) -> Result<&'static CommandEntry, LookupError> {
        let base = self.get(args.get(0)).ok_or(LookupError::Unknown)?;
        if args.len() == 1 || base.command.subcommands.is_empty() {
            return Ok(base);
        }
        self.get_subcommand(base, args.get(1))
            .ok_or(LookupError::UnknownSubcommand)
    }

    /// A name like `config|get` or `get` (COMMAND INFO, DOCS).
    pub fn lookup_fullname(&self, name: &[u8]) -> Option<&'static CommandEntry> {
        match name.iter().position(|&c| c == b'|') {
            None => self.get(name),
            Some(bar) => {
                let parent = self.get(&name[..bar])?;
                self.get_subcommand(parent, &name[bar + 1..])
            }
        }
    }

    /// `rename-command old new` (empty `new` removes it).
    pub fn rename(&mut self, old: &[u8], new: &[u8]) -> Result<(), &'static str> {
        let lower_old: Vec<u8> = old.to_ascii_lowercase();
        let Some((_, index)) = self.by_name.remove(&lower_old) else {
            return Err("No such command in rename-command");
        };
        if !new.is_empty() {
            let lower_new = new.to_ascii_lowercase();
            if self.by_name.contains_key(&lower_new) {
                return Err("Target command name already exists");
            }
            self.by_name.insert(CompactBytes::new(&lower_new), index);
        }
        Ok(())
    }
}

/// ASCII-lowercases a command name into `buffer`; `None` if too long to
/// be any command.
#[inline]
fn lowercase<'a>(name: &[u8], buffer: &'a mut [u8; 32]) -> Option<&'a [u8]> {
    if name.len() > buffer.len() {
        return None;
    }
    for (out, c) in buffer.iter_mut().zip(name) {
        *out = c.to_ascii_lowercase();
    }
    Some(&buffer[..name.len()])
}
