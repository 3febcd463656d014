//! Command groups, one file or folder each (`db/` holds every `db` subcommand). Nothing here
//! names a provider: commands see the `Provider` trait, the registry's capabilities, the
//! fleet engine and the model.
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::{Cli, Command, ListArgs, Profiles};
use crate::config::{self, Config, Profile};
use crate::context::{HttpSettings, Settings};
use crate::error::{Error, ErrorKind, Result};
use crate::fleet;
use crate::model::ProviderKind;
use crate::output::{emit, Renderer};
use crate::provider::registry::Registered;
use crate::provider::{Operation, Provider, Shared};

mod api;
mod backup;
pub(crate) mod check;
mod configure;
mod db;
mod desired;
#[cfg(feature = "emulator")]
mod emulator;
mod lookup;
#[cfg(feature = "mcp")]
mod mcp;
mod metrics;
mod observe;
mod region;
mod report;
mod secret;
mod shell;
mod task;
mod wait;
mod watch;

pub use lookup::{Acted, Found};

/// Ctrl-C, or SIGTERM (a service manager's or `docker stop`'s stop). The handlers are in
/// place when this returns, so a server calls it before it says it is ready: a signal sent
/// right after that line is a clean stop, not a kill.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        let received = |signal: Option<Signal>| async move {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        async move {
            tokio::select! {
                () = received(interrupt) => {}
                () = received(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn dispatch(cli: Cli) -> Result<()> {
    let Cli { global, command } = cli;
    let settings = global.settings();
    crate::credentials::show_on_stdout(settings.show_secrets);
    crate::sanitize::json_stderr(global.json_errors());
    match command {
        Command::Completions { shell } => return shell::completions(shell, &settings),
        Command::Man => return shell::man(),
        #[cfg(feature = "emulator")]
        Command::Emulator(cmd) => return emulator::run(cmd).await,
        Command::Config(cmd) if !settings.demo => return configure::config(cmd, &settings, None),
        #[cfg(feature = "mcp")]
        Command::Mcp(args) => return mcp::serve(&settings, &args).await,
        _ => {}
    }
    let app = App::new(&settings).await?;
    let target = command.target();
    // A raw `api` call takes paths, not ids: no hint about where ids come from.
    let ids = !matches!(command, Command::Api(_));
    let result = match command {
        Command::Db(cmd) => db::run(&app, cmd).await,
        Command::List(args) => db::list(&app, &args).await,
        Command::Backup(cmd) => backup::run(&app, cmd).await,
        Command::Task(cmd) => task::run(&app, cmd).await,
        Command::Providers => configure::providers(&app),
        Command::Config(cmd) => configure::config(cmd, &settings, Some(&app.config)),
        Command::Api(args) => api::run(&app, args).await,
        Command::Check(args) => check::run(&app, &args).await,
        Command::Metrics(cmd) => metrics::run(&app, cmd).await,
        Command::Report(args) => report::run(&app, &args).await,
        Command::Export(args) => desired::export(&app, &args).await,
        Command::Plan(args) => desired::plan(&app, &args).await,
        Command::Apply(args) => desired::apply(&app, &args).await,
        #[cfg(feature = "emulator")]
        Command::Emulator(_) => Ok(()),
        #[cfg(feature = "mcp")]
        Command::Mcp(_) => Ok(()),
        Command::Completions { .. } | Command::Man => Ok(()),
    };
    result.map_err(|error| match &target {
        Some(target) => app.name_origin(error, target, ids),
        None => error,
    })
}

/// Everything a command needs: the profiles, the shared settings and the renderer.
pub struct App {
    pub config: Config,
    pub shared: Shared,
    pub out: Renderer,
    /// Running against the `--demo` emulator, whose changes end with the command.
    pub demo: bool,
    /// Where the name index lives (`None` under `--demo`, whose databases are made afresh).
    index: Option<PathBuf>,
    /// The wait spinners on stderr.
    spinners: wait::Spinners,
    /// Keeps the `--demo` emulator serving for the life of the command.
    #[cfg(feature = "emulator")]
    _emulator: Option<crate::emulator::Emulator>,
}

impl App {
    /// A run of its own inside a long-lived server (an MCP tool call, one profile's reading
    /// in `metrics serve`): the same profiles and emulator, a deadline of its own
    /// (`--request-timeout` counts from now), `out` for output, and never a prompt, a spinner
    /// or the name index.
    pub(crate) fn fresh_run(&self, out: crate::output::OutputSettings) -> App {
        let http = HttpSettings::new(&self.shared.http.requests());
        for (to, from) in [
            (&http.dial_override, &self.shared.http.dial_override),
            (&http.api_override, &self.shared.http.api_override),
        ] {
            if let Some(addr) = from.get() {
                let _ = to.set(*addr);
            }
        }
        App {
            config: self.config.clone(),
            shared: Shared {
                http: Arc::new(http),
                raw: self.shared.raw,
                show_secrets: false,
            },
            out: Renderer::new(out),
            demo: self.demo,
            index: None,
            spinners: wait::Spinners::default(),
            #[cfg(feature = "emulator")]
            _emulator: None,
        }
    }

    async fn new(settings: &Settings) -> Result<App> {
        let http = Arc::new(HttpSettings::new(&settings.requests));
        #[cfg(feature = "emulator")]
        let (config, emulator) = if settings.demo {
            let emulator =
                crate::emulator::Emulator::start(crate::emulator::Options::demo()).await?;
            let _ = http.dial_override.set(emulator.redis_addr());
            let _ = http.api_override.set(emulator.addr());
            (emulator.demo_config(), Some(emulator))
        } else {
            (
                config::load(
                    settings.config.as_deref(),
                    crate::provider::registry::variables,
                )?,
                None,
            )
        };
        #[cfg(not(feature = "emulator"))]
        let config = if settings.demo {
            return Err(Error::usage(
                "--demo needs the built-in emulator, which this dbctl was built without (cargo feature `emulator`)",
            ));
        } else {
            config::load(
                settings.config.as_deref(),
                crate::provider::registry::variables,
            )?
        };
        for warning in &config.warnings {
            crate::sanitize::warn(warning);
        }
        Ok(App {
            config,
            shared: Shared {
                http,
                raw: settings.raw,
                show_secrets: settings.show_secrets,
            },
            out: Renderer::new(settings.output.clone()),
            demo: settings.demo,
            index: (!settings.demo).then(crate::index::default_path).flatten(),
            spinners: wait::Spinners::default(),
            #[cfg(feature = "emulator")]
            _emulator: emulator,
        })
    }

    pub fn print(&self, text: &str) -> Result<()> {
        emit(text)
    }

    /// The fleet engine over the profiles and databases `args` selects: each profile's
    /// databases go to `then` as soon as they come (see [`fleet::gather`]).
    pub async fn gather<T, F, Fut>(
        &self,
        args: &ListArgs,
        database: fn(&T) -> &crate::model::Database,
        then: F,
    ) -> Result<fleet::Gathered<T>>
    where
        F: Fn(Box<dyn Provider>, Vec<crate::model::Database>) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<T>, Vec<Error>)>>,
    {
        let profiles = self.selected(&args.select)?;
        fleet::gather(&profiles, &self.shared, &args.selection(), database, then).await
    }

    /// Whether output (and so the one error line) is JSON.
    pub fn json(&self) -> bool {
        self.out.is_json()
    }

    /// Profiles matching the filters (all of them when both are empty). A provider or
    /// profile asked for by name and not configured is exit 3, also when others are.
    pub fn select(&self, providers: &[ProviderKind], names: &[String]) -> Result<Vec<&Profile>> {
        for name in names {
            if !self.config.profiles.iter().any(|p| &p.name == name) {
                return Err(self.unknown_profile(name));
            }
        }
        for kind in providers {
            if !self.config.profiles.iter().any(|p| p.provider == *kind) {
                return Err(self.nothing_configured(&[*kind]));
            }
        }
        let selected: Vec<&Profile> = self
            .config
            .profiles
            .iter()
            .filter(|p| providers.is_empty() || providers.contains(&p.provider))
            .filter(|p| names.is_empty() || names.contains(&p.name))
            .collect();
        if selected.is_empty() {
            return Err(self.nothing_configured(providers));
        }
        Ok(selected)
    }

    /// [`App::select`] with the `-p`/`--profile` flags.
    pub fn selected(&self, select: &Profiles) -> Result<Vec<&Profile>> {
        self.select(&select.providers, &select.profiles)
    }

    /// The one profile a command without a database talks to (`db create`, `task get`):
    /// among the selected profiles, the one whose provider can do `operation`; refused (exit
    /// 6) before any request when none can, and a usage error naming them when several can.
    pub fn provider(&self, target: &Profiles, operation: Operation) -> Result<Box<dyn Provider>> {
        let selected = self.selected(target)?;
        let able: Vec<&Profile> = selected
            .iter()
            .copied()
            .filter(|p| p.provider.supports(operation))
            .collect();
        match able.as_slice() {
            [] => Err(self.build(selected[0])?.unsupported(operation)),
            [profile] => self.build(profile),
            several => {
                let one_provider = several.iter().all(|p| p.provider == several[0].provider);
                Err(Error::usage(format!(
                    "several profiles are selected ({}); choose one with {}",
                    several
                        .iter()
                        .map(|p| format!("{} ({})", p.name, p.provider))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if one_provider {
                        "--profile NAME"
                    } else {
                        "-p PROVIDER or --profile NAME"
                    }
                )))
            }
        }
    }

    /// The flag that selects a profile: `-p PROVIDER` when it is that provider's only
    /// profile, else `--profile NAME`.
    pub fn selector(&self, provider: ProviderKind, profile: &str) -> String {
        let alone = self
            .config
            .profiles
            .iter()
            .filter(|p| p.provider == provider)
            .count()
            == 1;
        if alone {
            format!("-p {provider}")
        } else {
            format!("--profile {profile}")
        }
    }

    pub fn build(&self, profile: &Profile) -> Result<Box<dyn Provider>> {
        profile.provider.build(profile, &self.shared)
    }

    /// Names the provider and profile of a single-database command's error when the error
    /// itself does not (a wait that timed out, an id refused before any request), and says
    /// where ids come from when one was not found.
    fn name_origin(&self, error: Error, target: &Profiles, ids: bool) -> Error {
        let error = match self.selected(target).as_deref() {
            Ok([profile]) => error.with_origin(profile.provider, &profile.name),
            _ => error,
        };
        match (error.kind, error.provider) {
            (ErrorKind::NotFound, Some(provider)) if ids && error.hint.is_none() => error
                .with_hint(format!(
                    "`dbctl db list -p {provider}` shows the ids this command accepts"
                )),
            _ => error,
        }
    }

    fn unknown_profile(&self, name: &str) -> Error {
        let known: Vec<&str> = self
            .config
            .profiles
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let mut error = Error::config(format!(
            "no profile named '{name}' (configured: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
        .with_hint("`dbctl providers` lists the configured profiles");
        error.profile = Some(name.to_string());
        error
    }

    fn nothing_configured(&self, providers: &[ProviderKind]) -> Error {
        let kinds: Vec<ProviderKind> = if providers.is_empty() {
            ProviderKind::all().to_vec()
        } else {
            providers.to_vec()
        };
        let wanted = kinds
            .iter()
            .map(|k| {
                // One variable per field: aliases (REDIS_CLOUD_API_SECRET) are not extra needs.
                let mut fields = Vec::new();
                let mut vars: Vec<&str> = Vec::new();
                for v in k.spec().env.iter().filter(|v| v.activates) {
                    if !fields.contains(&v.field) {
                        fields.push(v.field);
                        vars.push(v.var);
                    }
                }
                format!("{k}: {}", vars.join(" + "))
            })
            .collect::<Vec<_>>()
            .join("; ");
        let what = if providers.len() == 1 {
            format!("no {} profile is configured", providers[0])
        } else {
            "no provider is configured".to_string()
        };
        let error = Error::config(format!(
            "{what}; set {wanted}, or add a profile to {}",
            self.config.path.display()
        ))
        .with_hint("try `dbctl --demo db list` to see dbctl against the built-in emulator");
        match providers {
            // The profile it would have: the implicit one named after the provider.
            [kind] => error.with_origin(*kind, kind.name()),
            _ => error,
        }
    }
}

impl App {
    /// A destructive change to the database `key` names: with `--yes`, done as
    /// [`App::act`] does it; else asked on a terminal, naming the database whole (read first:
    /// provider, name, profile, id) with its id typed back to confirm, and refused (exit 6)
    /// before any request without a terminal to ask on.
    pub async fn change<T, F, Fut>(
        &self,
        target: &Profiles,
        operation: Operation,
        (key, yes): (&str, bool),
        action: &str,
        act: F,
    ) -> Result<lookup::Acted<T>>
    where
        F: Fn(Arc<dyn Provider>, String) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        if yes {
            return self.act(target, operation, key, act).await;
        }
        // What would be refused anyway is said first, still before any request.
        self.searchable(target, operation, key)?;
        if !can_ask() {
            return Err(refusal(&format!("{action} {key:?}")));
        }
        let Found { provider, db } = self.find(target, operation, key).await?;
        let what = format!(
            "{action} {} database {:?} (profile {}, id {})",
            db.provider, db.name, db.profile, db.id
        );
        self.ask(
            false,
            &what,
            &format!("This will {what}. Type the id to confirm: "),
            &db.id,
        )?;
        let provider: Arc<dyn Provider> = Arc::from(provider);
        let answer = act(provider.clone(), db.id.clone()).await?;
        Ok(lookup::Acted {
            provider,
            id: db.id,
            answer,
        })
    }

    /// `--yes`, or `expected` typed back at `prompt` on a terminal; otherwise nothing
    /// changes (exit 6). `what` names the change in the refusal. The time spent answering
    /// does not count against `--request-timeout`.
    pub fn ask(&self, yes: bool, what: &str, prompt: &str, expected: &str) -> Result<()> {
        ask(yes, what, prompt, expected)?;
        self.shared.http.restart_deadline();
        Ok(())
    }
}

/// Whether someone can be asked: stdin and stderr are a terminal.
fn can_ask() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A change refused for want of `--yes` where no one can be asked.
fn refusal(what: &str) -> Error {
    Error::new(
        ErrorKind::Invalid,
        format!("refusing to {what} without --yes; nothing was changed"),
    )
    .with_hint("add --yes to confirm")
}

fn ask(yes: bool, what: &str, prompt: &str, expected: &str) -> Result<()> {
    use std::io::BufRead;
    if yes {
        return Ok(());
    }
    if !can_ask() {
        return Err(refusal(what));
    }
    crate::sanitize::stderr_prompt(prompt);
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::internal(format!("cannot read the confirmation: {e}")))?;
    if answer.trim() == expected {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "confirmation did not match; nothing was changed ({what})"
        )))
    }
}
