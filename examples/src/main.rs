//! Runs the example service. Configuration comes from environment
//! variables only; `rbac-example --help` lists them with their defaults.

use std::process::ExitCode;

use rbac_example::{Config, DEFAULT_LOG_FILTER};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    match (args.next(), args.next()) {
        (None, _) => {}
        (Some(arg), None) if arg == "--help" || arg == "-h" => {
            print!("{}", Config::help());
            return ExitCode::SUCCESS;
        }
        (Some(arg), None) if arg == "routes" => return print_routes(),
        (Some(arg), _) => {
            eprintln!("rbac-example: unexpected argument {arg:?}; see --help");
            return ExitCode::from(2);
        }
    }

    // Unset or empty means the default, as for every other variable; a
    // filter that does not parse is a configuration error, not silence.
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(value.trim()),
        _ => EnvFilter::try_new(DEFAULT_LOG_FILTER),
    };
    let filter = match filter {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("rbac-example: RUST_LOG: {error}; see --help");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("rbac-example: {error}; see --help");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rbac-example: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(rbac_example::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("rbac-example: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `rbac-example routes`: the policy inventory of the service the
/// environment configures (nothing is opened or started).
fn print_routes() -> ExitCode {
    match Config::from_env() {
        Ok(config) => {
            print!("{}", rbac_example::routes_table(&config));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rbac-example: {error}; see --help");
            ExitCode::from(2)
        }
    }
}
