//! The `tandem` command line: `serve`, `agent shell`, `mcp`, `user add` and
//! `token create`.

use crate::sandbox::{Sandbox, SandboxMode};
use crate::server::ServeConfig;
use crate::session::RuntimeConfig;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "A hub where people and AI assistants do coding work together."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Serve the API, the WebSocket and the web app on one port.
    Serve(Box<ServeArgs>),
    /// Tandem's MCP server for an agent, on stdio (Tandem starts it for its
    /// agents; it reads TANDEM_MCP_URL and TANDEM_MCP_TOKEN).
    Mcp,
    /// Run one of Tandem's built-in agents on stdio.
    Agent {
        #[command(subcommand)]
        agent: AgentCommand,
    },
    /// Manage people's accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run agents for a hub on this machine, where the code is: connects
    /// out to the hub (no inbound port) and runs the sessions of the
    /// assistants the hub assigns to this runner.
    Runner(RunnerArgs),
    /// Copy everything from one database into another, empty one (say
    /// SQLite into PostgreSQL). Stop Tandem first.
    Migrate {
        /// The database to copy: `sqlite://…` or `postgres://…`.
        #[arg(long)]
        from: String,
        /// An empty database to copy into.
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person; reads the password from the first line of stdin. The
    /// first account made is an admin.
    Add {
        name: String,
        /// Make them an admin.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token for a person and print it (shown once).
    Create {
        /// Whose token.
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunnerArgs {
    /// The hub's address (`https://tandem.example.com`).
    #[arg(long, env = "TANDEM_HUB")]
    pub hub: String,
    /// The runner's token, from Settings → Runners on the hub.
    #[arg(long, env = "TANDEM_RUNNER_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Where the runner keeps agents' output while the hub is out of reach.
    #[arg(long, env = "TANDEM_RUNNER_DATA_DIR", default_value = "./runner-data")]
    pub data_dir: PathBuf,
    /// Directories below which the hub may run agents (repeat for more;
    /// default: the current directory).
    #[arg(
        long = "workspace-root",
        env = "TANDEM_RUNNER_WORKSPACE_ROOTS",
        value_delimiter = ','
    )]
    pub workspace_roots: Vec<PathBuf>,
    /// Agents' sandbox, as for `tandem serve`.
    #[arg(long, env = "TANDEM_SANDBOX", value_enum, default_value_t = SandboxMode::Auto)]
    pub sandbox: SandboxMode,
    /// Names of this machine's environment every agent also gets.
    #[arg(long, env = "TANDEM_AGENT_ENV", value_delimiter = ',')]
    pub agent_env: Vec<String>,
}

/// Where Tandem's data lives, for every command that opens it.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Where Tandem keeps its SQLite database and the demo workspace.
    #[arg(long, env = "TANDEM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…` (default: SQLite in the data directory).
    #[arg(long, env = "TANDEM_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// The shell agent: runs each line of a prompt as a command, after asking.
    Shell,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TANDEM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub data: DataArgs,
    /// The built web app (`frontend/dist`).
    #[arg(long, env = "TANDEM_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Below this directory every account may choose or make an assistant's
    /// workspace (admins may choose any). Default: `workspaces` in the data
    /// directory.
    #[arg(long, env = "TANDEM_WORKSPACE_ROOT")]
    pub workspace_root: Option<PathBuf>,
    /// Seconds an agent may take to answer `initialize` and `session/new`.
    #[arg(long, env = "TANDEM_AGENT_START_TIMEOUT", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub agent_start_timeout: u64,
    /// Seconds an agent has to end its turn after a stop, before it is killed.
    #[arg(long, env = "TANDEM_CANCEL_GRACE", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub cancel_grace: u64,
    /// Hours after which a warm agent session is rotated (the next run starts cold).
    #[arg(long, env = "TANDEM_ROTATE_AFTER_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub rotate_after_hours: u64,
    /// Turns after which a warm agent session is rotated.
    #[arg(long, env = "TANDEM_ROTATE_AFTER_TURNS", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub rotate_after_turns: u64,
    /// Seconds without an event from the agent (while nobody is asked
    /// anything) after which a turn fails as hung.
    #[arg(long, env = "TANDEM_HANG_TIMEOUT", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub hang_timeout: u64,
    /// Names of this server's environment every agent also gets (say
    /// `ANTHROPIC_API_KEY`); otherwise agents get only what programs need
    /// (PATH, HOME, locale, proxies, certificates) and their assistant's
    /// secrets.
    #[arg(long, env = "TANDEM_AGENT_ENV", value_delimiter = ',')]
    pub agent_env: Vec<String>,
    /// Agents' sandbox (Landlock): `auto` confines them where the kernel
    /// can and says "not sandboxed" where not; `require` refuses to start an
    /// agent it cannot confine; `off` never confines.
    #[arg(long, env = "TANDEM_SANDBOX", value_enum, default_value_t = SandboxMode::Auto)]
    pub sandbox: SandboxMode,
    /// More places every agent may write to inside its sandbox (a shared
    /// cache, say), besides its workspace, temporary folder and own state.
    #[arg(long, env = "TANDEM_SANDBOX_WRITABLE", value_delimiter = ',')]
    pub sandbox_writable: Vec<PathBuf>,
    /// Where people reach Tandem, as `https://tandem.example.com`: Tandem
    /// answers to that host name (besides IP addresses and `localhost`).
    #[arg(long, env = "TANDEM_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// More host names Tandem answers to. Any other `Host` is refused, so a
    /// web page elsewhere cannot reach Tandem through a name of its own
    /// pointed at this machine (DNS rebinding).
    #[arg(long, env = "TANDEM_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_host: Vec<String>,
    /// Send Web Push also to endpoints on this machine or its network, and
    /// over plain http (a self-hosted push service). Off: only https push
    /// services on the public internet.
    #[arg(long, env = "TANDEM_PUSH_ALLOW_LOCAL")]
    pub push_allow_local: bool,
    /// This server's name among several on one PostgreSQL database
    /// (default: the machine's name and the port). A restart under the same
    /// name takes over its earlier life's sessions at once.
    #[arg(long, env = "TANDEM_NODE_NAME", value_parser = node_name)]
    pub node_name: Option<String>,
    /// Seconds a server that stops renewing its lease (it died) keeps its
    /// live sessions before another server on the same database records
    /// them `interrupted`.
    #[arg(long, env = "TANDEM_LEASE_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub lease_secs: u64,
    /// Seconds a runner may be out of reach (its link dropped) before the
    /// sessions it runs end as `interrupted`.
    #[arg(long, env = "TANDEM_RUNNER_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub runner_timeout: u64,
}

