//! Writes the generated OpenAPI document (`make openapi`), or checks a committed copy:
//! `openapi [--check FILE]`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let text = cleave_worker::openapi::document_text();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        [flag, file] if flag == "--check" => match std::fs::read_to_string(file) {
            Ok(committed) if committed == text => ExitCode::SUCCESS,
            Ok(_) => {
                eprintln!(
                    "{file} differs from the generated document: run `make openapi` and commit it"
                );
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: openapi [--check FILE]");
            ExitCode::from(2)
        }
    }
}
