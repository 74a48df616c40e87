fn main() -> anyhow::Result<()> {
    tandem::cli::main()
}
