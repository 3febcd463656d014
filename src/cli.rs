//! The clap command tree.
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::context::{Requests, Settings};
use crate::error::Error;
use crate::fleet::Selection;
use crate::model::ProviderKind;
use crate::model::{Status, WaitTarget};
use crate::output::{OutputFormat, Query, SortOrder};

#[derive(Debug, Parser)]
#[command(
    name = "dbctl",
    version,
    about = "Manage databases on Upstash, Redis Cloud, Redis Enterprise and Azure Cosmos DB",
    propagate_version = true,
    after_help = "Examples:
  dbctl --demo db list                  try it: seeded demo data, no account needed
  dbctl db list -p upstash --json       one provider's databases as JSON
  dbctl db get 2145833/13008822 -p redis-cloud
  dbctl db wait 2 -p redis-enterprise --status active --timeout 600
  dbctl man > dbctl.1                   the manual: exit codes, environment variables"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, before or after the subcommand.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Output format.
    #[arg(short, long, global = true, value_enum)]
    pub output: Option<OutputFormat>,
    /// Same as `-o json`.
    #[arg(long, global = true, conflicts_with = "output")]
    pub json: bool,
    /// JMESPath over the JSON document the command prints (implies -o json; -o yaml works).
    #[arg(short, long, global = true, value_name = "EXPR", value_parser = parse_query)]
    pub query: Option<Query>,
    /// Sort a list by any column it shows (`name`, `memory:desc`, `used%:desc`, `ops:desc`,
    /// `severity:desc`); items without the value come last (default: provider, profile, name).
    #[arg(long, global = true, value_name = "KEY[:asc|desc]", value_parser = parse_sort)]
    pub sort: Option<SortOrder>,
    /// Only the first N items of a list (after --sort).
    #[arg(long, global = true, value_name = "N", value_parser = item_count)]
    pub limit: Option<u64>,
    /// Tables and CSV without their header row.
    #[arg(long, global = true)]
    pub no_headers: bool,
    /// Add the provider's own record under `raw` (secrets redacted).
    #[arg(long, global = true)]
    pub raw: bool,
    /// Print passwords and keys. Nothing else ever does.
    #[arg(long, global = true)]
    pub show_secrets: bool,
    /// Whole-request deadline in seconds, retries and pages included (kubectl's name).
    #[arg(long, global = true, value_name = "SECS", default_value_t = 30.0, value_parser = positive_seconds)]
    pub request_timeout: f64,
    /// Data plane (ping, INFO): each connection's TCP connect and TLS handshake, in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = crate::context::DATA_PLANE_CONNECT.as_secs_f64(), value_parser = positive_seconds)]
    pub connect_timeout: f64,
    /// Data plane (ping, INFO): each reply of a database, in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = crate::context::DATA_PLANE_REPLY.as_secs_f64(), value_parser = positive_seconds)]
    pub reply_timeout: f64,
    /// Attempts per request for retryable failures.
    #[arg(long, global = true, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub retries: u32,
    /// Request logs on stderr (-vv adds headers and bodies; credentials are always masked).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Config file (default $XDG_CONFIG_HOME/dbctl/config.toml).
    #[arg(long, global = true, env = "DBCTL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// No colour (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Skip TLS certificate verification for every profile (prints a warning).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Run against the built-in emulator with seeded data; reads no credentials.
    #[arg(long, global = true)]
    pub demo: bool,
}

