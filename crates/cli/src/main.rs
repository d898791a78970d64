//! The `gar` binary: argument parsing, messages, exit codes. The engine is in
//! gar-core, file formats in gar-io.
//!
//! The run pipeline (jobs, memory budget, staged outputs, signal and panic safety) is
//! the gar-run library, shared with the studio, batch and Python. Modules here depend
//! one way: `engine` (render, analyze) and `demo` use `flags` (flags to parameters and
//! jobs) and `progress` (the terminal's progress display).

// The clap doc comments in `args` are the `--help` text, where `<preset>` is a
// placeholder, not an HTML tag; escaping it for rustdoc would show in the help.
#![allow(rustdoc::invalid_html_tags)]

mod args;
mod batch;
mod demo;
mod engine;
mod flags;
mod play;
mod progress;
mod studio;

use args::{Cli, Command};
use clap::{CommandFactory, Parser};
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

impl From<gar_run::RunError> for Failure {
    fn from(e: gar_run::RunError) -> Self {
        flags::run_failure(e)
    }
}

/// Every error, clap's and gar's, is printed as `gar: error: ...`.
const ERROR: &str = "gar: error:";

/// Prints a clap error (bad flag, missing value) in gar's style; help and version
/// go to standard output unchanged.
fn clap_failure(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    let text = text.strip_prefix("error:").unwrap_or(&text);
    eprint!("{ERROR}{text}");
    ExitCode::from(2)
}

/// The subcommand named on the command line, for the help hint of a usage error.
fn subcommand_name(cmd: &Command) -> &'static str {
    match cmd {
        Command::Render(_) => "render",
        Command::Analyze(_) => "analyze",
        Command::Batch(_) => "batch",
        Command::Presets { .. } => "presets",
        Command::Demo { .. } => "demo",
        Command::Studio { .. } => "studio",
        Command::Completions { .. } => "completions",
        Command::Man { .. } => "man",
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return clap_failure(e),
    };
    let name = subcommand_name(&cli.command);
    gar_run::safety::install_signal_handler();
    gar_run::safety::quiet_panics();
    // A panic (a bug) becomes a clean error; unwinding has removed the run's
    // temporary files.
    let guarded = gar_run::safety::guard(|| {
        Ok(match cli.command {
            Command::Render(a) => engine::render_command(&a),
            Command::Analyze(a) => engine::analyze_command(&a),
            Command::Batch(a) => batch::batch_command(&a),
            Command::Presets { json } => {
                engine::presets_command(json);
                Ok(())
            }
            Command::Demo {
                out,
                force,
                quiet,
                plot,
                play,
            } => demo::demo_command(&out, force, quiet, plot, play),
            Command::Studio {
                files,
                port,
                open,
                listen,
            } => studio::studio_command(&files, port, open, listen),
            Command::Completions { shell } => {
                clap_complete::generate(shell, &mut Cli::command(), "gar", &mut std::io::stdout());
                Ok(())
            }
            Command::Man { subcommand } => man_page(subcommand.as_deref()),
        })
    });
    let result = guarded.unwrap_or_else(|e| Err(Failure::from(e)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("{ERROR} {m}");
            eprintln!();
            eprintln!("For more information, try 'gar {name} --help'.");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("{ERROR} {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `gar man [SUBCOMMAND]`: gar's manual page, or a subcommand's (`gar-render`), in
/// roff on standard output.
fn man_page(sub: Option<&str>) -> Result<(), Failure> {
    let gar = Cli::command();
    let page = match sub {
        None => gar,
        Some(name) => {
            let names: Vec<String> = gar
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .filter(|n| n != "help")
                .collect();
            let Some(cmd) = gar.find_subcommand(name) else {
                return Err(Failure::Usage(format!(
                    "no manual page for '{name}'; expected one of: {}",
                    names.join(", ")
                )));
            };
            let full = format!("gar-{}", cmd.get_name());
            cmd.clone()
                .name(full.clone())
                .bin_name(format!("gar {}", cmd.get_name()))
                .display_name(full)
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| anyhow::anyhow!("cannot write the manual page: {e}"))?;
    Ok(())
}
