//! `pincer onboard [--non-interactive ...] [--force] [--install-daemon]`: the first-run wizard.
//!
//! Order, each step stopping with what happened and what to do: the config and state folders
//! must be writable; an existing config is replaced only with consent (`--force`, or yes at the
//! prompt), keeping a backup; the questions ([`crate::onboard::flow`]); the summary and a last
//! confirmation; the files ([`crate::onboard::commit`]); then `pincer security audit` of the
//! result, `--install-daemon` ([`super::daemon`]), and the next command to run.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;

use super::daemon::{self, DaemonRequest};
use super::onboard_args::OnboardArgs;
use super::CliError;
use crate::channels::setup::Note;
use crate::config::{load_config, GatewayOptions};
use crate::config::{Config, SecretsFile};
use crate::import::source::find_home;
use crate::import::ImportOptions;
use crate::onboard::answers::{Answers, AuthAnswer, SecretSource};
use crate::onboard::commit::{self, Written};
use crate::onboard::flow::{self, Context};
use crate::onboard::prompt::{Prompter, Question};
use crate::onboard::terminal::StdTerminal;
use crate::onboard::{checks, keycheck, render, OnboardError};
use crate::ops::audit::{audit, FileFacts};
use crate::paths::Paths;

/// Runs onboarding; the exit code.
pub fn run(config: Option<&Path>, args: &OnboardArgs) -> Result<i32, CliError> {
    let paths = Paths::resolve(config)?;
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(OnboardError::NotATerminal.into());
    }
    let mut term = StdTerminal;
    let mut prompter = Prompter::new(&mut term, interactive);
    if let Some(source) = offer_import(&mut prompter, args)? {
        let options = ImportOptions {
            source,
            force: args.force,
        };
        return super::import::import_into(&paths, &options, false, false);
    }
    let (answers, written) = onboard(&mut prompter, &paths, args)?;
    report(&answers, &written);
    let env = |name: &str| std::env::var(name).ok();
    let unstored = crate::onboard::env_note::unstored_found(&answers, &env);
    if let Some(note) =
        crate::onboard::env_note::note(&unstored, &written.secrets_file, args.install_daemon)
    {
        println!("\n{note}");
    }

    let mut code = crate::exit::OK;
    println!("\n== Security audit");
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    let audit = audit(&loaded.config, &FileFacts::read(&paths, &loaded.config));
    super::security::print_report(&audit);
    if audit.has_critical() {
        code = crate::exit::FAILURE;
    }

    // None: not asked for; Some(whether the service runs and reported READY).
    let mut service_running = None;
    if args.install_daemon {
        println!("\n== Service");
        let daemon = daemon::install(DaemonRequest {
            config,
            port: None,
            check_port: true,
        })?;
        service_running = Some(daemon == crate::exit::OK);
        if daemon != crate::exit::OK {
            code = daemon;
        }
    }
    next_steps(config, answers.port, service_running);
    Ok(code)
}

/// Whether to import an OpenClaw home instead of asking: `--import-openclaw [DIR]`, or (on a
/// terminal) yes to the offer when `~/.openclaw` (or an older home) exists. `Some(None)`: the
/// default home.
fn offer_import(
    p: &mut Prompter<'_>,
    args: &OnboardArgs,
) -> Result<Option<Option<std::path::PathBuf>>, OnboardError> {
    if let Some(source) = &args.import_openclaw {
        return Ok(Some(source.clone()));
    }
    if !p.interactive() {
        return Ok(None);
    }
    let Some(found) = super::import::home_dir().and_then(|home| find_home(&home)) else {
        return Ok(None);
    };
    let question = format!(
        "Found an OpenClaw home at {}. Import its config, workspace, conversations and approved \
         senders instead of answering the questions?",
        found.display()
    );
    let yes = p.confirm(&Question::new(&question, "--import-openclaw").default("yes"))?;
    Ok(yes.then_some(Some(found)))
}

