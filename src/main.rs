fn main() -> std::process::ExitCode {
    sessionmap::cli::run()
}