/// A node name: 1–100 characters of letters, digits and `.-_:`.
fn node_name(text: &str) -> Result<String, String> {
    let fine = |c: char| c.is_ascii_alphanumeric() || ".-_:".contains(c);
    if text.is_empty() || text.len() > 100 || !text.chars().all(fine) {
        return Err("use 1–100 letters, digits, `.`, `-`, `_` or `:`".into());
    }
    Ok(text.to_owned())
}

impl ServeArgs {
    pub fn into_config(self, tandem_exe: PathBuf) -> ServeConfig {
        let mut runtime = RuntimeConfig::new(tandem_exe);
        runtime.agent_start_timeout = Duration::from_secs(self.agent_start_timeout);
        runtime.cancel_grace = Duration::from_secs(self.cancel_grace);
        runtime.rotate_after = Duration::from_secs(self.rotate_after_hours * 3600);
        runtime.rotate_turns = self.rotate_after_turns;
        runtime.hang_timeout = Duration::from_secs(self.hang_timeout);
        runtime.agent_env = self.agent_env;
        runtime.sandbox = Sandbox::new(self.sandbox, self.sandbox_writable);
        ServeConfig {
            addr: self.addr,
            data_dir: self.data.data_dir,
            database_url: self.data.database_url,
            static_dir: self.static_dir,
            workspace_root: self.workspace_root,
            public_origin: self.public_origin,
            allowed_hosts: self.allowed_host,
            push_allow_local: self.push_allow_local,
            node_name: self.node_name,
            lease: Duration::from_secs(self.lease_secs),
            runner_timeout: Duration::from_secs(self.runner_timeout),
            runtime,
        }
    }
}

/// The binary's entry: parse, then serve or run an agent. `anyhow` lives
/// only here, at the edge.
pub fn main() -> anyhow::Result<()> {
    use anyhow::Context as _;
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    // `tandem` alone means `tandem serve`.
    let command = match cli.command {
        Some(command) => command,
        None => Cli::try_parse_from(["tandem", "serve"])?
            .command
            .context("no command")?,
    };
    match command {
        Commands::Agent {
            agent: AgentCommand::Shell,
        } => runtime
            .block_on(crate::shell_agent::run())
            .context("shell agent"),
        Commands::Serve(args) => runtime.block_on(serve(*args)),
        Commands::Mcp => {
            // Started by an agent: it goes when the agent goes, even if the
            // agent is killed before it can end its children.
            if let Err(error) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM) {
                eprintln!("tandem mcp: no parent-death signal: {error}");
            }
            runtime
                .block_on(crate::agent_tools::mcp_server::run())
                .context("tandem mcp")
        }
        Commands::User {
            command: UserCommand::Add { name, admin, data },
        } => runtime.block_on(add_user(name, admin, data)),
        Commands::Token {
            command: TokenCommand::Create { user, name, data },
        } => runtime.block_on(create_token(user, name, data)),
        Commands::Migrate { from, to } => runtime.block_on(migrate(from, to)),
        Commands::Runner(args) => runtime.block_on(runner(args)),
    }
}

