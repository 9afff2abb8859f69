//! The command line: subcommands, their output and exit codes (a contract scripts rely on).
//!
//! Exit codes: 0 ok; 1 findings at or above `--fail-on`; 2 bad input or usage, with a message
//! on stderr that names the file and the problem — and for a simulation cancelled with Ctrl-C.
//! Logic lives in the library modules; this module only parses arguments, calls them, prints,
//! and watches a running simulation (progress bar, Ctrl-C).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::compile::{self, Profile};
use crate::model::{self, Level};
use crate::report::{Artifact, Comparison, Format, Report, Severity};
use crate::sim::{self, SimError};
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
    /// Simulate users and attackers through the map against the real session engine, and
    /// report the gaps with the events that prove them (static findings included) and metrics.
    ///
    /// The same map, population and seed give the same report (all but its `run` part, which
    /// holds the wall time). Exit code 1 when a finding is at or above --fail-on; 2 for a file
    /// that cannot be read, a population over the limits, or a run cancelled with Ctrl-C.
    Simulate {
        /// The map file (.ron) to simulate.
        file: PathBuf,
        #[command(flatten)]
        population: PopulationArgs,
        /// Worker threads; 0 = one per core. Does not change the result.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Run the same population and seed through two maps (policy A as it is, policy B the
    /// candidate) and show them side by side: each metric with the difference and whether B is
    /// better or worse, the findings B fixes, the ones it brings and the ones both have.
    ///
    /// Exit code 1 when B has a finding at or above --fail-on; 2 for bad input or a run
    /// cancelled with Ctrl-C. SARIF output is B's report.
    Compare {
        /// Map A (.ron): usually the policy as it is.
        file_a: PathBuf,
        /// Map B (.ron): the candidate policy.
        file_b: PathBuf,
        #[command(flatten)]
        population: PopulationArgs,
        /// Worker threads; 0 = one per core. Does not change the result.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Check a running application against its map: sign in, replay the old cookie after
    /// sign-out, present a pre-login id at sign-in, read the cookie as sent and sample fresh ids,
    /// over HTTP, and say for each drawn setting whether the application matches the drawing or
    /// drifts from it. Findings use the catalogue's ids, with the exchanges as evidence.
    ///
    /// Only the target's origin is contacted; anything but a loopback address needs
    /// --allow-remote. Exit code 1 when a finding is at or above --fail-on; 2 for bad input or an
    /// application that could not be probed.
    Probe {
        /// The map file (.ron) the application should follow.
        file: PathBuf,
        /// The target file (RON) binding the map to real requests; `--init` writes an example.
        #[arg(long, required_unless_present = "init")]
        target: Option<PathBuf>,
        /// Print a commented example target file for the map, and exit.
        #[arg(long)]
        init: bool,
        /// Allow a target that is not on this machine (be sure you may probe it).
        #[arg(long)]
        allow_remote: bool,
        /// The longest the probe may wait for a drawn timeout to pass (`90s`, `20m`, `2h`); a
        /// longer timeout is reported as not checked.
        #[arg(long, default_value = "0s", value_parser = parse_wait)]
        max_wait: std::time::Duration,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Export the map as a diagram for documentation. The map file is never changed.
    Export {
        /// The map file (.ron) to export.
        file: PathBuf,
        /// The diagram format.
        #[arg(long, value_enum)]
        format: crate::export::Format,
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
        /// Which way the Graphviz diagram runs (top to bottom suits a wide map on a page).
        #[arg(long, value_enum, default_value_t = crate::export::Direction::Lr)]
        direction: crate::export::Direction,
        /// The population the Markdown report simulates (its metrics say which it was).
        #[command(flatten)]
        population: PopulationArgs,
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

/// A wait such as `90s`, `20m`, `2h` or `1d` (a bare number is seconds).
fn parse_wait(s: &str) -> Result<std::time::Duration, String> {
    let text = s.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a wait; expected e.g. 90s, 20m or 2h"))?;
    let seconds = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("`{other}` is not a unit; expected s, m, h or d")),
    };
    Ok(std::time::Duration::from_secs(n.saturating_mul(seconds)))
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
    /// The repository root SARIF locations are relative to (default: the nearest folder above
    /// the map holding `.git`, else the working folder).
    #[arg(long, value_name = "DIR")]
    repo_root: Option<PathBuf>,
}

/// The simulated population, shared by `simulate` and `compare`.
#[derive(Debug, clap::Args)]
struct PopulationArgs {
    /// Virtual users, spread over the map's personas by their shares.
    #[arg(long, default_value_t = sim::Builder::default().users)]
    users: u64,
    /// Simulated days.
    #[arg(long, default_value_t = sim::Builder::default().days)]
    days: u32,
    /// Seeds every random choice: the same seed gives the same report.
    #[arg(long, default_value_t = sim::Builder::default().seed)]
    seed: u64,
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
        Some(Command::Probe {
            file,
            target,
            init,
            allow_remote,
            max_wait,
            report,
        }) => probe(
            &file,
            target.as_deref(),
            init,
            (allow_remote, max_wait),
            &report,
        ),
        Some(Command::Lint { file, report }) => lint(&file, &report),
        Some(Command::Simulate {
            file,
            population,
            threads,
            report,
        }) => simulate(&file, &population, threads, &report),
        Some(Command::Compare {
            file_a,
            file_b,
            population,
            threads,
            report,
        }) => compare(&file_a, &file_b, &population, threads, &report),
        Some(Command::Export {
            file,
            format,
            output,
            theme,
            scale,
            profile,
            badges,
            direction,
            population,
        }) => export(
            &file,
            format,
            &output,
            ExportOptions {
                theme,
                scale,
                profile: &profile,
                badges,
                direction,
                population: &population,
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
    let warnings = loaded.diagnostics.len() - errors;
    if errors > 0 {
        eprintln!(
            "sessionmap: {}: {errors} error{}{} found",
            file.display(),
            if errors == 1 { "" } else { "s" },
            match warnings {
                0 => String::new(),
                1 => " and 1 warning".to_owned(),
                n => format!(" and {n} warnings"),
            }
        );
        return ExitCode::from(BAD_INPUT);
    }
    // What the compiler says of a consistent map (contradicting nodes, say), as `lint` and
    // `simulate` print it.
    for d in &compile::compile(&loaded.map).diagnostics {
        eprintln!("{}: warning: {d}", file.display());
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

/// The profile and `--fail-on` threshold of a reporting command, checked before any work.
fn profile_and_threshold(args: &ReportArgs) -> Result<(Profile, Severity), ExitCode> {
    let profile = Profile::named(&args.profile)
        .ok_or_else(|| fail(format!("unknown profile `{}`", args.profile)))?;
    let threshold = args.fail_on.parse().map_err(fail)?;
    Ok((profile, threshold))
}

/// Exit code 1 when `failed` (a finding at or above `--fail-on`), 0 otherwise.
fn findings_exit(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A map loaded for a reporting command, compiled (warnings printed) and linted.
struct Checked {
    map: model::Map,
    text: String,
    plan: compile::Plan,
    findings: Vec<crate::report::Finding>,
}

fn load_and_lint(file: &Path, profile: Profile) -> Result<Checked, ExitCode> {
    let (map, text) = load_consistent(file)?;
    let plan = compile::compile(&map);
    for d in &plan.diagnostics {
        eprintln!("{}: warning: {d}", file.display());
    }
    let findings = compile::lint(&map, &plan, profile);
    Ok(Checked {
        map,
        text,
        plan,
        findings,
    })
}

fn lint(file: &Path, args: &ReportArgs) -> ExitCode {
    let (profile, threshold) = match profile_and_threshold(args) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let Checked {
        map,
        text,
        findings,
        ..
    } = match load_and_lint(file, profile) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let mut report = Report::new(
        &map.title,
        &file.display().to_string(),
        profile.name,
        findings,
    )
    .with_labels(&map);
    report.locations = model::node_locations(&text);
    report.artifact = Artifact::locate(file, args.repo_root.as_deref());
    print!("{}", crate::report::render(&report, args.format));
    findings_exit(report.fails_at(threshold))
}

fn probe(
    file: &Path,
    target: Option<&Path>,
    init: bool,
    (allow_remote, max_wait): (bool, std::time::Duration),
    args: &ReportArgs,
) -> ExitCode {
    let (profile, threshold) = match profile_and_threshold(args) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let (map, text) = match load_consistent(file) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if init {
        print!("{}", crate::probe::example_target(&map));
        return ExitCode::SUCCESS;
    }
    let Some(target_file) = target else {
        return fail("--target FILE is needed (or --init to write an example)");
    };
    let target_text = match std::fs::read_to_string(target_file) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}: {e}", target_file.display())),
    };
    let target = match crate::probe::parse_target(&target_text, &target_file.display().to_string())
    {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let options = crate::probe::Options {
        profile,
        allow_remote,
        max_wait,
    };
    let outcome = match crate::probe::probe(&map, &target, &options, &|var| std::env::var(var).ok())
    {
        Ok(outcome) => outcome,
        Err(e) => return fail(format!("{}: {e}", target_file.display())),
    };
    let mut report = Report::new(
        &map.title,
        &file.display().to_string(),
        profile.name,
        outcome.findings.clone(),
    )
    .with_labels(&map);
    report.locations = model::node_locations(&text);
    report.artifact = Artifact::locate(file, args.repo_root.as_deref());
    print!("{}", crate::probe::render(&report, &outcome, args.format));
    findings_exit(report.fails_at(threshold))
}

fn builder(population: &PopulationArgs, threads: usize, profile: Profile) -> sim::Builder {
    sim::Builder {
        users: population.users,
        days: population.days,
        seed: population.seed,
        profile,
        threads,
        ..sim::Builder::default()
    }
}

/// The message for a simulation that cannot run or did not finish, and exit code 2.
fn sim_failed(file: &Path, e: &SimError) -> ExitCode {
    match e {
        SimError::Cancelled => fail("simulation cancelled"),
        e => fail(format!("{}: {e}", file.display())),
    }
}

/// Simulates one loaded map and returns its report (static findings included).
fn simulated_report(
    file: &Path,
    checked: &Checked,
    simulation: &sim::Simulation<'_>,
    profile: &Profile,
    label: &str,
) -> Result<Report, ExitCode> {
    let outcome = watch(simulation, label, file)?;
    let mut report = outcome.report(
        &checked.map,
        &file.display().to_string(),
        profile,
        checked.findings.clone(),
    );
    report.locations = model::node_locations(&checked.text);
    Ok(report)
}

fn simulate(
    file: &Path,
    population: &PopulationArgs,
    threads: usize,
    args: &ReportArgs,
) -> ExitCode {
    let (profile, threshold) = match profile_and_threshold(args) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let checked = match load_and_lint(file, profile) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let simulation = match builder(population, threads, profile).build(&checked.map, &checked.plan)
    {
        Ok(simulation) => simulation,
        Err(e) => return sim_failed(file, &e),
    };
    let label = format!("simulating {}", file.display());
    let mut report = match simulated_report(file, &checked, &simulation, &profile, &label) {
        Ok(report) => report,
        Err(code) => return code,
    };
    report.artifact = Artifact::locate(file, args.repo_root.as_deref());
    print!("{}", crate::report::render(&report, args.format));
    findings_exit(report.fails_at(threshold))
}

fn compare(
    file_a: &Path,
    file_b: &Path,
    population: &PopulationArgs,
    threads: usize,
    args: &ReportArgs,
) -> ExitCode {
    let (profile, threshold) = match profile_and_threshold(args) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    // Both maps are read and both populations checked before either run, so a mistake in B
    // does not wait for A's simulation.
    let (a, b) = match (
        load_and_lint(file_a, profile),
        load_and_lint(file_b, profile),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let builder = builder(population, threads, profile);
    let sim_a = match builder.clone().build(&a.map, &a.plan) {
        Ok(simulation) => simulation,
        Err(e) => return sim_failed(file_a, &e),
    };
    let sim_b = match builder.build(&b.map, &b.plan) {
        Ok(simulation) => simulation,
        Err(e) => return sim_failed(file_b, &e),
    };
    let label_a = format!("A: simulating {}", file_a.display());
    let report_a = match simulated_report(file_a, &a, &sim_a, &profile, &label_a) {
        Ok(report) => report,
        Err(code) => return code,
    };
    let label_b = format!("B: simulating {}", file_b.display());
    let mut report_b = match simulated_report(file_b, &b, &sim_b, &profile, &label_b) {
        Ok(report) => report,
        Err(code) => return code,
    };
    // `compare --format sarif` is B's report.
    report_b.artifact = Artifact::locate(file_b, args.repo_root.as_deref());
    let comparison = Comparison::new(report_a, report_b);
    print!(
        "{}",
        crate::report::render_comparison(&comparison, args.format)
    );
    findings_exit(comparison.fails_at(threshold))
}

/// Set by Ctrl-C; the watcher of a running simulation passes it on as a cancel.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler once: the first Ctrl-C asks the simulation to stop (it ends at
/// its next event boundary and the command exits 2); a second one exits at once.
fn catch_ctrl_c() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Without a handler (another one is installed, or the platform refuses), Ctrl-C keeps
        // its default meaning and ends the process: nothing to report.
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                eprintln!("sessionmap: simulation cancelled");
                std::process::exit(i32::from(BAD_INPUT));
            }
        });
    });
}

/// How long a run goes before a progress bar appears: quick runs print nothing extra.
const PROGRESS_DELAY: Duration = Duration::from_millis(300);
/// How often the watcher looks at the run's progress and at Ctrl-C.
const PROGRESS_POLL: Duration = Duration::from_millis(50);

/// Runs the simulation on a scoped thread while this one watches it: Ctrl-C cancels it, and a
/// progress bar is drawn on stderr when stderr is a terminal and the run takes a moment.
/// Whatever stops the run is reported here, once, with exit code 2.
fn watch(
    simulation: &sim::Simulation<'_>,
    label: &str,
    file: &Path,
) -> Result<sim::Outcome, ExitCode> {
    catch_ctrl_c();
    let control = sim::Control::default();
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let joined = std::thread::scope(|scope| {
        let watcher = std::thread::current();
        let control = &control;
        let runner = scope.spawn(move || {
            let outcome = simulation.run(control);
            watcher.unpark();
            outcome
        });
        let mut bar: Option<indicatif::ProgressBar> = None;
        while !runner.is_finished() {
            if INTERRUPTED.load(Ordering::SeqCst) {
                control.cancel();
            }
            if terminal && bar.is_none() && started.elapsed() >= PROGRESS_DELAY {
                bar = Some(progress_bar(label));
            }
            if let Some(bar) = &bar {
                bar.set_position((control.progress().clamp(0.0, 1.0) * 1000.0) as u64);
            }
            std::thread::park_timeout(PROGRESS_POLL);
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        runner.join()
    });
    match joined {
        // Ctrl-C after the last event too: the user asked to stop, so no report.
        _ if INTERRUPTED.load(Ordering::SeqCst) => Err(sim_failed(file, &SimError::Cancelled)),
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e)) => Err(sim_failed(file, &e)),
        // The simulator panicked and printed why; answer with an exit code, not a second panic.
        Err(_) => Err(fail(format!(
            "{}: the simulation stopped on an internal error (above)",
            file.display()
        ))),
    }
}

fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(1000),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:32}] {percent:>3}% {elapsed} (eta {eta}) — Ctrl-C to cancel",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(label.to_owned());
    bar
}

/// How `export` draws, beyond the format.
struct ExportOptions<'a> {
    theme: ExportTheme,
    scale: f32,
    profile: &'a str,
    badges: bool,
    direction: crate::export::Direction,
    population: &'a PopulationArgs,
}

fn export(
    file: &Path,
    format: crate::export::Format,
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
    let name = file.display().to_string();
    let export = crate::export::Options {
        theme,
        scale: options.scale,
        badges: options.badges,
        population: builder(options.population, 0, profile),
        file: &name,
        source: Some(&source),
        direction: options.direction,
        findings: None,
    };
    match crate::export::write(format, &map, output, &export) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("{}: {e}", file.display())),
    }
}
