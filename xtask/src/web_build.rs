//! The release web app, built with the pieces xtask installs anyway (cargo,
//! the wasm-bindgen CLI, wasm-opt), so a first run need not compile Trunk
//! (8 minutes on two cores). It reads the same `frontend/index.html` that
//! Trunk reads — its `data-trunk` links say what to build and copy — and
//! writes what `trunk build --release` writes: hashed script, WASM and CSS
//! with `integrity`, and one inline script that starts the app. Trunk.toml
//! stays for `trunk serve` while working on the app.

use crate::{check, plan::Plan};
use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha384};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One `<link data-trunk …>` of the page: where it sits and its attributes.
#[derive(Debug, PartialEq)]
struct TrunkLink {
    start: usize,
    end: usize,
    attrs: BTreeMap<String, String>,
}

impl TrunkLink {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
}

/// The `data-trunk` links of `html`, in order.
fn trunk_links(html: &str) -> Result<Vec<TrunkLink>> {
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(found) = html[from..].find("<link data-trunk") {
        let start = from + found;
        let Some(close) = html[start..].find('>') else {
            bail!("index.html: a data-trunk link is not closed");
        };
        let end = start + close + 1;
        let inner = html[start + "<link".len()..end - 1].trim_end_matches('/');
        links.push(TrunkLink {
            start,
            end,
            attrs: attributes(inner)?,
        });
        from = end;
    }
    Ok(links)
}

/// `name="value"` pairs and bare names (as empty values).
fn attributes(mut rest: &str) -> Result<BTreeMap<String, String>> {
    let mut attrs = BTreeMap::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(attrs);
        }
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = &rest[name_end..];
        if let Some(after) = rest.strip_prefix("=\"") {
            let Some(close) = after.find('"') else {
                bail!("index.html: the value of {name} is not closed");
            };
            attrs.insert(name, after[..close].to_owned());
            rest = &after[close + 1..];
        } else {
            attrs.insert(name, String::new());
        }
    }
}

/// A file as it lands in `dist`: its hashed name and its SRI digest.
struct Hashed {
    name: String,
    integrity: String,
}

fn hashed(stem: &str, extension: &str, bytes: &[u8]) -> Hashed {
    let digest = Sha384::digest(bytes);
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Hashed {
        name: format!("{stem}-{short}{extension}"),
        integrity: format!("sha384-{}", STANDARD.encode(digest)),
    }
}

pub const COMPILE: &str = "compiling the web app to WASM";
pub const SPLIT_FEATURE: &str = "split";
pub const BIND_AND_OPTIMISE: &str = "binding and optimising the WASM";

/// What the `rel="rust"` link asks for.
struct RustApp {
    manifest: PathBuf,
    bin: String,
    profile: String,
    opt_level: Option<String>,
    opt_params: Vec<String>,
}

