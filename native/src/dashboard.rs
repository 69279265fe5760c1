//! The dashboard's files, embedded in the binary so that one executable
//! serves them: `www/` and the browser replica (wasm-bindgen's glue, its
//! TypeScript types and the wasm), which `build.rs` builds and lists. The
//! WebSocket listener answers `GET <path>` with [`file`]. Never here:
//! HTTP, which is the listener's.

include!(concat!(env!("OUT_DIR"), "/dashboard_files.rs"));

/// An embedded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct File {
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its `ETag`: a quoted hash of the bytes, so that a browser's
    /// revalidation gets `304 Not Modified` while the binary serves the
    /// same file. Keeping its cached copy also keeps what the browser
    /// compiled of the wasm (V8's code cache hangs on the cache entry):
    /// a page loaded again starts the replica in optimised code.
    pub etag: &'static str,
}

/// The embedded file served at `path` (without its query string), or
/// `None` (404). `/` is the page itself.
pub fn file(path: &str) -> Option<File> {
    let path = if path == "/" { "/index.html" } else { path };
    FILES
        .iter()
        .find(|(name, ..)| *name == path)
        .map(|&(_, bytes, content_type, etag)| File {
            bytes,
            content_type,
            etag,
        })
}

#[cfg(test)]
mod tests {
    use super::file;

    #[test]
    fn the_page_its_module_and_the_wasm_are_served() {
        let page = file("/").expect("the page");
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert!(std::str::from_utf8(page.bytes).expect("utf-8").contains("vitrine"));
        assert_eq!(file("/index.html"), Some(page));
        let glue = file("/vitrine_web.js").expect("the glue");
        assert_eq!(glue.content_type, "text/javascript; charset=utf-8");
        assert!(std::str::from_utf8(glue.bytes)
            .expect("utf-8")
            .contains("export class Replica"));
        let wasm = file("/vitrine_web_bg.wasm").expect("the wasm");
        assert_eq!(wasm.content_type, "application/wasm");
        assert_eq!(wasm.bytes.get(..4), Some(&b"\0asm"[..]));
        // Each file its own tag, quoted as HTTP wants.
        for tag in [page.etag, glue.etag, wasm.etag] {
            assert!(tag.len() == 18 && tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        }
        assert!(page.etag != glue.etag && glue.etag != wasm.etag);
        assert!(file("/app.js").is_some() && file("/style.css").is_some());
        assert_eq!(file("/README.md"), None);
        assert_eq!(file("/../Cargo.toml"), None);
    }

    /// The served TypeScript types, checked by `tsc --strict` with a
    /// program that calls every method (`web/types/check.ts`).
    #[test]
    fn the_typescript_types_describe_the_api() {
        if std::process::Command::new("tsc").arg("--version").output().is_err() {
            assert!(
                std::env::var_os("VITRINE_REQUIRE_TOOLS").is_none(),
                "tsc: not found, and VITRINE_REQUIRE_TOOLS says every tool is installed"
            );
            eprintln!("skipped: tsc is not installed (scripts/test installs node-typescript)");
            return;
        }
        let dir = std::env::temp_dir().join(format!("vitrine-types-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let types = file("/vitrine_web.d.ts").expect("the types");
        assert_eq!(types.content_type, "application/typescript; charset=utf-8");
        std::fs::write(dir.join("vitrine_web.d.ts"), types.bytes).expect("write the types");
        std::fs::write(dir.join("check.ts"), include_str!("../../web/types/check.ts")).expect("write the program");
        let checked = std::process::Command::new("tsc")
            .current_dir(&dir)
            .args(["--noEmit", "--strict", "--target", "es2020", "--module", "es2020"])
            .args(["--moduleResolution", "node", "--lib", "es2020,dom", "check.ts"])
            .output()
            .expect("tsc runs");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            checked.status.success(),
            "tsc: {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
}
