//! Small pure helpers shared by the command families.

pub mod glob;
pub mod number;
pub mod pqsort;
pub mod repr;
pub mod rng;