async fn runner(args: RunnerArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let roots = if args.workspace_roots.is_empty() {
        vec![std::env::current_dir().context("the current directory")?]
    } else {
        args.workspace_roots
    };
    let config = crate::runner::RunnerConfig {
        hub: args.hub,
        token: args.token,
        data_dir: args.data_dir,
        workspace_roots: roots,
        sandbox: Sandbox::new(args.sandbox, Vec::new()),
        agent_env: args.agent_env,
        tandem_exe: std::env::current_exe().context("finding this program")?,
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    crate::runner::run(config, stop).await?;
    Ok(())
}

async fn migrate(from: String, to: String) -> anyhow::Result<()> {
    use crate::clock::Clock as _;
    let now = crate::clock::SystemClock.now_ms();
    let migrated = crate::migrate::migrate(&from, &to, now).await?;
    for (table, rows) in migrated.tables.iter().filter(|(_, rows)| *rows > 0) {
        println!("{table:>24}  {rows}");
    }
    println!(
        "Copied {} rows in {} tables from {} to {}; every table's rows counted on both sides.",
        migrated.rows(),
        migrated.tables.len(),
        crate::migrate::shown(&from),
        crate::migrate::shown(&to)
    );
    println!(
        "Start Tandem with --database-url pointing at the new database and the same data \
         directory (its secrets.key and push-vapid.key)."
    );
    Ok(())
}

async fn open_store(data: &DataArgs) -> anyhow::Result<crate::store::Store> {
    use anyhow::Context as _;
    std::fs::create_dir_all(&data.data_dir)
        .with_context(|| format!("creating {}", data.data_dir.display()))?;
    let url = match &data.database_url {
        Some(url) => url.clone(),
        None => crate::server::default_database_url(&data.data_dir.canonicalize()?),
    };
    crate::store::Store::connect(&url)
        .await
        .context("opening the database")
}

async fn add_user(name: String, admin: bool, data: DataArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let store = open_store(&data).await?;
    let first = store.user_count().await? == 0;
    let team = crate::accounts::team::Team {
        store: &store,
        ids: &crate::clock::RandomIds,
        clock: &crate::clock::SystemClock,
    };
    let user = team
        .add_user(&name, password, admin || first, false)
        .await?;
    store.close().await;
    let role = if user.admin { "admin" } else { "member" };
    println!("added {} ({role})", user.name);
    Ok(())
}

async fn create_token(user: String, name: String, data: DataArgs) -> anyhow::Result<()> {
    let store = open_store(&data).await?;
    let person = store
        .user_by_name(&user)
        .await?
        .ok_or_else(|| crate::accounts::team::TeamError::NoSuchUser(user.clone()))?;
    let team = crate::accounts::team::Team {
        store: &store,
        ids: &crate::clock::RandomIds,
        clock: &crate::clock::SystemClock,
    };
    let created = team.issue_token(&person.id, &name).await?;
    store.close().await;
    println!("{}", created.secret);
    Ok(())
}

/// SIGTERM (a service manager, `kill`) or Ctrl-C.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; Ctrl-C still stops Tandem");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TANDEM_LOG")
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let exe = std::env::current_exe().context("finding the tandem binary")?;
    let config = args.into_config(exe);
    crate::server::serve(config, crate::test_hooks::seams(), stop_signal())
        .await
        .context("serving")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        let err = Cli::try_parse_from(["tandem", "serve", "--addr", "nowhere"]).unwrap_err();
        assert!(err.to_string().contains("--addr"), "{err}");
        let err =
            Cli::try_parse_from(["tandem", "serve", "--agent-start-timeout", "0"]).unwrap_err();
        assert!(err.to_string().contains("agent-start-timeout"), "{err}");
        assert!(Cli::try_parse_from(["tandem", "agent", "nope"]).is_err());
        assert!(
            Cli::try_parse_from(["tandem", "token", "create"]).is_err(),
            "--user is required"
        );
        assert!(
            Cli::try_parse_from(["tandem", "user", "add"]).is_err(),
            "a name is required"
        );
    }

    #[test]
    fn defaults_serve_on_8080_with_data_here() {
        let cli = Cli::try_parse_from(["tandem", "serve"]).unwrap();
        let Some(Commands::Serve(args)) = cli.command else {
            panic!("serve expected")
        };
        assert_eq!(args.addr.port(), 8080);
        assert_eq!(args.data.data_dir, PathBuf::from("./data"));
    }
}
