//! The `gar` binary: argument parsing, messages, exit codes. The engine is in
//! gar-core, file formats in gar-io.

mod args;
mod demo;
mod engine;
mod safety;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// What went wrong, and which exit status it earns.
#[derive(Debug)]
pub enum Failure {
    /// Bad flags or parameter values: exit 2.
    Usage(String),
    /// Anything else (files, formats, writing): exit 1.
    Run(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Run(e)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    safety::install_signal_handler();
    let result = safety::guard(|| match cli.command {
        Command::Render(a) => engine::render_command(&a),
        Command::Analyze(a) => engine::analyze_command(&a),
        Command::Presets { json } => {
            engine::presets_command(json);
            Ok(())
        }
        Command::Demo {
            out,
            force,
            quiet,
            plot,
        } => demo::demo_command(&out, force, quiet, plot),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("gar: error: {m}");
            eprintln!("(run `gar render --help` for every flag with its range)");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("gar: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
