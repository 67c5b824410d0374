//! The climastation program, built inside the test crate (see Cargo.toml).

fn main() -> std::process::ExitCode {
    climastation::main()
}