/// Parses the command line. Help and version print and exit as usual; any other usage error
/// comes back as an [`Error`] (exit 2), with a hint where a likely intent is known, so the
/// caller reports it like every other error (one JSON line under `--json`).
pub fn parse() -> Result<Cli, (Error, bool)> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = Cli::try_parse_from(&args).map_err(|e| {
        use clap::error::ErrorKind as Kind;
        let json = asks_for_json(&args);
        if matches!(e.kind(), Kind::DisplayHelp | Kind::DisplayVersion) {
            return match print_help(&e) {
                Ok(()) => std::process::exit(0),
                Err(error) => (error, json),
            };
        }
        // A missing subcommand shows help to people; a script asking for JSON gets the error.
        if !json && e.kind() == Kind::DisplayHelpOnMissingArgumentOrSubcommand {
            e.exit();
        }
        if let Some(own) =
            std::error::Error::source(&e).and_then(|source| source.downcast_ref::<FlagValueError>())
        {
            return (own.0.clone(), json);
        }
        if !json {
            // clap's own text (with colour and usage line) for people.
            if let Some(hint) = usage_hint(&e, &args) {
                let _ = e.print();
                crate::say!("hint: {hint}");
                std::process::exit(2);
            }
            e.exit();
        }
        // The message is the text before clap's usage block, on one line.
        let text = e.to_string();
        let detail = text
            .lines()
            .take_while(|l| !l.starts_with("Usage:"))
            .map(|l| l.trim().trim_start_matches("error: "))
            .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
            .collect::<Vec<_>>()
            .join(" ");
        let detail = if e.kind() == Kind::DisplayHelpOnMissingArgumentOrSubcommand {
            "a subcommand is required; --help lists them".to_string()
        } else {
            detail
        };
        let mut error = Error::usage(detail);
        if let Some(hint) = usage_hint(&e, &args) {
            error = error.with_hint(hint);
        }
        (error, true)
    })?;
    match (&cli.global.query, cli.global.output) {
        (
            Some(_),
            Some(format @ (OutputFormat::Table | OutputFormat::Wide | OutputFormat::Csv)),
        ) => {
            let format = format!("{format:?}").to_ascii_lowercase();
            Err((
                Error::usage(format!(
                    "--query selects from the JSON document; it cannot be combined with -o {format}"
                ))
                .with_hint("-o json (the default with --query) or -o yaml"),
                false,
            ))
        }
        _ => Ok(cli),
    }
}

/// Help or version on stdout. A write that fails (a full disk) is the error any stdout write
/// gives; a closed pipe (`| head`) is a quiet success, as for every document.
fn print_help(help: &clap::Error) -> Result<(), Error> {
    use std::io::Write;
    crate::output::stdout_written(help.print().and_then(|()| std::io::stdout().flush()))
}

/// Whether the raw arguments ask for JSON (`--json`, `-o json`, `--output=json`, `-ojson`),
/// so a usage error is reported as JSON too.
fn asks_for_json(args: &[std::ffi::OsString]) -> bool {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.iter().enumerate().any(|(i, arg)| {
        arg == "--json"
            || arg == "--output=json"
            || arg == "-ojson"
            || arg == "-o=json"
            || ((arg == "-o" || arg == "--output") && args.get(i + 1).is_some_and(|v| v == "json"))
    })
}

/// The likely intent behind a usage error: `dbctl get 1` → "did you mean `dbctl db get 1`?";
/// `--timeout` on a command that does not wait → `--request-timeout`.
fn usage_hint(error: &clap::Error, args: &[std::ffi::OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    if error.kind() == clap::error::ErrorKind::UnknownArgument {
        return match error.get(ContextKind::InvalidArg) {
            Some(ContextValue::String(arg)) if arg.starts_with("--timeout") => Some(
                "the whole-request deadline is --request-timeout SECS; --timeout is for commands that wait (db wait, task wait, --wait)".to_string(),
            ),
            _ => None,
        };
    }
    if error.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(word)) = error.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let db = <Cli as clap::CommandFactory>::command();
    let db = db.find_subcommand("db")?;
    db.find_subcommand(word)?;
    let rest: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Some(format!("did you mean `dbctl db {}`?", rest.join(" ")))
}

impl GlobalArgs {
    /// The run's settings, resolved once from these flags.
    pub fn settings(&self) -> Settings {
        Settings {
            requests: Requests {
                timeout: Duration::from_secs_f64(self.request_timeout),
                attempts: self.retries,
                verbose: self.verbose,
                insecure: self.insecure,
                data_plane_connect: Duration::from_secs_f64(self.connect_timeout),
                data_plane_reply: Duration::from_secs_f64(self.reply_timeout),
            },
            output: self.output_settings(),
            raw: self.raw,
            show_secrets: self.show_secrets,
            demo: self.demo,
            config: self.config.clone(),
        }
    }

    /// What the renderers need: the format, colour (a terminal, and neither `--no-color` nor
    /// `NO_COLOR`), and which streams are terminals.
    pub fn output_settings(&self) -> crate::output::OutputSettings {
        use std::io::IsTerminal;
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color = self.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        crate::output::OutputSettings {
            format: self.format(),
            show_secrets: self.show_secrets,
            color: stdout_tty && !no_color,
            stdout_tty,
            stderr_tty: std::io::stderr().is_terminal(),
            query: self.query.clone(),
            sort: self.sort.clone(),
            limit: self.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            headers: !self.no_headers,
        }
    }