impl RustApp {
    fn from(link: &TrunkLink, frontend: &Path) -> Result<RustApp> {
        let manifest = frontend.join(link.attr("href").unwrap_or("Cargo.toml"));
        let Some(bin) = link.attr("data-bin") else {
            bail!("index.html: the rust link needs data-bin");
        };
        Ok(RustApp {
            manifest,
            bin: bin.to_owned(),
            profile: link.attr("data-cargo-profile").unwrap_or("release").into(),
            opt_level: link
                .attr("data-wasm-opt")
                .filter(|level| *level != "0")
                .map(str::to_owned),
            opt_params: link
                .attr("data-wasm-opt-params")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// The tools the build runs.
pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub wasm_opt: PathBuf,
}

/// Builds `frontend/index.html`'s app into `frontend/dist`.
pub fn build(root: &Path, tools: &Tools, plan: &mut Plan) -> Result<()> {
    let frontend = root.join("frontend");
    let html = std::fs::read_to_string(frontend.join("index.html"))
        .context("reading frontend/index.html")?;
    let links = trunk_links(&html)?;
    let stage = root.join("target/web-build");
    if stage.exists() {
        std::fs::remove_dir_all(&stage).context("clearing target/web-build")?;
    }
    let dist = stage.join("dist");
    std::fs::create_dir_all(&dist).context("creating target/web-build")?;

    let mut page = String::with_capacity(html.len() + 1024);
    let mut preloads = String::new();
    let mut copied_to = 0;
    for link in &links {
        page.push_str(&html[copied_to..link.start]);
        copied_to = link.end;
        let href = link.attr("href").unwrap_or_default();
        match link.attr("rel").unwrap_or_default() {
            "copy-file" => {
                let from = frontend.join(href);
                let name = from.file_name().context("copy-file names a file")?;
                std::fs::copy(&from, dist.join(name))
                    .with_context(|| format!("copying {}", from.display()))?;
            }
            "copy-dir" => copy_dir(&frontend.join(href), &dist)?,
            "css" => {
                let from = frontend.join(href);
                let bytes =
                    std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
                let stem = from.file_stem().and_then(|s| s.to_str()).unwrap_or("style");
                let css = hashed(stem, ".css", &bytes);
                std::fs::write(dist.join(&css.name), &bytes)?;
                page.push_str(&format!(
                    "<link rel=\"stylesheet\" href=\"/{}\" integrity=\"{}\"/>",
                    css.name, css.integrity
                ));
            }
            "rust" => {
                let app = RustApp::from(link, &frontend)?;
                let (script, links) = rust_app(root, &app, tools, &stage, &dist, plan)?;
                page.push_str(&script);
                preloads.push_str(&links);
            }
            other => bail!(
                "index.html: xtask's web build does not know data-trunk rel=\"{other}\"; \
                 teach xtask/src/web_build.rs or build with trunk"
            ),
        }
    }
    page.push_str(&html[copied_to..]);
    let page = page.replacen("</head>", &format!("{preloads}</head>"), 1);
    std::fs::write(dist.join("index.html"), page)?;

    let out = frontend.join("dist");
    if out.exists() {
        std::fs::remove_dir_all(&out).context("clearing frontend/dist")?;
    }
    std::fs::rename(&dist, &out).context("moving the build into frontend/dist")?;
    Ok(())
}

/// The features wasm-opt may use in every module: the main module says
/// its own, a split piece may not.
const WASM_FEATURES: [&str; 2] = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int"];

/// Compiles, splits, binds and optimises the app; copies its script, WASM,
/// split pieces and their loader into `dist`. Answers the inline start-up
/// script and what goes in the page's head (preloads, and the list of
/// pieces the service worker keeps).
fn rust_app(
    root: &Path,
    app: &RustApp,
    tools: &Tools,
    stage: &Path,
    dist: &Path,
    plan: &mut Plan,
) -> Result<(String, String)> {
    plan.begin(COMPILE);
    check(
        crate::cargo().current_dir(root).args([
            "build",
            "--manifest-path",
            &app.manifest.to_string_lossy(),
            "--bin",
            &app.bin,
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            &app.profile,
            // Its `#[lazy]` pages become split points (Trunk builds the
            // app without this and gets one WASM).
            "--features",
            SPLIT_FEATURE,
        ]),
        "cargo build (web app)",
    )?;
    plan.end();
    let wasm = root
        .join("target/wasm32-unknown-unknown")
        .join(&app.profile)
        .join(format!("{}.wasm", app.bin));
    let raw = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;

    plan.begin(BIND_AND_OPTIMISE);
    // The names are fixed before the pieces exist (the main module and the
    // loader name each other), so they hash what decides every output:
    // the compiled WASM and how it is optimised.
    let mut decides = raw.clone();
    decides.extend_from_slice(format!("{:?} {:?}", app.opt_level, app.opt_params).as_bytes());
    let stem = hashed(&app.bin, "", &decides).name;
    let loader = format!("__wasm_split{}.js", &stem[app.bin.len()..]);
    let split = stage.join("split");
    let main_wasm = split.join("main.wasm");
    let main_js = format!("./{stem}.js");
    let link_name = format!("./{loader}");
    let mut options = wasm_split_cli_support::Options::new(&raw);
    options.output_dir = &split;
    options.main_out_path = &main_wasm;
    options.link_name = &link_name;
    options.main_module = &main_js;
    let pieces = wasm_split_cli_support::transform(options)
        .map_err(|e| anyhow::anyhow!("splitting the web app's WASM: {e:?}"))?
        .split_modules;

    let bound = stage.join("bindgen");
    check(
        Command::new(&tools.wasm_bindgen)
            .arg("--target=web")
            .arg(format!("--out-dir={}", bound.display()))
            .arg(format!("--out-name={stem}"))
            .arg("--no-typescript")
            .arg("--keep-lld-exports")
            .arg(&main_wasm),
        "wasm-bindgen",
    )?;
    let main_bound = bound.join(format!("{stem}_bg.wasm"));
    let wasm_bytes = optimise(app, tools, &main_bound, &stage.join("optimised.wasm"))?;
    let mut loader_js =
        std::fs::read_to_string(split.join(&loader)).context("reading the split pieces' loader")?;
    let mut piece_names = Vec::new();
    for (n, piece) in pieces.iter().enumerate() {
        let bytes = optimise(app, tools, piece, &stage.join(format!("piece-{n}.wasm")))?;
        let file = piece
            .file_name()
            .and_then(|f| f.to_str())
            .context("a split piece without a name")?;
        let piece_stem = file.trim_end_matches(".wasm");
        let name = hashed(piece_stem, ".wasm", &bytes).name;
        let quoted = format!("\"./{file}\"");
        if !loader_js.contains(&quoted) {
            bail!("the split pieces' loader does not name {file}");
        }
        loader_js = loader_js.replace(&quoted, &format!("\"./{name}\""));
        std::fs::write(dist.join(&name), &bytes)?;
        piece_names.push(name);
    }
    plan.end();

    let js_bytes = std::fs::read(bound.join(format!("{stem}.js")))?;
    let js = Hashed {
        name: format!("{stem}.js"),
        integrity: hashed("", "", &js_bytes).integrity,
    };
    let wasm = Hashed {
        name: format!("{stem}_bg.wasm"),
        integrity: hashed("", "", &wasm_bytes).integrity,
    };
    std::fs::write(dist.join(&js.name), &js_bytes)?;
    std::fs::write(dist.join(&wasm.name), &wasm_bytes)?;
    std::fs::write(dist.join(&loader), &loader_js)?;
    if bound.join("snippets").exists() {
        copy_dir(&bound.join("snippets"), dist)?;
    }

    let script = format!(
        "\n<script type=\"module\">\n\
         import init, * as bindings from '/{js}';\n\
         const wasm = await init({{ module_or_path: '/{wasm}' }});\n\
         window.wasmBindings = bindings;\n\
         dispatchEvent(new CustomEvent(\"TrunkApplicationStarted\", {{detail: {{wasm}}}}));\n\
         </script>",
        js = js.name,
        wasm = wasm.name
    );
    // The service worker keeps what the page names: the pieces load later,
    // so the page lists them (a JSON script is data, never run).
    let listed: Vec<String> = piece_names
        .iter()
        .map(|name| format!("\"/{name}\""))
        .collect();
    let head = format!(
        "<link rel=\"modulepreload\" href=\"/{}\" crossorigin=\"anonymous\" integrity=\"{}\">\
         <link rel=\"modulepreload\" href=\"/{loader}\" crossorigin=\"anonymous\">\
         <link rel=\"preload\" href=\"/{}\" crossorigin=\"anonymous\" integrity=\"{}\" as=\"fetch\" type=\"application/wasm\">\
         <script type=\"application/json\" id=\"tandem-pieces\">[{}]</script>",
        js.name,
        js.integrity,
        wasm.name,
        wasm.integrity,
        listed.join(",")
    );
    Ok((script, head))
}

/// Runs wasm-opt as the page's link asks (or copies the module as it is);
/// answers the result.
fn optimise(app: &RustApp, tools: &Tools, from: &Path, to: &Path) -> Result<Vec<u8>> {
    let Some(level) = &app.opt_level else {
        return std::fs::read(from).with_context(|| format!("reading {}", from.display()));
    };
    let run = Command::new(&tools.wasm_opt)
        .arg(format!("--output={}", to.display()))
        .arg(format!("-O{level}"))
        .args(WASM_FEATURES)
        .arg(from)
        .args(&app.opt_params)
        .output()
        .context("could not run wasm-opt")?;
    // The splitter writes a name subsection binaryen does not know; it says
    // so for every piece, and it changes nothing.
    for line in String::from_utf8_lossy(&run.stderr).lines() {
        if !line.starts_with("warning: unknown name subsection") {
            eprintln!("{line}");
        }
    }
    if !run.status.success() {
        bail!("wasm-opt failed ({})", run.status);
    }
    std::fs::read(to).with_context(|| format!("reading {}", to.display()))
}

/// Copies the folder `from` into `into` (as `into/<from's name>`).
fn copy_dir(from: &Path, into: &Path) -> Result<()> {
    let name = from.file_name().context("copy-dir names a folder")?;
    let to = into.join(name);
    std::fs::create_dir_all(&to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            copy_dir(&path, &to)?;
        } else if let Some(file) = path.file_name() {
            std::fs::copy(&path, to.join(file))
                .with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_links_and_their_attributes() {
        let html = r#"<head><link data-trunk rel="copy-file" href="sw.js" />
<link data-trunk rel="rust" href="Cargo.toml" data-wasm-opt="z" data-wasm-opt-params="--converge" data-bin="app"/></head>"#;
        let links = trunk_links(html).unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].attr("rel"), Some("copy-file"));
        assert_eq!(links[0].attr("href"), Some("sw.js"));
        assert_eq!(links[0].attr("data-trunk"), Some(""));
        assert_eq!(
            &html[links[0].start..links[0].end],
            r#"<link data-trunk rel="copy-file" href="sw.js" />"#
        );
        let app = RustApp::from(&links[1], Path::new("/f")).unwrap();
        assert_eq!(app.bin, "app");
        assert_eq!(app.profile, "release");
        assert_eq!(app.opt_level.as_deref(), Some("z"));
        assert_eq!(app.opt_params, ["--converge"]);
    }

    #[test]
    fn an_unclosed_link_or_value_is_an_error_not_a_guess() {
        assert!(trunk_links("<link data-trunk rel=\"css\"").is_err());
        assert!(trunk_links("<link data-trunk rel=\"css>").is_err());
        let no_bin = trunk_links("<link data-trunk rel=\"rust\">").unwrap();
        assert!(RustApp::from(&no_bin[0], Path::new("/f")).is_err());
    }

    #[test]
    fn hashed_names_have_sixteen_hex_digits_and_change_with_the_content() {
        let a = hashed("main", ".css", b"a{}");
        let b = hashed("main", ".css", b"b{}");
        assert_ne!(a.name, b.name);
        let digits = a.name.trim_start_matches("main-").trim_end_matches(".css");
        assert_eq!(digits.len(), 16);
        assert!(digits.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(a.integrity.starts_with("sha384-"));
    }
}
