//! The `pincer` binary: parses the command line, runs the command, and turns its outcome into an
//! exit code (see `pincer::exit`). All logic lives in the library.

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

use clap::Parser;
use pincer::cli::{self, Cli, Command};
use pincer::config::GatewayOptions;
use pincer::gateway;

fn main() {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    // The gateway sets up its own logging once its config is loaded (see `gateway::run`).
    if !matches!(&cli.command, Command::Gateway(args) if !args.install_daemon) {
        pincer::logging::init(false);
    }
    pincer::net::tls::install_default_provider();
    let outcome: anyhow::Result<i32> = match &cli.command {
        Command::Gateway(args) if args.install_daemon => {
            report(cli::daemon::install(cli::daemon::DaemonRequest {
                config,
                port: args.port,
                check_port: true,
            }))
        }
        Command::Onboard(args) => report(cli::onboard::run(config, args)),
        Command::Gateway(args) => gateway::run(GatewayOptions {
            config_path: cli.config.clone(),
            port: args.port,
            bind: args.bind.map(Into::into),
            verbose: args.verbose,
        })
        .or_else(|error| {
            eprintln!("pincer gateway: {error}");
            Ok(error.exit_code())
        }),
        Command::Actors(args) => report(cli::actors::run(config, args)),
        Command::Health(args) => report(cli::health::run(config, args)),
        Command::Agent(args) => report(cli::agent::run(config, args)),
        Command::Sessions { action } => report(cli::sessions::run(config, action)),
        Command::Skills { action } => report(cli::skills::run(config, action)),
        Command::Pairing { action } => report(cli::pairing::run(config, action)),
        Command::Cron { action } => report(cli::cron::run(config, action)),
        Command::Message { action } => report(cli::message::run(config, action)),
        Command::Channels(args) => report(cli::channels::run(config, args)),
        Command::Mcp { action } => report(cli::mcp::run(config, action)),
        Command::Memory { action } => report(cli::memory::run(config, action)),
        Command::Status(args) => report(cli::status::run(config, args)),
        Command::Tools { action } => report(cli::tools::run(config, action)),
        Command::Trace(args) => report(cli::status::trace(config, args)),
        Command::Doctor(args) => report(cli::doctor::run(config, args)),
        Command::Security { action } => report(cli::security::run(config, action)),
        Command::Backup { action } => report(cli::backup::run(config, action)),
        Command::Service { action } => report(cli::service::run(config, action)),
        Command::Logs(args) => report(cli::logs::run(config, args)),
        Command::Debug { action } => report(cli::debug::run(config, action)),
        Command::Config { action } => report(cli::config_cmd::run(config, action)),
        Command::Import {
            from: cli::ImportFrom::Openclaw(args),
        } => report(cli::import::run(config, args)),
    };
    let code = outcome.unwrap_or_else(|error| {
        eprintln!("pincer: {error:#}");
        pincer::exit::FAILURE
    });
    std::process::exit(code);
}

/// Prints a CLI error and maps it to its exit code.
fn report(result: Result<i32, cli::CliError>) -> anyhow::Result<i32> {
    Ok(result.unwrap_or_else(|error| {
        eprintln!("pincer: {error}");
        error.exit_code()
    }))
}
