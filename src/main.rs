use std::process::ExitCode;

fn main() -> ExitCode {
    match svcq::commands::run() {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`svcq report | head`) is the reader's choice, not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("svcq: error: {err:#}");
            ExitCode::from(svcq::exit::ERROR)
        }
    }
}
