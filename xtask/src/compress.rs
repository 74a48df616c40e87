//! The built web app, precompressed: next to every text or WASM asset in
//! `frontend/dist`, a brotli (`.br`) and a gzip (`.gz`, by Zopfli) copy at
//! the best level, which the server sends by the browser's `Accept-Encoding`
//! without compressing per request.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// What is worth compressing (images are compressed already).
const COMPRESSIBLE: [&str; 7] = ["html", "js", "wasm", "css", "webmanifest", "svg", "json"];

/// Sizes, in bytes, of what was compressed: (identity, brotli, gzip).
#[derive(Debug, Default, PartialEq)]
pub struct Sizes {
    pub identity: u64,
    pub brotli: u64,
    pub gzip: u64,
}

pub fn precompress(dist: &Path) -> Result<Sizes> {
    let mut sizes = Sizes::default();
    for entry in std::fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))? {
        let path = entry?.path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !wanted || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let brotli = brotli_of(&bytes)?;
        let gzip = gzip_of(&bytes)?;
        std::fs::write(with_suffix(&path, "br"), &brotli)?;
        std::fs::write(with_suffix(&path, "gz"), &gzip)?;
        sizes.identity += bytes.len() as u64;
        sizes.brotli += brotli.len() as u64;
        sizes.gzip += gzip.len() as u64;
    }
    Ok(sizes)
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

fn brotli_of(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        // Quality 11 and a 4 MiB window: the most a browser decodes.
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
    }
    Ok(out)
}

/// Zopfli: a gzip any browser decodes, about 5% smaller than zlib's best
/// (the app's WASM: 309 → 294 KB) for a second or two of build time —
/// gzip is what goes over plain HTTP, where browsers do not offer brotli.
fn gzip_of(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    // Five rounds: fifteen (the default) gained 14 bytes on the WASM.
    let options = zopfli::Options {
        iteration_count: std::num::NonZeroU64::MIN.saturating_add(4),
        ..zopfli::Options::default()
    };
    zopfli::compress(options, zopfli::Format::Gzip, bytes, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn every_text_asset_gets_a_brotli_and_a_gzip_copy_that_decode_to_it() {
        let dir = std::env::temp_dir().join(format!("tandem-precompress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = "console.log('tandem');\n".repeat(200);
        std::fs::write(dir.join("app-0123456789abcdef.js"), &script).unwrap();
        std::fs::write(dir.join("icon.png"), [0x89, b'P', b'N', b'G']).unwrap();
        let sizes = precompress(&dir).unwrap();

        assert_eq!(sizes.identity, script.len() as u64);
        assert!(
            sizes.brotli < sizes.identity && sizes.gzip < sizes.identity,
            "{sizes:?}"
        );
        let mut decoded = String::new();
        brotli::Decompressor::new(
            std::fs::File::open(dir.join("app-0123456789abcdef.js.br")).unwrap(),
            4096,
        )
        .read_to_string(&mut decoded)
        .unwrap();
        assert_eq!(decoded, script);
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(dir.join("app-0123456789abcdef.js.gz")).unwrap(),
        )
        .read_to_string(&mut decoded)
        .unwrap();
        assert_eq!(decoded, script);
        assert!(!dir.join("icon.png.br").exists(), "images are left alone");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
