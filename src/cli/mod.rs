//! The command line: subcommands, their output and exit codes (a contract scripts rely on).
//!
//! Exit codes: 0 ok; 1 findings at or above `--fail-on`; 2 bad input or usage, with a message
//! on stderr that names the file and the problem. Logic lives in the library modules; this
//! module only parses arguments, calls them and prints.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::compile::{self, Profile};
use crate::model::{self, Level};
use crate::report::{Format, Report, Severity};
use crate::templates;

#[derive(Debug, Parser)]
#[command(
    name = "sessionmap",
    version,
    about = "Map how sessions live in your application, then simulate users and attackers against it",
    long_about = "Map how sessions live in your application, then simulate users and attackers against it.\n\n\
                  Without a subcommand, opens the app on the last file or a bundled template."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the app on a map file.
    Open {
        /// The map file (.ron) to open.
        file: PathBuf,
    },
    /// List the bundled templates, one name per line.
    Templates,
    /// Create a new map file from a bundled template.
    New {
        /// The template's name (see `sessionmap templates`).
        #[arg(long)]
        template: String,
        /// Where to write the new map.
        #[arg(short, long)]
        output: PathBuf,
        /// Overwrite the output file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Check that a map file loads and is consistent (exit 0), or list every problem (exit 2).
    Validate {
        /// The map file (.ron) to check.
        file: PathBuf,
    },
    /// Run the static rules (instant, no simulation) and report the gaps the drawing shows.
    ///
    /// Exit code 1 when a finding is at or above --fail-on, 2 for a file that cannot be read.
    Lint {
        /// The map file (.ron) to lint.
        file: PathBuf,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Export the map as a diagram for documentation. The map file is never changed.
    Export {
        /// The map file (.ron) to export.
        file: PathBuf,
        /// The diagram format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Where to write the diagram.
        #[arg(short, long)]
        output: PathBuf,
        /// Colours for SVG and PNG.
        #[arg(long, value_enum, default_value_t = ExportTheme::Light)]
        theme: ExportTheme,
        /// PNG pixels per canvas unit (2 suits slides and high-density screens).
        #[arg(long, default_value_t = 2.0, value_parser = parse_scale)]
        scale: f32,
        /// Whose thresholds the findings (report, badges) use.
        #[arg(long, default_value = Profile::DEFAULT, value_parser = profile_names())]
        profile: String,
        /// Mark nodes with findings on SVG and PNG (a badge with the count, coloured by the
        /// worst severity).
        #[arg(long)]
        badges: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ExportTheme {
    Light,
    Dark,
}

fn parse_scale(s: &str) -> Result<f32, String> {
    let scale: f32 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number; expected e.g. 1, 2 or 0.5"))?;
    if scale.is_finite() && (0.05..=16.0).contains(&scale) {
        Ok(scale)
    } else {
        Err(format!("scale {s} is out of range; expected 0.05 to 16"))
    }
}

/// A diagram format for `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    /// The map as the canvas draws it, text as text.
    Svg,
    /// A picture rendered from the SVG at --scale.
    Png,
    /// A Mermaid flowchart (renders on GitHub and GitLab).
    Mermaid,
    /// A Graphviz digraph.
    Dot,
    /// A report to commit next to the code: diagram, derived policy per flow, findings. The
    /// diagram is also written as an SVG beside it (same name, .svg).
    Markdown,
}

/// Options shared by the commands that report findings.
#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Whose thresholds to apply.
    #[arg(long, default_value = Profile::DEFAULT, value_parser = profile_names())]
    profile: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with code 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high", value_parser = ["low", "medium", "high", "critical"])]
    fail_on: String,
}

fn profile_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(Profile::ALL.map(|p| p.name))
}

/// Exit code for bad input or usage.
const BAD_INPUT: u8 = 2;

