//! Set commands (placeholder: filled in by the set family work).

use super::spec::Command;

/// The set commands.
pub static COMMANDS: &[Command] = &[];
