fn main() -> std::process::ExitCode {
    climastation::main()
}