/// Parses the process arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => crate::ui::run(crate::ui::Startup::Default),
        Some(Command::Open { file }) => crate::ui::run(crate::ui::Startup::File(file)),
        Some(Command::Templates) => {
            let mut out = std::io::stdout().lock();
            for t in templates::ALL {
                // A closed pipe (`| head`) is not an error worth a message.
                if writeln!(out, "{}", t.name).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Some(Command::New {
            template,
            output,
            force,
        }) => new_from_template(&template, &output, force),
        Some(Command::Validate { file }) => validate(&file),
        Some(Command::Lint { file, report }) => lint(&file, &report),
        Some(Command::Export {
            file,
            format,
            output,
            theme,
            scale,
            profile,
            badges,
        }) => export(
            &file,
            format,
            &output,
            ExportOptions {
                theme,
                scale,
                profile: &profile,
                badges,
            },
        ),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("sessionmap: {message}");
    ExitCode::from(BAD_INPUT)
}

fn new_from_template(name: &str, output: &Path, force: bool) -> ExitCode {
    let Some(template) = templates::find(name) else {
        let names: Vec<_> = templates::ALL.iter().map(|t| t.name).collect();
        return fail(format!(
            "no template named `{name}`; expected one of: {}",
            names.join(", ")
        ));
    };
    if output.exists() && !force {
        return fail(format!(
            "{}: the file exists; choose another path or pass --force to overwrite it",
            output.display()
        ));
    }
    let loaded = match template.load() {
        Ok(loaded) => loaded,
        Err(e) => return fail(e),
    };
    match model::save_file(&loaded.map, output) {
        Ok(()) => {
            println!(
                "created {} from template `{name}` ({} nodes, {} edges)",
                output.display(),
                loaded.map.nodes.len(),
                loaded.map.edges.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn validate(file: &Path) -> ExitCode {
    let loaded = match model::load_file(file) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e),
    };
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    if errors > 0 {
        eprintln!(
            "sessionmap: {}: {errors} problem{} found",
            file.display(),
            if errors == 1 { "" } else { "s" }
        );
        return ExitCode::from(BAD_INPUT);
    }
    if let Some(old) = loaded.migrated_from {
        println!(
            "{}: written in format version {old}; it will be saved as version {}",
            file.display(),
            model::FORMAT_VERSION
        );
    }
    println!(
        "{}: ok ({} nodes, {} edges, {} personas)",
        file.display(),
        loaded.map.nodes.len(),
        loaded.map.edges.len(),
        loaded.map.personas.len()
    );
    ExitCode::SUCCESS
}

/// Loads a map for a reporting command: exit 2 (with every problem printed) when it cannot be
/// read or is inconsistent.
fn load_consistent(file: &Path) -> Result<(model::Map, String), ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|source| {
        fail(model::LoadError::Io {
            path: file.to_owned(),
            source,
        })
    })?;
    let loaded = model::load_str(&text, file).map_err(fail)?;
    if loaded.has_errors() {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{d}");
        }
        return Err(fail(format!(
            "{}: the map is inconsistent; fix the problems above (see `sessionmap validate`)",
            file.display()
        )));
    }
    Ok((loaded.map, text))
}

fn lint(file: &Path, args: &ReportArgs) -> ExitCode {
    let (map, text) = match load_consistent(file) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some(profile) = Profile::named(&args.profile) else {
        return fail(format!("unknown profile `{}`", args.profile));
    };
    let plan = compile::compile(&map);
    for d in &plan.diagnostics {
        eprintln!("{}: warning: {d}", file.display());
    }
    let findings = compile::lint(&map, &plan, profile);
    let mut report = Report::new(
        &map.title,
        &file.display().to_string(),
        profile.name,
        findings,
    );
    report.locations = model::node_locations(&text);
    print!("{}", crate::report::render(&report, args.format));
    let threshold: Severity = match args.fail_on.parse() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if report.fails_at(threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// How `export` draws, beyond the format.
struct ExportOptions<'a> {
    theme: ExportTheme,
    scale: f32,
    profile: &'a str,
    badges: bool,
}

fn export(
    file: &Path,
    format: ExportFormat,
    output: &Path,
    options: ExportOptions<'_>,
) -> ExitCode {
    let (map, source) = match load_consistent(file) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let theme = match options.theme {
        ExportTheme::Light => crate::export::geometry::Theme::Light,
        ExportTheme::Dark => crate::export::geometry::Theme::Dark,
    };
    let Some(profile) = Profile::named(options.profile) else {
        return fail(format!("unknown profile `{}`", options.profile));
    };
    let plan = compile::compile(&map);
    let findings = compile::lint(&map, &plan, profile);
    let badges: &[crate::report::Finding] = if options.badges { &findings } else { &[] };
    let bytes = match format {
        ExportFormat::Svg => crate::export::svg(&map, theme, badges).into_bytes(),
        ExportFormat::Png => match crate::export::png(&map, theme, options.scale, badges) {
            Ok(png) => png,
            Err(e) => return fail(format!("{}: {e}", file.display())),
        },
        ExportFormat::Mermaid => crate::export::mermaid(&map).into_bytes(),
        ExportFormat::Dot => crate::export::dot(&map).into_bytes(),
        ExportFormat::Markdown => {
            let svg_path = output.with_extension("svg");
            let svg = crate::export::svg(&map, theme, &findings);
            if let Err(e) =
                model::write_atomically(&svg_path, svg.as_bytes(), model::Backup::None, &mut |_| {
                    Ok(())
                })
            {
                return fail(e);
            }
            let mut report = Report::new(
                &map.title,
                &file.display().to_string(),
                profile.name,
                findings,
            );
            report.locations = model::node_locations(&source);
            let svg_name = svg_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            crate::export::markdown_report(&map, &plan, &report, svg_name.as_deref()).into_bytes()
        }
    };
    match model::write_atomically(output, &bytes, model::Backup::None, &mut |_| Ok(())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
