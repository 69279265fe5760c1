//! Small pure helpers shared by the command families.

pub mod glob;
pub mod number;
pub mod rng;
