//! Zset commands (placeholder: filled in by the zset family work).

use super::spec::Command;

/// The zset commands.
pub static COMMANDS: &[Command] = &[];
