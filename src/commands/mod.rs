//! Command groups. Nothing here knows a provider: commands see the `Provider` trait and the
//! model only.
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Cli, Command, GlobalArgs, ListArgs, Target};
use crate::config::{self, Config, Profile};
use crate::context::HttpSettings;
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
mod metrics;
mod observe;
mod region;
mod report;
mod shell;
mod task;
mod wait;

pub async fn dispatch(cli: Cli) -> Result<()> {
    let Cli { global, command } = cli;
    crate::credentials::show_on_stdout(global.show_secrets);
    crate::sanitize::json_stderr(global.json_errors());
    match command {
        Command::Completions { shell } => return shell::completions(shell, &global),
        Command::Man => return shell::man(),
        #[cfg(feature = "emulator")]
        Command::Emulator(cmd) => return emulator::run(cmd).await,
        Command::Config(cmd) if !global.demo => return configure::config(cmd, &global, None),
        _ => {}
    }
    let app = App::new(&global).await?;
    let target = command.target();
    // A raw `api` call takes paths, not ids: no hint about where ids come from.
    let ids = !matches!(command, Command::Api(_));
    let result = match command {
        Command::Db(cmd) => db::run(&app, cmd).await,
        Command::List(args) => db::list(&app, &args).await,
        Command::Backup(cmd) => backup::run(&app, cmd).await,
        Command::Task(cmd) => task::run(&app, cmd).await,
        Command::Providers => configure::providers(&app),
        Command::Config(cmd) => configure::config(cmd, &global, Some(&app.config)),
        Command::Api(args) => api::run(&app, args).await,
        Command::Check(args) => check::run(&app, &args).await,
        Command::Metrics(cmd) => metrics::run(&app, cmd).await,
        Command::Report(args) => report::run(&app, &args).await,
        Command::Export(args) => desired::export(&app, &args).await,
        Command::Plan(args) => desired::plan(&app, &args).await,
        Command::Apply(args) => desired::apply(&app, &args).await,
        #[cfg(feature = "emulator")]
        Command::Emulator(_) => Ok(()),
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
    /// Keeps the `--demo` emulator serving for the life of the command.
    #[cfg(feature = "emulator")]
    _emulator: Option<crate::emulator::Emulator>,
}

impl App {
    async fn new(global: &GlobalArgs) -> Result<App> {
        let mut http = HttpSettings::new(
            Duration::from_secs_f64(global.request_timeout),
            global.retries,
            global.verbose,
            global.insecure,
        );
        http.data_plane_connect = Duration::from_secs_f64(global.connect_timeout);
        http.data_plane_reply = Duration::from_secs_f64(global.reply_timeout);
        let http = Arc::new(http);
        #[cfg(feature = "emulator")]
        let (config, emulator) = if global.demo {
            let emulator =
                crate::emulator::Emulator::start(crate::emulator::Options::demo()).await?;
            let _ = http.dial_override.set(emulator.redis_addr());
            let _ = http.api_override.set(emulator.addr());
            (emulator.demo_config(), Some(emulator))
        } else {
            (
                config::load(
                    global.config.as_deref(),
                    crate::provider::registry::variables,
                )?,
                None,
            )
        };
        #[cfg(not(feature = "emulator"))]
        let config = if global.demo {
            return Err(Error::usage(
                "--demo needs the built-in emulator, which this dbctl was built without (cargo feature `emulator`)",
            ));
        } else {
            config::load(
                global.config.as_deref(),
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
                raw: global.raw,
                show_secrets: global.show_secrets,
            },
            out: Renderer::new(global.output_settings()),
            demo: global.demo,
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
        let profiles = self.select(&args.providers, &args.profiles)?;
        fleet::gather(&profiles, &self.shared, &args.selection(), database, then).await
    }

    /// Whether output (and so the one error line) is JSON.
    pub fn json(&self) -> bool {
        self.out.format() == crate::output::OutputFormat::Json
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

    /// The one provider a single-database command talks to, refusing (exit 6) before any
    /// request an operation the registry does not list for it.
    pub fn provider(&self, target: &Target, operation: Operation) -> Result<Box<dyn Provider>> {
        let provider = self.one(target)?;
        provider.require(operation)?;
        Ok(provider)
    }

    /// [`App::provider`] for a command on one database: an id this provider's databases
    /// cannot have is refused (exit 6) before any request or prompt.
    pub fn provider_for(
        &self,
        target: &Target,
        operation: Operation,
        id: &str,
    ) -> Result<Box<dyn Provider>> {
        let provider = self.provider(target, operation)?;
        check_id(provider.as_ref(), id)?;
        Ok(provider)
    }

    /// The one profile a single-database command talks to, built.
    fn one(&self, target: &Target) -> Result<Box<dyn Provider>> {
        let providers: Vec<ProviderKind> = target.provider.into_iter().collect();
        let names: Vec<String> = target.profile.iter().cloned().collect();
        let selected = self.select(&providers, &names)?;
        match selected.as_slice() {
            [profile] => self.build(profile),
            several => Err(Error::usage(format!(
                "several profiles are configured ({}); choose one with -p PROVIDER or --profile NAME",
                several
                    .iter()
                    .map(|p| format!("{} ({})", p.name, p.provider))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    pub fn build(&self, profile: &Profile) -> Result<Box<dyn Provider>> {
        profile.provider.build(profile, &self.shared)
    }

    /// Names the provider and profile of a single-database command's error when the error
    /// itself does not (a wait that timed out, an id refused before any request), and says
    /// where ids come from when one was not found.
    fn name_origin(&self, error: Error, target: &Target, ids: bool) -> Error {
        let providers: Vec<ProviderKind> = target.provider.into_iter().collect();
        let names: Vec<String> = target.profile.iter().cloned().collect();
        let error = match self.select(&providers, &names).as_deref() {
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
    /// Asks before a destructive change; the time spent answering does not count against
    /// `--request-timeout`.
    pub fn confirm(&self, yes: bool, action: &str, id: &str) -> Result<()> {
        self.ask(
            yes,
            &format!("{action} {id}"),
            &format!("This will {action} {id}. Type the id to confirm: "),
            id,
        )
    }

    /// `--yes`, or `expected` typed back at `prompt` on a terminal; otherwise nothing
    /// changes (exit 6). `what` names the change in the refusal.
    pub fn ask(&self, yes: bool, what: &str, prompt: &str, expected: &str) -> Result<()> {
        ask(yes, what, prompt, expected)?;
        self.shared.http.restart_deadline();
        Ok(())
    }
}

/// Refuses (exit 6) an id the provider's databases cannot have, naming the profile.
pub(crate) fn check_id(provider: &dyn Provider, id: &str) -> Result<()> {
    provider
        .check_id(id)
        .map_err(|e| e.with_origin(provider.kind(), provider.profile()))
}

fn ask(yes: bool, what: &str, prompt: &str, expected: &str) -> Result<()> {
    use std::io::{BufRead, IsTerminal};
    if yes {
        return Ok(());
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("refusing to {what} without --yes; nothing was changed"),
        )
        .with_hint("add --yes to confirm"));
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