    /// `-o`; JSON under `--json`, and under `--query` unless `-o yaml`.
    pub fn format(&self) -> OutputFormat {
        match self.output {
            _ if self.json => OutputFormat::Json,
            None if self.query.is_some() => OutputFormat::Json,
            output => output.unwrap_or(OutputFormat::Table),
        }
    }
    /// Errors are one JSON line on stderr when the output is JSON.
    pub fn json_errors(&self) -> bool {
        self.format() == OutputFormat::Json
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Databases: list, get, create, update, delete, wait, url, connect...
    #[command(subcommand)]
    Db(DbCommand),
    /// Same as `db list`.
    List(ListArgs),
    /// Backups of a database.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Asynchronous operations at the provider (Redis Cloud tasks, Redis Enterprise actions).
    #[command(subcommand)]
    Task(TaskCommand),
    /// Each provider, whether it is configured, and from where.
    Providers,
    /// The config file: where it is, what it holds, whether it is valid.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Shell completions (`--profile` completes to the profiles configured now).
    Completions {
        /// The shell to write the script for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): every command, exit codes, environment, examples.
    Man,
    /// The built-in emulator of all four provider APIs.
    #[cfg(feature = "emulator")]
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// An authenticated raw call to any provider endpoint.
    #[command(after_help = "Examples:
  dbctl api upstash GET /redis/databases
  dbctl api redis-enterprise GET /v1/bdbs/1 --raw
  dbctl api redis-cloud GET /subscriptions | jq '.subscriptions[].id'")]
    Api(ApiArgs),
    /// The fleet as a spec file (TOML) on stdout, for `plan` and `apply`.
    #[command(after_help = "Examples:
  dbctl export > fleet.toml
  dbctl export -p cosmos               one provider's databases")]
    Export(FleetArgs),
    /// What differs between a spec file and the fleet; exit 13 when anything would change.
    #[command(after_help = "Examples:
  dbctl export > fleet.toml
  dbctl plan -f fleet.toml            exit 0: nothing to change, 13: changes
  dbctl plan -f fleet.toml --json
  dbctl plan -f fleet.toml -o markdown   for a pull request's reviewer
  dbctl plan -f fleet.toml --target redis-cloud/staging-cache")]
    Plan(PlanArgs),
    /// Make the fleet match a spec file: create, update, and delete only with prune.
    #[command(after_help = "Examples:
  dbctl apply -f fleet.toml --dry-run       the plan; nothing changes
  dbctl apply -f fleet.toml --yes
  dbctl apply -f fleet.toml --yes --prune   also delete the databases not in the spec
  dbctl apply -f fleet.toml --yes -p cosmos   only the spec's cosmos profiles")]
    Apply(ApplyArgs),
    /// Rules over the fleet (`--rule` lists them); exit 13 when one fails at --fail-on.
    #[command(after_help = "Examples:
  dbctl check                                     every rule but reachable; exit 13 on an error
  dbctl check --ping --fail-on warning
  dbctl check --rule tls --rule memory --memory-warn 0.7
  dbctl check --format junit > check.xml")]
    Check(CheckArgs),
    /// An MCP server over stdio for agents: the fleet's tools, read-only unless
    /// --allow-writes.
    #[cfg(feature = "mcp")]
    #[command(after_help = "Examples:
  dbctl mcp                                 read-only tools over the configured profiles
  dbctl mcp --demo --allow-writes           a sandbox: the emulator's fleet, writes allowed
  dbctl mcp --allow-writes --allow-deletes  writes, deletes and prunes too")]
    Mcp(McpArgs),
    /// A Prometheus/OpenMetrics exporter of the fleet.
    #[command(subcommand)]
    Metrics(MetricsCommand),
    /// The fleet as one self-contained page: HTML (the default) or Markdown (`-o markdown`).
    #[command(after_help = "Examples:
  dbctl report > fleet.html                           every database, usage bars, findings
  dbctl report -o markdown >> \"$GITHUB_STEP_SUMMARY\"   the same for a pull request or a job summary
  dbctl report -f fleet.toml > fleet.html             with the drift from a spec (as `plan -f`)")]
    Report(ReportArgs),
}

#[cfg(feature = "mcp")]
#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    /// Also offer the write tools: create and update a database, take a backup, apply a spec.
    #[arg(long)]
    pub allow_writes: bool,
    /// Also offer deleting a database and pruning with apply (needs --allow-writes).
    #[arg(long, requires = "allow_writes")]
    pub allow_deletes: bool,
}

/// `metrics ...`.
#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Serve /metrics (Prometheus or OpenMetrics text) and /healthz; each profile is read in
    /// the background every --interval, and scrapes get the last complete reading.
    #[command(after_help = "Examples:
  dbctl metrics serve                                 http://127.0.0.1:10187/metrics
  dbctl metrics serve --interval 300 -p redis-cloud
  dbctl metrics serve --listen 0.0.0.0:10187          reachable from other machines")]
    Serve(MetricsArgs),
}