/// From the first check to the written files.
fn onboard(
    p: &mut Prompter<'_>,
    paths: &Paths,
    args: &OnboardArgs,
) -> Result<(Answers, Written), OnboardError> {
    p.say(&format!(
        "Pincer onboarding: this writes {} and keeps secrets in {} (mode 0600).",
        paths.config_file.display(),
        paths.secrets_file().display()
    ));
    if p.interactive() {
        p.say("Press Enter to take the [default]; Ctrl-C stops without writing anything.");
    }
    let config_dir = paths
        .config_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    checks::writable_dir(config_dir).map_err(|message| OnboardError::Invalid {
        origin: "the config folder".into(),
        message,
    })?;
    paths.ensure_state_dir().map_err(OnboardError::State)?;
    if paths.config_file.exists() {
        let replace = args.force
            || (p.interactive()
                && p.confirm(
                    &Question::new(
                        &format!(
                            "{} already exists. Replace it (the old file is kept as a \
                             timestamped backup)?",
                            paths.config_file.display()
                        ),
                        "--force",
                    )
                    .default("no"),
                )?);
        if !replace && !p.interactive() {
            return Err(OnboardError::Exists {
                path: paths.config_file.clone(),
            });
        }
        if !replace {
            return Err(OnboardError::Declined {
                path: paths.config_file.clone(),
            });
        }
    }
    if args.install_daemon {
        if let Err(error) = crate::service::check_user_session() {
            p.warn(&format!(
                "{error}: the config will be written, but the service cannot be installed here"
            ));
        }
    }
    let stored = SecretsFile::read(&paths.secrets_file())?;
    let env = |name: &str| std::env::var(name).ok();
    let presets = args.presets();
    let port_free =
        |port: u16| TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_ok();
    let context = Context {
        presets: &presets,
        env: &env,
        stored: &stored,
        secrets_file: paths.secrets_file(),
        default_workspace: crate::config::workspace::workspace_dir(
            &Config::default(),
            &paths.state_dir,
        ),
        install_daemon: args.install_daemon,
        check_key: &keycheck::check,
        port_free: &port_free,
    };
    let answers = flow::ask_all(p, &context)?;
    p.say("\n== Summary");
    for line in render::summary(&answers) {
        p.say(&format!("  {line}"));
    }
    if p.interactive()
        && !p.confirm(&Question::new("Write this configuration?", "-").default("yes"))?
    {
        return Err(OnboardError::Cancelled);
    }
    let now = crate::clock::now_secs();
    let plan = commit::plan(&answers, paths, &stored, &env, &crate::clock::rfc3339(now))?;
    let written = commit::apply(&plan, &crate::clock::file_stamp(now))?;
    let changes: Vec<String> = [("stored", &plan.stored), ("removed", &plan.removed)]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(verb, names)| format!("{verb} {}", names.join(", ")))
        .collect();
    if !changes.is_empty() {
        p.say(&format!(
            "\nSecrets file {} (mode 0600): {}.",
            written.secrets_file.display(),
            changes.join("; ")
        ));
    }
    Ok((answers, written))
}

/// What was written, and the values shown once.
fn report(answers: &Answers, written: &Written) {
    println!("\nWrote {} (mode 0600).", written.config_file.display());
    if let Some(backup) = &written.config_backup {
        println!("  The previous config is kept as {}.", backup.display());
    }
    if let Some(backup) = &written.secrets_backup {
        println!(
            "  The previous secrets file is kept as {}.",
            backup.display()
        );
    }
    match (&answers.auth, &written.token) {
        (AuthAnswer::Token, Some((file, created))) => println!(
            "Gateway token: {} ({}); the pincer CLI reads it from there, other clients send it \
             as `Authorization: Bearer <token>`.",
            file.display(),
            if *created { "generated now" } else { "kept" }
        ),
        (
            AuthAnswer::Password {
                secret,
                generated: true,
            },
            _,
        ) => {
            if let SecretSource::Stored(value) = &secret.source {
                println!(
                    "Gateway password (shown once; stored as {}): {}",
                    secret.var,
                    value.expose()
                );
            }
        }
        _ => {}
    }
    for channel in &answers.channels {
        for note in &channel.notes {
            match note {
                Note::Text(text) => println!("{text}"),
                Note::Reveal { text, secret } => println!("{text}{}", secret.expose()),
            }
        }
    }
}

/// The command to run next; `service` is whether `--install-daemon` succeeded, if asked for.
fn next_steps(config: Option<&Path>, port: u16, service: Option<bool>) {
    let flag = config
        .map(|c| format!(" --config {}", c.display()))
        .unwrap_or_default();
    let mut steps: Vec<(String, &str)> = Vec::new();
    if service == Some(true) {
        steps.push((format!("pincer health{flag}"), "the service answers"));
    } else {
        steps.push((
            format!("pincer gateway{flag} --port {port}"),
            "start the gateway (--verbose to watch it)",
        ));
    }
    if service.is_none() {
        steps.push((
            format!("pincer gateway{flag} --install-daemon"),
            "or run it as a systemd user service",
        ));
    }
    let steps = steps
        .into_iter()
        .chain([(
            format!("pincer agent{flag} -m \"hello\""),
            "talk to the assistant",
        )])
        .collect::<Vec<_>>();
    let width = steps
        .iter()
        .map(|(command, _)| command.len())
        .max()
        .unwrap_or(0);
    println!("\n== Next");
    for (command, what) in steps {
        println!("  {command:width$}   # {what}");
    }
}
