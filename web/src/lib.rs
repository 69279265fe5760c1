//! vitrine-web: the browser side of vitrine. For now it proves that the
//! engine builds for `wasm32-unknown-unknown`; the replica API comes with
//! the browser-replica issue.

/// The Redis version the embedded engine speaks.
pub fn redis_version() -> &'static str {
    vitrine_core::engine::REDIS_VERSION
}
