//! The `tandem` binary, built inside this crate so the end-to-end tests can
//! start the real server as a child process (`CARGO_BIN_EXE_tandem-under-test`).

fn main() -> anyhow::Result<()> {
    tandem::cli::main()
}