/// The default `--listen` of `metrics serve`: loopback, on a port outside the Prometheus
/// exporters' allocated 9100-9999.
pub const METRICS_LISTEN: &str = "127.0.0.1:10187";

#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    /// Address and port to serve on (loopback by default; any other address is reachable
    /// from other machines).
    #[arg(long, value_name = "ADDR", default_value = METRICS_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Seconds between two readings of a profile.
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_seconds)]
    pub interval: f64,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub memory: MemoryThresholds,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A spec file: add what differs from it, as `dbctl plan -f` says.
    #[arg(short = 'f', long = "file", value_name = "SPEC")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub memory: MemoryThresholds,
}

/// When memory used is a finding (the `memory` rule).
#[derive(Debug, Clone, Copy, Args)]
pub struct MemoryThresholds {
    /// Memory used ratio that is a warning.
    #[arg(id = "memory_warn", long = "memory-warn", value_name = "RATIO", default_value_t = 0.8, value_parser = ratio)]
    pub warn: f64,
    /// Memory used ratio that is an error.
    #[arg(id = "memory_error", long = "memory-error", value_name = "RATIO", default_value_t = 0.95, value_parser = ratio)]
    pub error: f64,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Only these rules (repeatable; default: every rule that needs no --ping).
    #[arg(long = "rule", value_enum)]
    pub rules: Vec<crate::model::Rule>,
    /// Exit 13 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = crate::model::Severity::Error)]
    pub fail_on: crate::model::Severity,
    #[command(flatten)]
    pub memory: MemoryThresholds,
    /// Also check that every database answers (the `reachable` rule).
    #[arg(long)]
    pub ping: bool,
    /// `junit`: JUnit XML for CI test reporters (instead of -o).
    #[arg(long, value_enum)]
    pub format: Option<CheckFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Junit,
}

fn ratio(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "expected a ratio above 0 such as 0.8, got {text:?}"
        )),
    }
}

/// Which profiles a command reads: the one definition of `-p/--provider` and `--profile`.
/// A fleet command reads every selected profile; a single-database command looks its name
/// or id up in them (see `commands::lookup`).
#[derive(Debug, Clone, Args, Default)]
pub struct Profiles {
    /// Only this provider's profiles (repeatable; default: every configured profile).
    #[arg(short = 'p', long = "provider", value_enum)]
    pub providers: Vec<ProviderKind>,
    /// Only this profile (repeatable; an environment profile is named after its provider).
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
}

/// Which profiles `export`, `plan` and `apply` read (plan/apply: only those the spec
/// declares, and their databases outside the spec are unmanaged).
pub type FleetArgs = Profiles;

/// What `plan` and `apply` act on, within the spec and the profiles selected.
#[derive(Debug, Clone, Args, Default)]
pub struct ScopeArgs {
    /// Only this database (repeatable), as Terraform's -target: its creation, update or deletion.
    #[arg(long = "target", value_name = "PROFILE/NAME", value_parser = database_ref)]
    pub targets: Vec<DatabaseRef>,
    /// Delete the databases of the spec's profiles that it does not list, this run (as
    /// `prune = true` in the spec).
    #[arg(long)]
    pub prune: bool,
}

/// One database named as `PROFILE/NAME` (profile names hold no `/`; a name may).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseRef {
    pub profile: String,
    pub name: String,
}

fn database_ref(text: &str) -> Result<DatabaseRef, String> {
    match text.split_once('/') {
        Some((profile, name)) if !profile.is_empty() && !name.is_empty() => Ok(DatabaseRef {
            profile: profile.to_string(),
            name: name.to_string(),
        }),
        _ => Err(format!(
            "expected PROFILE/NAME such as redis-cloud/staging-cache, got {text:?}"
        )),
    }
}

/// `-w/--watch [--interval S]`: the command again and again until Ctrl-C.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Refresh until Ctrl-C: in place on a terminal, one JSON document a line with --json.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Seconds between refreshes with --watch (at least 1; longer where a provider's rate
    /// limit needs it).
    #[arg(long = "interval", value_name = "SECS", default_value_t = 5.0, requires = "watch", value_parser = watch_interval)]
    pub interval: f64,
}

impl Default for WatchArgs {
    fn default() -> Self {
        WatchArgs {
            watch: false,
            interval: 5.0,
        }
    }
}

