//! List commands (placeholder: filled in by the list family work).

use super::spec::Command;

/// The list commands.
pub static COMMANDS: &[Command] = &[];
