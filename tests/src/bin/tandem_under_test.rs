//! The `tandem` binary, built inside this crate so the end-to-end tests can
//! start the real server as a child process (`CARGO_BIN_EXE_tandem-under-test`).

fn main() -> anyhow::Result<()> {
    // Lets a test agent reach paths no honest input reaches (an actor that
    // panics); the `tandem` binary never turns these on.
    tandem::test_hooks::enable();
    tandem::cli::main()
}