/// `--interval` of `--watch`: at least a second, so a watch never hammers an API, and no
/// longer than any other span of seconds.
fn watch_interval(text: &str) -> Result<f64, String> {
    match positive_seconds(text) {
        Ok(v) if v >= 1.0 => Ok(v),
        _ => Err(format!(
            "expected at least 1 second between refreshes (1 to 999999999), got {text:?}"
        )),
    }
}

/// `--limit`: at least one item; a count past what any list holds means all of them.
fn item_count(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Ok(u64::MAX),
        _ => Err(format!(
            "expected a number of items, at least 1, got {text:?}"
        )),
    }
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The spec file (TOML, as `dbctl export` writes it; `-` reads stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// The spec file (TOML, as `dbctl export` writes it; `-` reads stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Do not ask (needed without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Print the plan, checked by the provider's dry run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Changes in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=32))]
    pub concurrency: u64,
    /// Seconds each change may take to finish.
    #[arg(long, value_name = "SECS", default_value_t = 600.0, value_parser = positive_seconds)]
    pub wait_timeout: f64,
}

impl Command {
    /// The profiles a single-database command looks in, so its errors can say which one.
    pub fn target(&self) -> Option<Profiles> {
        match self {
            Command::Db(db) => match db {
                // Fleet commands name their profiles on each record.
                DbCommand::List(_) | DbCommand::Ping { .. } | DbCommand::Stats { .. } => None,
                DbCommand::Get { target, .. }
                | DbCommand::Create { target, .. }
                | DbCommand::Update { target, .. }
                | DbCommand::Delete { target, .. }
                | DbCommand::Wait { target, .. }
                | DbCommand::Url { target, .. }
                | DbCommand::Connect { target, .. }
                | DbCommand::Flush { target, .. }
                | DbCommand::ResetPassword { target, .. }
                | DbCommand::Import { target, .. } => Some(target.clone()),
            },
            Command::Backup(
                BackupCommand::List { target, .. }
                | BackupCommand::Create { target, .. }
                | BackupCommand::Restore { target, .. },
            ) => Some(target.clone()),
            Command::Task(
                TaskCommand::Get { target, .. }
                | TaskCommand::Wait { target, .. }
                | TaskCommand::List { target },
            ) => Some(target.clone()),
            Command::Api(args) => Some(Profiles {
                providers: vec![args.provider],
                profiles: args.profile.iter().cloned().collect(),
            }),
            _ => None,
        }
    }
}

impl ListArgs {
    /// The filters and order, as the fleet engine takes them.
    pub fn selection(&self) -> Selection {
        Selection {
            status: self.status,
            name: self.name.clone(),
            region: self.region.clone(),
            strict: self.strict,
        }
    }
}

