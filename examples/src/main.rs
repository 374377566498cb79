//! Runs the example service. Configuration comes from environment
//! variables only; `rbac-example --help` lists them with their defaults.

use std::process::ExitCode;

use rbac_example::Config;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    match (args.next(), args.next()) {
        (None, _) => {}
        (Some(arg), None) if arg == "--help" || arg == "-h" => {
            print!("{}", Config::help());
            return ExitCode::SUCCESS;
        }
        (Some(arg), _) => {
            eprintln!("rbac-example: unexpected argument {arg:?}; see --help");
            return ExitCode::from(2);
        }
    }

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
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