#[derive(Debug, Clone, Args, Default)]
pub struct ListArgs {
    #[command(flatten)]
    pub select: Profiles,
    /// Only databases with this normalized status.
    #[arg(long, value_enum)]
    pub status: Option<Status>,
    /// Only names matching this glob (`*` and `?`).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Only this region.
    #[arg(long)]
    pub region: Option<String>,
    /// Any failing profile fails the command, with nothing on stdout.
    #[arg(long)]
    pub strict: bool,
    /// Add usage columns (memory used, ops/sec, connections, RU/s); `db list` only.
    #[arg(long)]
    pub usage: bool,
    /// Usage: also read each database whose list record carries no password (Redis Cloud),
    /// at the provider's rate limit, for live figures over the data plane.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// `--sort`: the direction is checked here, the key against the list when it is printed.
fn parse_sort(text: &str) -> Result<SortOrder, FlagValueError> {
    SortOrder::parse(text).map_err(FlagValueError::usage)
}

/// `--query`: compiled here, so a syntax error is exit 2 before any request.
fn parse_query(text: &str) -> Result<Query, FlagValueError> {
    Query::parse(text).map_err(FlagValueError::usage)
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Wait until the operation finishes.
    #[arg(long)]
    pub wait: bool,
    /// Seconds `--wait` may take (exit 11 after that).
    #[arg(long = "timeout", alias = "wait-timeout", value_name = "SECS", default_value_t = 600.0, value_parser = positive_seconds)]
    pub wait_timeout: f64,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// List databases of every configured profile (or the selected ones); `--watch` refreshes.
    #[command(after_help = "Examples:
  dbctl db list                             every configured provider and profile
  dbctl db list -p upstash -p redis-cloud
  dbctl db list --status pending --json | jq -r '.[].id'
  dbctl db list --name 'session*' --sort memory:desc")]
    List(ListArgs),
    /// Show one database (`--watch`: again every few seconds until Ctrl-C).
    #[command(after_help = "Examples:
  dbctl db get sessions-cache                 by name, in whichever profile holds it
  dbctl db get a1b2c3d4-0000-4000-8000-000000000001 -p upstash
  dbctl db get 2145833/13008822 -p redis-cloud --raw -o yaml
  dbctl db get 'Food DB' -p cosmos --collections")]
    Get {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// Also list the containers (Cosmos).
        #[arg(long)]
        collections: bool,
        #[command(flatten)]
        watch: WatchArgs,
    },
    /// Create a database.
    #[command(after_help = "Examples:
  dbctl db create -p upstash --name sessions --region us-east-1
  dbctl db create -p redis-enterprise --name orders --memory 1GiB --set shards_count=2 --wait
  dbctl db create -p redis-cloud --subscription 2145833 --name cache --memory 512MB --dry-run")]
    Create {
        #[command(flatten)]
        target: Profiles,
        /// Name of the new database.
        #[arg(long, value_parser = parse_name)]
        name: String,
        /// Memory limit: 256MB, 1.5GB, 2GiB or bytes; MB and GB are 1024-based (512MB = 512 MiB).
        #[arg(long, allow_hyphen_values = true, value_parser = parse_size_arg)]
        memory: Option<u64>,
        /// Region to create it in, as the provider names it (e.g. us-east-1).
        #[arg(long)]
        region: Option<String>,
        /// Subscription to create it in (Redis Cloud).
        #[arg(long)]
        subscription: Option<String>,
        /// Provider-specific setting (repeatable), e.g. plan=payg, shards_count=2.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting)]
        settings: Vec<(String, String)>,
        /// Show what would be sent (or validate at the provider) without creating.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Change a database.
    Update {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// Memory limit: 256MB, 1.5GB, 2GiB or bytes; MB and GB are 1024-based (512MB = 512 MiB).
        #[arg(long, allow_hyphen_values = true, value_parser = parse_size_arg)]
        memory: Option<u64>,
        /// Provisioned RU/s, manual (Cosmos: 400 or more, in steps of 100).
        #[arg(
            long,
            value_name = "RU",
            allow_negative_numbers = true,
            conflicts_with = "autoscale_max"
        )]
        throughput: Option<i64>,
        /// Autoscale maximum RU/s (Cosmos: 1000 or more, in steps of 1000).
        #[arg(long, value_name = "RU", allow_negative_numbers = true)]
        autoscale_max: Option<i64>,
        /// New name.
        #[arg(long, value_parser = parse_name)]
        name: Option<String>,
        /// Provider-specific setting to change (repeatable), e.g. eviction_policy=allkeys-lru.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting)]
        settings: Vec<(String, String)>,
        /// Show what would be sent (or validate at the provider) without changing anything.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Usage of one database, or of every selected one: memory, ops/sec, connections, RU/s.
    #[command(after_help = "Examples:
  dbctl db stats                                  every database
  dbctl db stats 1 -p redis-enterprise --json
  dbctl db list --usage -p upstash                the list with the usage columns")]
    Stats {
        /// Database name or id (none: every database of the selected providers/profiles).
        id: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Delete a database.
    Delete {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// Do not ask for confirmation (needed without a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Wait until a database (or every selected one) reaches a status.
    #[command(after_help = "Examples:
  dbctl db wait 2 -p redis-enterprise --status active --timeout 600
  dbctl db wait --all -p redis-enterprise --status active    every database of the profile
  dbctl db wait 2145833/13008822 -p redis-cloud --status active --json")]
    Wait {
        /// Database name or id (or --all).
        #[arg(required_unless_present = "all")]
        id: Option<String>,
        #[command(flatten)]
        target: Profiles,
        /// Wait for every database of the selected providers/profiles.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Status to wait for; `deleted` waits until it is gone.
        #[arg(long, value_enum)]
        status: WaitTarget,
        /// Seconds to wait before giving up (exit 11).
        #[arg(long, value_name = "SECS", default_value_t = 600.0, value_parser = positive_seconds)]
        timeout: f64,
        /// Seconds between polls (backs off up to 4x).
        #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = positive_seconds)]
        interval: f64,
    },
    /// The connection URL (password masked unless --show-secrets).
    #[command(after_help = "Examples:
  dbctl db url 1 -p redis-enterprise                   the password masked
  dbctl db url 1 -p redis-enterprise --show-secrets --format env >> \"$GITHUB_ENV\"")]
    Url {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// `url` prints the URL; `env` prints one unquoted VAR=URL line for $GITHUB_ENV, `docker
        /// --env-file` or a dotenv file, not for `eval` in a shell (there: `export
        /// VAR="$(dbctl db url ID)"`).
        #[arg(long, value_enum, default_value_t = UrlFormat::Url)]
        format: UrlFormat,
        /// Variable name for --format env (default REDIS_URL; COSMOS_CONNECTION_STRING for
        /// Cosmos).
        #[arg(long = "var", value_name = "NAME")]
        var: Option<String>,
        /// Active-Active databases: the region to connect to (default: the first).
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
    },
    /// Run redis-cli against the database (password via REDISCLI_AUTH, never argv).
    Connect {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// Active-Active databases: the region to connect to (default: the first).
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// Extra redis-cli arguments, after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Delete every key.
    Flush {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// Do not ask for confirmation (needed without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Rotate the database password.
    ResetPassword {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// Do not ask for confirmation (needed without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Data plane: connect (TLS as the provider says), AUTH, PING; latency. Without ID, every
    /// database of the selected providers/profiles. Exit: the failure's own code for one ID,
    /// 12 when some of many failed.
    #[command(after_help = "Examples:
  dbctl db ping -p redis-enterprise               every database of the provider
  dbctl db ping 1 -p redis-enterprise --count 5")]
    Ping {
        /// Database name or id, as `db list` prints them (without it: every selected database).
        id: Option<String>,
        #[command(flatten)]
        target: Profiles,
        /// PING round trips per database.
        #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
    },
    /// Import data into a database (replaces its content).
    #[command(
        group(clap::ArgGroup::new("source").required(true).multiple(true).args(["uris", "uri_envs"])),
        after_help = "A source URI often holds a password or a signed token. On the command line other local users can read it (`ps`) for the whole run, --wait included; pass it on stdin or in a variable instead:
  echo \"$DUMP_URL\" | dbctl db import 1 -p redis-enterprise --source-type https --uri - --yes
  dbctl db import 1 -p redis-enterprise --source-type https --uri-env DUMP_URL --yes"
    )]
    Import {
        /// Database name or id, as `db list` prints them.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// http, redis, ftp, aws-s3, azure-blob-storage, google-blob-storage.
        #[arg(long)]
        source_type: String,
        /// Source URI (repeatable); `-` reads them from stdin, one a line. Visible to other
        /// local users on the command line: prefer `-` or --uri-env.
        #[arg(long = "uri", value_name = "URI")]
        uris: Vec<String>,
        /// An environment variable holding a source URI (repeatable).
        #[arg(long = "uri-env", value_name = "VAR")]
        uri_envs: Vec<String>,
        /// Do not ask for confirmation (needed without a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UrlFormat {
    Url,
    Env,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Backups of a database.
    List {
        /// Database name or id, as `db list` prints them.
        db: String,
        #[command(flatten)]
        target: Profiles,
    },
    /// Take a backup now.
    Create {
        /// Database name or id, as `db list` prints them.
        db: String,
        #[command(flatten)]
        target: Profiles,
        /// Backup name (default: one made from the current time).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Restore a backup into its database (replaces its content).
    Restore {
        /// Database name or id, as `db list` prints them.
        db: String,
        /// Backup id, as `backup list` or `backup create` prints it.
        backup_id: String,
        #[command(flatten)]
        target: Profiles,
        /// Do not ask for confirmation (needed without a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// The tasks of every selected profile whose provider has them (Redis Cloud tasks, Redis
    /// Enterprise actions), as the provider lists them.
    List {
        #[command(flatten)]
        target: Profiles,
    },
    /// Show a task.
    Get {
        /// Task id, as the command that started it printed it.
        id: String,
        #[command(flatten)]
        target: Profiles,
    },
    /// Wait until a task completes (exit 0) or fails (exit 8).
    Wait {
        /// Task id, as the command that started it printed it.
        id: String,
        #[command(flatten)]
        target: Profiles,
        /// Seconds to wait before giving up (exit 11).
        #[arg(long, value_name = "SECS", default_value_t = 600.0, value_parser = positive_seconds)]
        timeout: f64,
        /// Seconds between polls (backs off up to 4x).
        #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = positive_seconds)]
        interval: f64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Where the config file is read from.
    Path,
    /// Every profile and its settings (secrets masked).
    Show,
    /// Resolve every profile and report every problem (exit 3 if any).
    Validate,
    /// Store a secret of a profile in the OS keyring, read from stdin: typed (hidden) on a
    /// terminal, or piped (`pass show upstash | dbctl config set-secret prod api_key`); the
    /// profile reads it with `FIELD_keyring = true`.
    SetSecret {
        /// A profile of the config file.
        profile: String,
        /// One of its provider's secret fields (`api_key`, `password`, `key`, `client_secret`...).
        field: String,
    },
}

#[cfg(feature = "emulator")]
#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Serve all four provider APIs on loopback (or --bind ADDR) until interrupted.
    #[command(after_help = "Examples:
  dbctl emulator serve --port 0 > emulator.env &    a free port; its export lines in the file
  dbctl emulator serve --seed empty --fault 503:3    no databases; every third request fails
  dbctl emulator serve --bind 0.0.0.0                every interface (a container's default)")]
    Serve {
        /// Port to listen on; 0 picks a free one (the export lines say which).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on; 0.0.0.0 or :: for every interface (the export lines then
        /// name loopback).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// `demo`: the databases `--demo` shows; `empty`: none.
        #[arg(long, value_enum, default_value_t = Seed::Demo)]
        seed: Seed,
        /// Added latency per request, in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Inject faults: `STATUS[:EVERY]`, e.g. 503:3 answers 503 to every third request.
        #[arg(long)]
        fault: Option<String>,
        /// Run the emulator's clock N times faster (1 to 1000000): tasks and pending
        /// databases finish sooner. Default: $DBCTL_EMULATOR_SPEED, else 1.
        #[arg(long, value_name = "N")]
        speed: Option<crate::emulator::Clock>,
    },
}

#[cfg(feature = "emulator")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Seed {
    Demo,
    Empty,
}

#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// The provider whose API to call.
    #[arg(value_enum)]
    pub provider: ProviderKind,
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: String,
    /// Path under the provider's base URL, e.g. /redis/databases.
    pub path: String,
    /// Request body: JSON text, @FILE, or @- for stdin.
    #[arg(long)]
    pub data: Option<String>,
    /// Profile name (env profiles are named after their provider).
    #[arg(long)]
    pub profile: Option<String>,
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// `--memory`: a refused size is one line of its own naming the flag, the value and the
/// accepted form (see [`FlagValueError`]).
fn parse_size_arg(text: &str) -> Result<u64, FlagValueError> {
    text.parse::<crate::model::ByteSize>()
        .map(|s| s.0)
        .map_err(|e| FlagValueError::usage(e.for_flag("--memory")))
}

/// `--name` of `db create` and `db update`.
fn parse_name(text: &str) -> Result<String, FlagValueError> {
    new_name("--name", text).map_err(FlagValueError)
}

/// A new database name, as given to `flag`: a blank one, or one holding a character nobody
/// sees (which `plan` would then refuse, and lookups could not tell apart), is refused (exit
/// 6) before any request.
pub fn new_name(flag: &str, name: &str) -> Result<String, Error> {
    match crate::sanitize::name_fault(name) {
        None => Ok(name.to_string()),
        Some(fault) => Err(Error::invalid(format!("{flag} {name:?} {fault}")).with_hint(
            "a database name needs a visible character and holds no control, bidi, zero-width or other invisible one",
        )),
    }
}

/// A flag's value refused with a sentence that names the flag, the value and what is
/// accepted: reported as that error (exit 2 unless it says otherwise), without clap's framing
/// around it.
#[derive(Debug)]
struct FlagValueError(Error);

impl FlagValueError {
    fn usage(message: String) -> Self {
        FlagValueError(Error::usage(message))
    }
}

impl std::fmt::Display for FlagValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for FlagValueError {}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!(
            "expected a positive number of seconds, got {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_tree_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    /// Every argument of every command says what it is for in `--help` and the man page.
    #[test]
    fn every_argument_has_help() {
        use clap::CommandFactory;
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "dbctl", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:#?}");
    }

    /// Subcommand help lists the global flags apart from the command's own.
    #[test]
    fn global_flags_have_their_own_heading() {
        use clap::CommandFactory;
        let mut command = super::Cli::command();
        command.build();
        let get = command
            .find_subcommand("db")
            .and_then(|db| db.find_subcommand("get"))
            .unwrap();
        let heading = |name: &str| {
            get.get_arguments()
                .find(|a| a.get_id().as_str() == name)
                .unwrap()
                .get_help_heading()
        };
        assert_eq!(heading("json"), Some("Global options"));
        assert_eq!(heading("demo"), Some("Global options"));
        assert_eq!(heading("providers"), None);
        assert_eq!(heading("collections"), None);
    }
}
